package org.vsys.linux;

import java.util.ArrayList;
import java.util.List;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

/**
 * The few calls the snapshot store (org.vsys.store) needs and java.nio lacks: extended attributes
 * of every namespace (security.capability, system.posix_acl_*, trusted.*), mknod, lchown,
 * utimensat with nanoseconds on symlinks, syncfs. Paths are NUL-terminated bytes, never Strings,
 * so names that are not valid in the locale's charset pass unchanged.
 */
public final class StoreCalls {
    public static final int ENODATA = 61;
    public static final int ENOTSUP = 95;
    public static final int ENOSYS = 38;
    public static final int ERANGE = 34;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    private interface LibC extends Library {
        NativeLong llistxattr(byte[] path, byte[] list, NativeLong size);

        NativeLong lgetxattr(byte[] path, byte[] name, byte[] value, NativeLong size);

        int lsetxattr(byte[] path, byte[] name, byte[] value, NativeLong size, int flags);

        int mknod(byte[] path, int mode, long dev);

        int lchown(byte[] path, int uid, int gid);

        int chmod(byte[] path, int mode);

        int utimensat(int dirfd, byte[] path, long[] times, int flags);

        int open(byte[] path, int flags, int mode);

        int syncfs(int fd);

        int close(int fd);

        String strerror(int errnum);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    /**
     * The *at calls of a checkout, bound by JNA direct mapping (a static native method per call,
     * no proxy, no reflection): a checkout makes one of these per entry, about 14 000 for an OS
     * tree, and the interface mapping above costs several microseconds a call under C1.
     */
    static final class At {
        static {
            Native.register(At.class, com.sun.jna.NativeLibrary.getInstance("c"));
        }

        static native int openat(int dirfd, byte[] name, int flags, int mode) throws com.sun.jna.LastErrorException;

        static native int mkdirat(int dirfd, byte[] name, int mode) throws com.sun.jna.LastErrorException;

        static native int linkat(int olddirfd, byte[] oldname, int newdirfd, byte[] newname, int flags)
                throws com.sun.jna.LastErrorException;

        static native int symlinkat(byte[] target, int dirfd, byte[] name) throws com.sun.jna.LastErrorException;

        static native int mknodat(int dirfd, byte[] name, int mode, long dev) throws com.sun.jna.LastErrorException;

        static native int fchownat(int dirfd, byte[] name, int uid, int gid, int flags) throws com.sun.jna.LastErrorException;

        static native int fchmodat(int dirfd, byte[] name, int mode, int flags) throws com.sun.jna.LastErrorException;

        static native int utimensat(int dirfd, byte[] name, long[] times, int flags) throws com.sun.jna.LastErrorException;

        static native int fchown(int fd, int uid, int gid) throws com.sun.jna.LastErrorException;

        static native int fchmod(int fd, int mode) throws com.sun.jna.LastErrorException;

        static native int futimens(int fd, long[] times) throws com.sun.jna.LastErrorException;

        static native int fsetxattr(int fd, byte[] name, byte[] value, long size, int flags) throws com.sun.jna.LastErrorException;

        static native int close(int fd);

        static native int ioctl(int fd, NativeLong request, int[] arg) throws com.sun.jna.LastErrorException;
    }

    /**
     * The per-entry calls of a snapshot's walk, bound by JNA direct mapping like {@link At}: statx
     * and llistxattr for every entry of the source, where java.nio's attribute map and the proxy
     * mapping cost far more than the call itself in a short-lived JVM.
     */
    static final class Walk {
        static {
            Native.register(Walk.class, com.sun.jna.NativeLibrary.getInstance("c"));
        }

        static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf) throws com.sun.jna.LastErrorException;

        static native long llistxattr(byte[] path, byte[] list, long size) throws com.sun.jna.LastErrorException;
    }

    /** Size of the buffer of {@link #lstat}: struct statx. */
    public static final int STATX_SIZE = 256;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final boolean STATX = statxWorks();

    private static boolean statxWorks() {
        if (Native.POINTER_SIZE != 8 || "false".equals(System.getProperty("vsys.statx"))) {
            return false; // the direct mapping passes size_t as a Java long
        }
        try {
            byte[] b = new byte[STATX_SIZE];
            return Walk.statx(AT_FDCWD, new byte[] {'/', 0}, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, b) == 0;
        } catch (LinkageError | RuntimeException e) {
            return false; // no statx in this libc
        }
    }

