package org.vsys.linux;

/**
 * Calls on an inode named by a path that java.nio lacks or does only through a String: mknod,
 * lchown, chmod, utimensat with nanoseconds on symlinks; and syncfs of the filesystem holding
 * one. Paths are NUL-terminated bytes; symlinks are not followed where the call allows it.
 */
public interface Inodes {
    void mknod(byte[] cpath, int mode, long rdev) throws PosixException;

    void lchown(byte[] cpath, int uid, int gid) throws PosixException;

    void chmod(byte[] cpath, int mode) throws PosixException;

    /** Sets atime and mtime (seconds, nanoseconds) without following a symlink. */
    void setTimes(byte[] cpath, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws PosixException;

    /** syncfs(2) on the filesystem holding path: one flush for a whole batch of written files. */
    void syncfs(byte[] cpath) throws PosixException;

    /** NUL-terminated copy. */
    static byte[] cstr(byte[] b) {
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, b.length);
        return c;
    }

    static Inodes get() {
        return JnaFileCalls.INSTANCE;
    }
}
