package org.vsys.linux;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/** The JNA binding behind {@link Posix}. Private to this package; nothing else sees JNA. */
final class JnaPosix implements Posix {

    static {
        avoidLdconfig();
    }

    static final JnaPosix INSTANCE = new JnaPosix();

    /**
     * JNA's {@code NativeLibrary} runs {@code /sbin/ldconfig -p} (a child process, about 15 ms plus
     * the spawn) when it is first initialised, only to add ld.so.cache's directories to its search
     * path, unless {@code jna.platform.library.path} is set. libc never needs that path (JNA opens
     * the running process for "c") and any other library JNA does not find on it is still opened
     * by name through the dynamic loader, which reads ld.so.cache itself. So: the directories JNA
     * puts first anyway, without asking ldconfig. An explicit -Djna.platform.library.path wins.
     */
    static void avoidLdconfig() {
        if (System.getProperty("jna.platform.library.path") != null) {
            return;
        }
        String arch = System.getProperty("os.arch", "");
        String multiarch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            default -> null;
        };
        String path = (multiarch == null ? "" : "/usr/lib/" + multiarch + ":/lib/" + multiarch + ":")
                + "/usr/lib64:/lib64:/usr/lib:/lib";
        System.setProperty("jna.platform.library.path", path);
    }

    /** x86_64 and aarch64 (asm-generic) share the numbers of the new mount API. */
    private static final long SYS_MOUNT_SETATTR = 442;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_RECURSIVE = 0x8000;

    private interface LibC extends Library {
        int mount(String source, String target, String fstype, NativeLong flags, String data);

        int umount2(String target, int flags);

        int rmdir(String path);

        int open(String path, int flags, int mode);

        int openat(int dirfd, String name, int flags);

        int flock(int fd, int op);

        int close(int fd);

        int geteuid();

        int kill(int pid, int sig);

        NativeLong syscall(NativeLong number, Object... args);

        String strerror(int errnum);
    }

    private final LibC libc = Native.load("c", LibC.class);

    private JnaPosix() {
    }

    private PosixException error(String call, String path) {
        int errno = Native.getLastError();
        String msg;
        try {
            msg = libc.strerror(errno);
        } catch (RuntimeException e) {
            msg = "errno " + errno;
        }
        return new PosixException(call, path, errno, msg);
    }

    @Override
    public void mount(String source, String target, String fstype, long flags, String data) throws PosixException {
        if (libc.mount(source, target, fstype, new NativeLong(flags), data) != 0) {
            throw error("mount", target);
        }
    }

    @Override
    public void umount2(String target, int flags) throws PosixException {
        if (libc.umount2(target, flags) != 0) {
            throw error("umount2", target);
        }
    }

    @Override
    public void mountSetattr(String path, boolean recursive, long attrSet, long attrClear, long propagation)
            throws PosixException {
        // struct mount_attr { __u64 attr_set, attr_clr, propagation, userns_fd; }
        Memory attr = new Memory(32);
        attr.setLong(0, attrSet);
        attr.setLong(8, attrClear);
        attr.setLong(16, propagation);
        attr.setLong(24, 0);
        int flags = AT_SYMLINK_NOFOLLOW | (recursive ? AT_RECURSIVE : 0);
        long r = libc.syscall(new NativeLong(SYS_MOUNT_SETATTR), new NativeLong(AT_FDCWD), path, new NativeLong(flags), (Pointer) attr,
                new NativeLong(32)).longValue();
        if (r != 0) {
            throw error("mount_setattr", path);
        }
    }

    @Override
    public void rmdir(String path) throws PosixException {
        if (libc.rmdir(path) != 0) {
            throw error("rmdir", path);
        }
    }

    @Override
    public int open(String path, int flags, int mode) throws PosixException {
        int fd = libc.open(path, flags, mode);
        if (fd < 0) {
            throw error("open", path);
        }
        return fd;
    }

    @Override
    public int openat(int dirfd, String name, int flags) throws PosixException {
        int fd = libc.openat(dirfd, name, flags);
        if (fd < 0) {
            throw error("openat", name);
        }
        return fd;
    }

    @Override
    public boolean flock(int fd, int op) throws PosixException {
        if (libc.flock(fd, op) != 0) {
            int errno = Native.getLastError();
            if (errno == Errno.EWOULDBLOCK && (op & LOCK_NB) != 0) {
                return false;
            }
            throw new PosixException("flock", "fd " + fd, errno, libc.strerror(errno));
        }
        return true;
    }

    @Override
    public void close(int fd) {
        libc.close(fd);
    }

    @Override
    public int geteuid() {
        return libc.geteuid();
    }

    @Override
    public void kill(int pid, int signal) throws PosixException {
        if (libc.kill(pid, signal) != 0) {
            throw error("kill", Integer.toString(pid));
        }
    }
}