    /** Whether {@link #lstat} can be used (64-bit, a libc and kernel with statx). */
    public static boolean canLstat() {
        return STATX;
    }

    /**
     * lstat through statx(AT_SYMLINK_NOFOLLOW) into buf (STATX_SIZE bytes, struct statx in the
     * native byte order: mode u16 at 28, nlink/uid/gid u32 at 16/20/24, ino/size u64 at 32/40,
     * mtime i64 sec + u32 nsec at 112/120, rdev major/minor u32 at 128/132, dev at 136/140).
     * Returns 0, or the errno.
     */
    public static int lstat(byte[] cpath, byte[] buf) {
        try {
            Walk.statx(AT_FDCWD, cpath, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
            return 0;
        } catch (com.sun.jna.LastErrorException e) {
            return e.getErrorCode();
        }
    }

    /** glibc's dev_t of a major and minor number (gnu_dev_makedev): what stat's st_dev/st_rdev hold. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    public static String strerror(int errno) {
        try {
            return LIBC.strerror(errno);
        } catch (RuntimeException e) {
            return "errno " + errno;
        }
    }

    private StoreCalls() {
    }

    private static PosixException error(String call, byte[] path) {
        int errno = Native.getLastError();
        String msg;
        try {
            msg = LIBC.strerror(errno);
        } catch (RuntimeException e) {
            msg = "errno " + errno;
        }
        return new PosixException(call, printable(path), errno, msg);
    }

    static String printable(byte[] p) {
        int n = p.length;
        if (n > 0 && p[n - 1] == 0) {
            n--;
        }
        return new String(p, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** NUL-terminated copy. */
    public static byte[] cstr(byte[] b) {
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, b.length);
        return c;
    }

    /**
     * The names of the extended attributes of path (not following a symlink); null when the
     * filesystem does not support them (ENOTSUP, ENOSYS).
     */
    public static List<byte[]> listXattrs(byte[] cpath) throws PosixException {
        if (STATX) {
            return listXattrsDirect(cpath);
        }
        for (int attempt = 0; attempt < 4; attempt++) {
            long n = LIBC.llistxattr(cpath, null, new NativeLong(0)).longValue();
            if (n < 0) {
                int e = Native.getLastError();
                if (e == ENOTSUP || e == ENOSYS) {
                    return null;
                }
                throw error("llistxattr", cpath);
            }
            List<byte[]> out = new ArrayList<>();
            if (n == 0) {
                return out;
            }
            byte[] buf = new byte[(int) n];
            long m = LIBC.llistxattr(cpath, buf, new NativeLong(n)).longValue();
            if (m < 0) {
                if (Native.getLastError() == ERANGE) {
                    continue; // grew in between
                }
                throw error("llistxattr", cpath);
            }
            splitNames(buf, (int) m, out);
            return out;
        }
        throw new PosixException("llistxattr", printable(cpath), ERANGE, "attribute list keeps changing");
    }

    /** The NUL-terminated names in the first {@code len} bytes of an llistxattr buffer, into {@code out}. */
    private static void splitNames(byte[] buf, int len, List<byte[]> out) {
        int start = 0;
        for (int i = 0; i < len; i++) {
            if (buf[i] == 0) {
                if (i > start) {
                    byte[] name = new byte[i - start];
                    System.arraycopy(buf, start, name, 0, name.length);
                    out.add(name);
                }
                start = i + 1;
            }
        }
    }

    /** {@link #listXattrs} through the direct mapping (64-bit). */
    private static List<byte[]> listXattrsDirect(byte[] cpath) throws PosixException {
        for (int attempt = 0; attempt < 4; attempt++) {
            long n;
            try {
                n = Walk.llistxattr(cpath, null, 0);
            } catch (com.sun.jna.LastErrorException e) {
                if (e.getErrorCode() == ENOTSUP || e.getErrorCode() == ENOSYS) {
                    return null;
                }
                throw new PosixException("llistxattr", printable(cpath), e.getErrorCode(), strerror(e.getErrorCode()));
            }
            List<byte[]> out = new ArrayList<>();
            if (n == 0) {
                return out;
            }
            byte[] buf = new byte[(int) n];
            long m;
            try {
                m = Walk.llistxattr(cpath, buf, n);
            } catch (com.sun.jna.LastErrorException e) {
                if (e.getErrorCode() == ERANGE) {
                    continue; // grew in between
                }
                throw new PosixException("llistxattr", printable(cpath), e.getErrorCode(), strerror(e.getErrorCode()));
            }
            splitNames(buf, (int) m, out);
            return out;
        }
        throw new PosixException("llistxattr", printable(cpath), ERANGE, "attribute list keeps changing");
    }

