package org.vsys.mount;

import java.nio.file.Path;

import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.base.VsysException;

/** A way to bring one filesystem of a system to a mount point: NFS, sshfs or a local tree. */
public interface Transport {

    /**
     * Checks, before anything changes, that this machine can do it (kernel support, programs) and
     * that the source is usable (host name known, local path a directory). Bounded in time.
     */
    void check(FsEntry fs, MountContext ctx) throws VsysException;

    /**
     * Mounts {@code fs} at {@code target} (an existing directory). Returns the pid of a helper daemon
     * that must be stopped after the unmount (sshfs), or 0. On failure nothing stays mounted.
     */
    long mount(FsEntry fs, Path target, MountContext ctx) throws VsysException;

    static Transport of(SourceUrl.Kind kind) {
        switch (kind) {
            case NFS:
                return new NfsTransport();
            case SSH:
                return new SshfsTransport();
            default:
                return new DirTransport();
        }
    }
}
