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
            int start = 0;
            for (int i = 0; i < m; i++) {
                if (buf[i] == 0) {
                    if (i > start) {
                        byte[] name = new byte[i - start];
                        System.arraycopy(buf, start, name, 0, name.length);
                        out.add(name);
                    }
                    start = i + 1;
                }
            }
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
