package org.vsys.linux;

/** lstat through statx(2): the per-entry call of a snapshot's walk, without java.nio's attribute map. */
public interface Statx {
    /** Size of the buffer of {@link #lstat}: struct statx. */
    int SIZE = 256;

    /** Whether {@link #lstat} can be used (a libc and kernel with statx; not -Dvsys.statx=false). */
    boolean available();

    /**
     * statx(AT_SYMLINK_NOFOLLOW) of cpath into buf (SIZE bytes, struct statx in the native byte
     * order: mode u16 at 28, nlink/uid/gid u32 at 16/20/24, ino/size u64 at 32/40, mtime i64 sec
     * + u32 nsec at 112/120, rdev major/minor u32 at 128/132, dev at 136/140). Returns 0, or the
     * errno.
     */
    int lstat(byte[] cpath, byte[] buf);

    /** glibc's dev_t of a major and minor number (gnu_dev_makedev): what stat's st_dev/st_rdev hold. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    static Statx get() {
        return JnaFileCalls.INSTANCE;
    }
}
