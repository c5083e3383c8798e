package org.vsys.linux;

/**
 * Calls relative to open directory file descriptors, as a checkout makes them (one per entry:
 * no path is resolved twice). Names are NUL-terminated bytes of one component; an error names
 * the call and the name.
 */
public interface DirFds {
    /** The descriptor that makes a name absolute or relative to the working directory. */
    int AT_FDCWD = -100;

    /** Opens the directory name in dirfd without following a symlink. */
    int openDir(int dirfd, byte[] cname) throws PosixException;

    /** mkdirat, then opens the new directory. */
    int mkdirOpen(int dirfd, byte[] cname, int mode) throws PosixException;

    /**
     * linkat without following (a symlink is linked itself); returns 0, or the errno when it is
     * EMLINK or ENOENT (the old name missing: the caller decides).
     */
    int link(int olddirfd, byte[] coldname, int newdirfd, byte[] cnewname) throws PosixException;

    void symlink(byte[] ctarget, int dirfd, byte[] cname) throws PosixException;

    void mknod(int dirfd, byte[] cname, int mode, long rdev) throws PosixException;

    /** Owner, then mode (unless symlink), then atime = mtime of name in dirfd, never following it. */
    void setMeta(int dirfd, byte[] cname, int uid, int gid, int mode, boolean symlink, long mtimeSec, long mtimeNsec)
            throws PosixException;

    void fchown(int fd, int uid, int gid) throws PosixException;

    /** Mode, then atime = mtime, of an open file. */
    void fmodeTimes(int fd, int mode, long mtimeSec, long mtimeNsec) throws PosixException;

    /**
     * Marks a directory as the top of a hierarchy (chattr +T, FS_TOPDIR_FL) so that ext2/3/4's
     * Orlov allocator spreads its subdirectories over block groups. Best effort: false when the
     * filesystem has no such flag.
     */
    boolean setTopDir(byte[] cpath);

    /** Closes fd (nothing for a negative one). */
    void close(int fd);

    static DirFds get() {
        return JnaFileCalls.INSTANCE;
    }
}