    /** The value of one attribute, or null when it vanished (ENODATA). */
    public static byte[] getXattr(byte[] cpath, byte[] name) throws PosixException {
        byte[] cname = cstr(name);
        for (int attempt = 0; attempt < 4; attempt++) {
            long n = LIBC.lgetxattr(cpath, cname, null, new NativeLong(0)).longValue();
            if (n < 0) {
                if (Native.getLastError() == ENODATA) {
                    return null;
                }
                throw error("lgetxattr", cpath);
            }
            byte[] buf = new byte[(int) n];
            if (n == 0) {
                return buf;
            }
            long m = LIBC.lgetxattr(cpath, cname, buf, new NativeLong(n)).longValue();
            if (m < 0) {
                if (Native.getLastError() == ERANGE) {
                    continue;
                }
                throw error("lgetxattr", cpath);
            }
            if (m == n) {
                return buf;
            }
            byte[] b = new byte[(int) m];
            System.arraycopy(buf, 0, b, 0, (int) m);
            return b;
        }
        throw new PosixException("lgetxattr", printable(cpath), ERANGE, "attribute keeps changing");
    }

    public static void setXattr(byte[] cpath, byte[] name, byte[] value) throws PosixException {
        if (LIBC.lsetxattr(cpath, cstr(name), value, new NativeLong(value.length), 0) != 0) {
            throw error("lsetxattr", cpath);
        }
    }

    public static void mknod(byte[] cpath, int mode, long rdev) throws PosixException {
        if (LIBC.mknod(cpath, mode, rdev) != 0) {
            throw error("mknod", cpath);
        }
    }

    public static void lchown(byte[] cpath, int uid, int gid) throws PosixException {
        if (LIBC.lchown(cpath, uid, gid) != 0) {
            throw error("lchown", cpath);
        }
    }

    public static void chmod(byte[] cpath, int mode) throws PosixException {
        if (LIBC.chmod(cpath, mode) != 0) {
            throw error("chmod", cpath);
        }
    }

