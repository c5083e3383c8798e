package org.vsys.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.vsys.config.FsEntry;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.linux.Errno;
import org.vsys.linux.Posix;
import org.vsys.linux.PosixException;

/**
 * A tree already on this machine (CHOS's case): a recursive bind mount, made read-only (unless rw),
 * nosuid and nodev (unless asked) on every mount of the copy at once with mount_setattr(2), and a
 * slave of its source, so nothing mounted inside the system leaks back into the source tree.
 */
public final class DirTransport implements Transport {

    private static Path source(FsEntry fs, MountContext ctx) throws VsysException {
        Path p = Path.of(fs.source().path());
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            throw new VsysException(ExitCode.BAD_SOURCE, fs.source().toString(), "no such directory");
        }
        if (!Files.isDirectory(real)) {
            throw new VsysException(ExitCode.BAD_SOURCE, fs.source().toString(), "not a directory");
        }
        Path root = ctx.installation().root();
        if (real.startsWith(root)) {
            throw new VsysException(ExitCode.BAD_SOURCE, fs.source().toString(),
                    "is inside " + root + " (a system cannot be made from vsys's own tree)");
        }
        return real;
    }

    @Override
    public void check(FsEntry fs, MountContext ctx) throws VsysException {
        source(fs, ctx);
    }

    @Override
    public long mount(FsEntry fs, Path target, MountContext ctx) throws VsysException {
        Path src = source(fs, ctx);
        Posix posix = Posix.get();
        String t = target.toString();
        // mount onto the directory itself, reached without following any symlink
        int fd;
        try {
            fd = posix.openDirectoryNoFollow(t);
        } catch (PosixException e) {
            throw new VsysException(ExitCode.UNSAFE, t, "mount point not reachable without following a symlink: " + e.reason(), e);
        }
        try {
            posix.mount(src.toString(), "/proc/self/fd/" + fd, null, Posix.MS_BIND | Posix.MS_REC, null);
        } catch (PosixException e) {
            throw new VsysException(ExitCode.MOUNT_FAILED, t, "bind mount of " + src + " failed: " + e.reason(), e);
        } finally {
            posix.close(fd);
        }
        MountTable.Mount made = MountTable.read().at(t);
        if (made == null) {
            throw new VsysException(ExitCode.UNSAFE, t, "the bind mount did not land at " + t + " (the path changed meanwhile)");
        }
        long set = (fs.readOnly() ? Posix.MOUNT_ATTR_RDONLY : 0) | (fs.suid() ? 0 : Posix.MOUNT_ATTR_NOSUID)
                | (fs.dev() ? 0 : Posix.MOUNT_ATTR_NODEV);
        try {
            try {
                posix.mountSetattr(t, true, set, 0, Posix.MS_SLAVE);
            } catch (PosixException e) {
                if (e.errno() != Errno.ENOSYS) {
                    throw e;
                }
                legacyRestrict(posix, t, fs);
            }
        } catch (PosixException e) {
            try {
                posix.umount2(t, Posix.MNT_DETACH | Posix.UMOUNT_NOFOLLOW);
            } catch (PosixException ignored) {
                // reported below
            }
            throw new VsysException(ExitCode.MOUNT_FAILED, t, "cannot restrict the bind mount: " + e.reason(), e);
        }
        ctx.debug("bound " + src + " at " + t + (fs.readOnly() ? " read-only" : " read-write"));
        return 0;
    }

    /** Kernels before 5.12: remount each mount of the copy, then make the copy a slave. */
    private static void legacyRestrict(Posix posix, String t, FsEntry fs) throws PosixException {
        long flags = Posix.MS_REMOUNT | Posix.MS_BIND | (fs.readOnly() ? Posix.MS_RDONLY : 0)
                | (fs.suid() ? 0 : Posix.MS_NOSUID) | (fs.dev() ? 0 : Posix.MS_NODEV);
        for (MountTable.Mount m : MountTable.read().atOrUnder(t)) {
            long keep = m.options().contains("noexec") ? Posix.MS_NOEXEC : 0;
            posix.mount(null, m.mountPoint(), null, flags | keep, null);
        }
        posix.mount(null, t, null, Posix.MS_REC | Posix.MS_SLAVE, null);
    }
}
