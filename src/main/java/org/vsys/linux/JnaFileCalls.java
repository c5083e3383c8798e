package org.vsys.linux;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;

/**
 * The JNA binding behind {@link Xattrs}, {@link DirFds}, {@link Statx} and {@link Inodes}.
 * Private to this package. One direct mapping of libc ({@link LibC}: a static native method per
 * call, no proxy, no reflection; a checkout makes one call per entry, about 14 000 for an OS tree,
 * and a snapshot's walk a statx and an llistxattr per entry, where the proxy mapping cost several
 * microseconds a call under C1). Every call's return value is checked and errno read right after a
 * failed one ({@link Native#getLastError}), never through LastErrorException. size_t is passed as
 * a Java long: LP64 only (x86_64, aarch64).
 */
final class JnaFileCalls implements Xattrs, DirFds, Statx, Inodes {
    static final JnaFileCalls INSTANCE = new JnaFileCalls();

    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_NOFOLLOW = 0400000;
    private static final int O_CLOEXEC = 02000000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_SETFLAGS = 0x40086602L;
    private static final int FS_TOPDIR_FL = 0x00020000;

    /** libc, bound once. */
    private static final class LibC {
        static {
            Native.register(LibC.class, NativeLibrary.getInstance("c"));
        }

        static native long llistxattr(byte[] path, byte[] list, long size);

        static native long lgetxattr(byte[] path, byte[] name, byte[] value, long size);

        static native int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags);

        static native int fsetxattr(int fd, byte[] name, byte[] value, long size, int flags);