    /** Sets atime and mtime (seconds, nanoseconds) without following a symlink. */
    public static void setTimes(byte[] cpath, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws PosixException {
        long[] ts = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        if (LIBC.utimensat(AT_FDCWD, cpath, ts, AT_SYMLINK_NOFOLLOW) != 0) {
            throw error("utimensat", cpath);
        }
    }

    // --- directory-relative calls (checkout) ---------------------------------------------------
    // names are NUL-terminated bytes of one component; errors carry "call name: message"

    public static final int EEXIST = 17;
    public static final int EMLINK = 31;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_NOFOLLOW = 0400000;

    private static PosixException atError(String call, byte[] cname, com.sun.jna.LastErrorException e) {
        int errno = e.getErrorCode();
        String msg;
        try {
            msg = LIBC.strerror(errno);
        } catch (RuntimeException x) {
            msg = "errno " + errno;
        }
        return new PosixException(call, printable(cname), errno, msg);
    }

    /** Opens the directory name in dirfd (AT_FDCWD for an absolute name) without following a symlink. */
    public static int openDir(int dirfd, byte[] cname) throws PosixException {
        try {
            return At.openat(dirfd, cname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError("open", cname, e);
        }
    }

    public static int atCwd() {
        return AT_FDCWD;
    }

    /** mkdirat, then opens the new directory. */
    public static int mkdirOpen(int dirfd, byte[] cname, int mode) throws PosixException {
        try {
            At.mkdirat(dirfd, cname, mode);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError("mkdir", cname, e);
        }
        return openDir(dirfd, cname);
    }

    public static final int ENOENT = 2;

    /**
     * linkat without following (a symlink is linked itself); returns 0, or the errno when it is
     * EMLINK or ENOENT (the old name missing: the caller decides).
     */
    public static int link(int olddirfd, byte[] coldname, int newdirfd, byte[] cnewname) throws PosixException {
        try {
            At.linkat(olddirfd, coldname, newdirfd, cnewname, 0);
            return 0;
        } catch (com.sun.jna.LastErrorException e) {
            if (e.getErrorCode() == EMLINK || e.getErrorCode() == ENOENT) {
                return e.getErrorCode();
            }
            throw atError("link", cnewname, e);
        }
    }

    public static void symlink(byte[] ctarget, int dirfd, byte[] cname) throws PosixException {
        try {
            At.symlinkat(ctarget, dirfd, cname);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError("symlink", cname, e);
        }
    }

    public static void mknod(int dirfd, byte[] cname, int mode, long rdev) throws PosixException {
        try {
            At.mknodat(dirfd, cname, mode, rdev);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError("mknod", cname, e);
        }
    }

    /** Owner, then mode (unless symlink), then atime = mtime of name in dirfd, never following it. */
    public static void setMetaAt(int dirfd, byte[] cname, int uid, int gid, int mode, boolean symlink, long mtimeSec, long mtimeNsec)
            throws PosixException {
        String call = "lchown";
        try {
            At.fchownat(dirfd, cname, uid, gid, AT_SYMLINK_NOFOLLOW);
            if (!symlink) {
                call = "chmod";
                At.fchmodat(dirfd, cname, mode, 0);
            }
            call = "utimensat";
            At.utimensat(dirfd, cname, new long[] {mtimeSec, mtimeNsec, mtimeSec, mtimeNsec}, AT_SYMLINK_NOFOLLOW);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError(call, cname, e);
        }
    }

    public static void fchown(int fd, int uid, int gid) throws PosixException {
        try {
            At.fchown(fd, uid, gid);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError("fchown", cstr(("fd " + fd).getBytes(java.nio.charset.StandardCharsets.US_ASCII)), e);
        }
    }

    public static void fsetxattr(int fd, byte[] name, byte[] value) throws PosixException {
        try {
            At.fsetxattr(fd, cstr(name), value, value.length, 0);
        } catch (com.sun.jna.LastErrorException e) {
            throw atError("fsetxattr", cstr(name), e);
        }
    }

    /** Mode, then atime = mtime, of an open file. */
    public static void fmodeTimes(int fd, int mode, long mtimeSec, long mtimeNsec) throws PosixException {
        String call = "fchmod";
        try {
            At.fchmod(fd, mode);
            call = "futimens";
            At.futimens(fd, new long[] {mtimeSec, mtimeNsec, mtimeSec, mtimeNsec});
        } catch (com.sun.jna.LastErrorException e) {
            throw atError(call, cstr(("fd " + fd).getBytes(java.nio.charset.StandardCharsets.US_ASCII)), e);
        }
    }

    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_SETFLAGS = 0x40086602L;
    private static final int FS_TOPDIR_FL = 0x00020000;

    /**
     * Marks a directory as the top of a hierarchy (chattr +T, FS_TOPDIR_FL) so that ext2/3/4's
     * Orlov allocator places each new subdirectory in a block group of its own with free inodes
     * and blocks, and their subdirectories near them, instead of crowding the groups of the store
     * (512 directories, thousands of objects), where each mkdir searched and waited much longer.
     * Best effort: false when the filesystem has no such flag.
     */
    public static boolean setTopDir(byte[] cpath) {
        int fd;
        try {
            fd = openDir(AT_FDCWD, cpath);
        } catch (PosixException e) {
            return false;
        }
        try {
            int[] flags = new int[1];
            At.ioctl(fd, new NativeLong(FS_IOC_GETFLAGS), flags);
            if ((flags[0] & FS_TOPDIR_FL) != 0) {
                return true;
            }
            flags[0] |= FS_TOPDIR_FL;
            At.ioctl(fd, new NativeLong(FS_IOC_SETFLAGS), flags);
            return true;
        } catch (com.sun.jna.LastErrorException e) {
            return false; // ENOTTY, EOPNOTSUPP: not ext*, xfs has no such flag
        } finally {
            At.close(fd);
        }
    }

    public static void closeFd(int fd) {
        if (fd >= 0) {
            At.close(fd);
        }
    }

    /** syncfs(2) on the filesystem holding path: one flush for a whole batch of written files. */
    public static void syncfs(byte[] cpath) throws PosixException {
        int fd = LIBC.open(cpath, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw error("open", cpath);
        }
        try {
            if (LIBC.syncfs(fd) != 0) {
                throw error("syncfs", cpath);
            }
        } finally {
            LIBC.close(fd);
        }
    }
}
