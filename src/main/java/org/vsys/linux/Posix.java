package org.vsys.linux;

/**
 * The Linux calls vsys needs that plain Java does not offer. This package is the only one that
 * imports JNA; the binding is private behind {@link #get()} and is loaded on first use only, so
 * read-only commands ({@code vsys list}) never pay for it.
 *
 * <p>Every method checks the return value, reads errno at once and throws a {@link PosixException}
 * naming the call, the path, the errno name and its message.
 */
public interface Posix {

    // mount(2) flags
    long MS_RDONLY = 1L;
    long MS_NOSUID = 2L;
    long MS_NODEV = 4L;
    long MS_NOEXEC = 8L;
    long MS_REMOUNT = 32L;
    long MS_BIND = 4096L;
    long MS_REC = 16384L;
    long MS_PRIVATE = 1L << 18;
    long MS_SLAVE = 1L << 19;
    long MS_SHARED = 1L << 20;

    // umount2(2) flags
    int MNT_FORCE = 1;
    int MNT_DETACH = 2;
    int UMOUNT_NOFOLLOW = 8;

    // mount_setattr(2) attributes
    long MOUNT_ATTR_RDONLY = 0x1L;
    long MOUNT_ATTR_NOSUID = 0x2L;
    long MOUNT_ATTR_NODEV = 0x4L;

    // open(2) flags (x86_64, aarch64 share these values except O_DIRECTORY/O_NOFOLLOW on arm: we use generic values)
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_CREAT = 0100;
    int O_NOFOLLOW = 0400000;
    int O_DIRECTORY = 0200000;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;

    int LOCK_EX = 2;
    int LOCK_NB = 4;

    void mount(String source, String target, String fstype, long flags, String data) throws PosixException;

    void umount2(String target, int flags) throws PosixException;

    /**
     * Sets (and clears) mount attributes and propagation on {@code path}, recursively when
     * {@code recursive}. Throws with errno ENOSYS on kernels before 5.12.
     */
    void mountSetattr(String path, boolean recursive, long attrSet, long attrClear, long propagation)
            throws PosixException;

    void rmdir(String path) throws PosixException;

    int open(String path, int flags, int mode) throws PosixException;

    int openat(int dirfd, String name, int flags) throws PosixException;

    /**
     * Opens the directory {@code absPath} as an {@code O_PATH} descriptor, one component at a time
     * from {@code /} with {@code O_NOFOLLOW|O_DIRECTORY}, so that no symlink anywhere on the way is
     * followed (ELOOP or ENOTDIR otherwise). Mounting onto {@code /proc/self/fd/<fd>} then mounts
     * on exactly that directory, whatever happens to the path meanwhile.
     */
    default int openDirectoryNoFollow(String absPath) throws PosixException {
        if (!absPath.startsWith("/")) {
            throw new PosixException("openat", absPath, Errno.EINVAL, "not an absolute path");
        }
        int flags = O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC;
        int fd = open("/", flags, 0);
        for (String part : absPath.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                close(fd);
                throw new PosixException("openat", absPath, Errno.EINVAL, "'..' in path");
            }
            int next;
            try {
                next = openat(fd, part, flags);
            } catch (PosixException e) {
                close(fd);
                throw new PosixException("openat", absPath, e.errno(), e.reason());
            }
            close(fd);
            fd = next;
        }
        return fd;
    }

    /** {@code flock(fd, op)}; returns false instead of throwing when LOCK_NB finds the lock held. */
    boolean flock(int fd, int op) throws PosixException;

    void close(int fd);

    int geteuid();

    void kill(int pid, int signal) throws PosixException;

    /** The binding, loaded on first use. */
    static Posix get() {
        return JnaPosix.INSTANCE;
    }
}