        static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf);

        static native int mknod(byte[] path, int mode, long dev);

        static native int lchown(byte[] path, int uid, int gid);

        static native int chmod(byte[] path, int mode);

        static native int open(byte[] path, int flags, int mode);

        static native int syncfs(int fd);

        static native int openat(int dirfd, byte[] name, int flags, int mode);

        static native int mkdirat(int dirfd, byte[] name, int mode);

        static native int linkat(int olddirfd, byte[] oldname, int newdirfd, byte[] newname, int flags);

        static native int symlinkat(byte[] target, int dirfd, byte[] name);

        static native int mknodat(int dirfd, byte[] name, int mode, long dev);

        static native int fchownat(int dirfd, byte[] name, int uid, int gid, int flags);

        static native int fchmodat(int dirfd, byte[] name, int mode, int flags);

        static native int utimensat(int dirfd, byte[] name, long[] times, int flags);

        static native int fchown(int fd, int uid, int gid);

        static native int fchmod(int fd, int mode);

        static native int futimens(int fd, long[] times);

        static native int ioctl(int fd, NativeLong request, int[] arg);

        static native int close(int fd);

        static native String strerror(int errnum);
    }

    private final boolean statx = statxWorks();

    private JnaFileCalls() {
    }

    private static boolean statxWorks() {
        if (Native.POINTER_SIZE != 8 || "false".equals(System.getProperty("vsys.statx"))) {
            return false;
        }
        try {
            return LibC.statx(AT_FDCWD, new byte[] {'/', 0}, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, new byte[SIZE]) == 0;
        } catch (LinkageError | RuntimeException e) {
            return false; // no statx in this libc
        }
    }

    static String strerror(int errno) {
        try {
            return LibC.strerror(errno);
        } catch (RuntimeException | LinkageError e) {
            return "errno " + errno;
        }
    }

    /** The error of the call that just failed: errno read at once. */
    private static PosixException error(String call, byte[] cname) {
        return error(call, cname, Native.getLastError());
    }

    private static PosixException error(String call, byte[] cname, int errno) {
        return new PosixException(call, printable(cname), errno, strerror(errno));
    }

    private static PosixException fdError(String call, int fd) {
        int errno = Native.getLastError();
        return new PosixException(call, "fd " + fd, errno, strerror(errno));
    }

    static String printable(byte[] p) {
        int n = p.length;
        if (n > 0 && p[n - 1] == 0) {
            n--;
        }
        return new String(p, 0, n, StandardCharsets.UTF_8);
    }

    // --- Xattrs ---------------------------------------------------------------------------------

    @Override
    public List<byte[]> list(byte[] cpath) throws PosixException {
        for (int attempt = 0; attempt < 4; attempt++) {
            long n = LibC.llistxattr(cpath, null, 0);
            if (n < 0) {
                int e = Native.getLastError();
                if (e == Errno.ENOTSUP || e == Errno.ENOSYS) {
                    return null;
                }
                throw error("llistxattr", cpath, e);
            }
            List<byte[]> out = new ArrayList<>();
            if (n == 0) {
                return out;
            }
            byte[] buf = new byte[(int) n];
            long m = LibC.llistxattr(cpath, buf, n);
            if (m < 0) {
                int e = Native.getLastError();
                if (e == Errno.ERANGE) {
                    continue; // grew in between
                }
                throw error("llistxattr", cpath, e);
            }
            splitNames(buf, (int) m, out);
            return out;
        }
        throw new PosixException("llistxattr", printable(cpath), Errno.ERANGE, "attribute list keeps changing");
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

    @Override
    public byte[] get(byte[] cpath, byte[] name) throws PosixException {
        byte[] cname = Inodes.cstr(name);
        for (int attempt = 0; attempt < 4; attempt++) {
            long n = LibC.lgetxattr(cpath, cname, null, 0);
            if (n < 0) {
                int e = Native.getLastError();
                if (e == Errno.ENODATA) {
                    return null;
                }
                throw error("lgetxattr", cpath, e);
            }
            byte[] buf = new byte[(int) n];
            if (n == 0) {
                return buf;
            }
            long m = LibC.lgetxattr(cpath, cname, buf, n);
            if (m < 0) {
                int e = Native.getLastError();
                if (e == Errno.ERANGE) {
                    continue;
                }
                throw error("lgetxattr", cpath, e);
            }
            if (m == n) {
                return buf;
            }
            byte[] b = new byte[(int) m];
            System.arraycopy(buf, 0, b, 0, (int) m);
            return b;
        }
        throw new PosixException("lgetxattr", printable(cpath), Errno.ERANGE, "attribute keeps changing");
    }

    @Override
    public void set(byte[] cpath, byte[] name, byte[] value) throws PosixException {
        if (LibC.lsetxattr(cpath, Inodes.cstr(name), value, value.length, 0) != 0) {
            throw error("lsetxattr", cpath);
        }
    }

    @Override
    public void set(int fd, byte[] name, byte[] value) throws PosixException {
        byte[] cname = Inodes.cstr(name);
        if (LibC.fsetxattr(fd, cname, value, value.length, 0) != 0) {
            throw error("fsetxattr", cname);
        }
    }

    // --- Statx ----------------------------------------------------------------------------------

    @Override
    public boolean available() {
        return statx;
    }

    @Override
    public int lstat(byte[] cpath, byte[] buf) {
        return LibC.statx(AT_FDCWD, cpath, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) == 0 ? 0 : Native.getLastError();
    }

    // --- Inodes ---------------------------------------------------------------------------------

    @Override
    public void mknod(byte[] cpath, int mode, long rdev) throws PosixException {
        if (LibC.mknod(cpath, mode, rdev) != 0) {
            throw error("mknod", cpath);
        }
    }

    @Override
    public void lchown(byte[] cpath, int uid, int gid) throws PosixException {
        if (LibC.lchown(cpath, uid, gid) != 0) {
            throw error("lchown", cpath);
        }
    }

    @Override
    public void chmod(byte[] cpath, int mode) throws PosixException {
        if (LibC.chmod(cpath, mode) != 0) {
            throw error("chmod", cpath);
        }
    }

    @Override
    public void setTimes(byte[] cpath, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws PosixException {
        if (LibC.utimensat(AT_FDCWD, cpath, new long[] {atimeSec, atimeNsec, mtimeSec, mtimeNsec}, AT_SYMLINK_NOFOLLOW) != 0) {
            throw error("utimensat", cpath);
        }
    }

    @Override
    public void syncfs(byte[] cpath) throws PosixException {
        int fd = LibC.open(cpath, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw error("open", cpath);
        }
        try {
            if (LibC.syncfs(fd) != 0) {
                throw error("syncfs", cpath);
            }
        } finally {
            LibC.close(fd);
        }
    }

    // --- DirFds ---------------------------------------------------------------------------------

    @Override
    public int openDir(int dirfd, byte[] cname) throws PosixException {
        int fd = LibC.openat(dirfd, cname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) {
            throw error("open", cname);
        }
        return fd;
    }

    @Override
    public int mkdirOpen(int dirfd, byte[] cname, int mode) throws PosixException {
        if (LibC.mkdirat(dirfd, cname, mode) != 0) {
            throw error("mkdir", cname);
        }
        return openDir(dirfd, cname);
    }

    @Override
    public int link(int olddirfd, byte[] coldname, int newdirfd, byte[] cnewname) throws PosixException {
        if (LibC.linkat(olddirfd, coldname, newdirfd, cnewname, 0) == 0) {
            return 0;
        }
        int e = Native.getLastError();
        if (e == Errno.EMLINK || e == Errno.ENOENT) {
            return e;
        }
        throw error("link", cnewname, e);
    }

    @Override
    public void symlink(byte[] ctarget, int dirfd, byte[] cname) throws PosixException {
        if (LibC.symlinkat(ctarget, dirfd, cname) != 0) {
            throw error("symlink", cname);
        }
    }

    @Override
    public void mknod(int dirfd, byte[] cname, int mode, long rdev) throws PosixException {
        if (LibC.mknodat(dirfd, cname, mode, rdev) != 0) {
            throw error("mknod", cname);
        }
    }

    @Override
    public void setMeta(int dirfd, byte[] cname, int uid, int gid, int mode, boolean symlink, long mtimeSec, long mtimeNsec)
            throws PosixException {
        if (LibC.fchownat(dirfd, cname, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
            throw error("lchown", cname);
        }
        if (!symlink && LibC.fchmodat(dirfd, cname, mode, 0) != 0) {
            throw error("chmod", cname);
        }
        if (LibC.utimensat(dirfd, cname, new long[] {mtimeSec, mtimeNsec, mtimeSec, mtimeNsec}, AT_SYMLINK_NOFOLLOW) != 0) {
            throw error("utimensat", cname);
        }
    }

    @Override
    public void fchown(int fd, int uid, int gid) throws PosixException {
        if (LibC.fchown(fd, uid, gid) != 0) {
            throw fdError("fchown", fd);
        }
    }

    @Override
    public void fmodeTimes(int fd, int mode, long mtimeSec, long mtimeNsec) throws PosixException {
        if (LibC.fchmod(fd, mode) != 0) {
            throw fdError("fchmod", fd);
        }
        if (LibC.futimens(fd, new long[] {mtimeSec, mtimeNsec, mtimeSec, mtimeNsec}) != 0) {
            throw fdError("futimens", fd);
        }
    }

    @Override
    public boolean setTopDir(byte[] cpath) {
        int fd = LibC.openat(AT_FDCWD, cpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        try {
            int[] flags = new int[1];
            if (LibC.ioctl(fd, new NativeLong(FS_IOC_GETFLAGS), flags) != 0) {
                return false; // ENOTTY, EOPNOTSUPP: not ext*, xfs has no such flag
            }
            if ((flags[0] & FS_TOPDIR_FL) != 0) {
                return true;
            }
            flags[0] |= FS_TOPDIR_FL;
            return LibC.ioctl(fd, new NativeLong(FS_IOC_SETFLAGS), flags) == 0;
        } finally {
            LibC.close(fd);
        }
    }

    @Override
    public void close(int fd) {
        if (fd >= 0) {
            LibC.close(fd);
        }
    }
}
