package org.vsys.core;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.Installation;
import org.vsys.mount.MountTable;

/**
 * What destroy, the recovery of an interrupted operation and restore check before they touch a
 * system, so that they touch only what vsys made: {@code R/<name>} is a directory unless something
 * is mounted on it, and the launcher links of the system and of its aliases are vsys's own or absent.
 */
final class Ours {
    private Ours() {
    }

    /**
     * Returns whether {@code dir} is a mount point now. A mount point in mountinfo is the directory
     * vsys mounted on; only an unmounted path is looked at (an lstat through a dead hard NFS mount
     * would hang). Refuses (exit 15, the message ending in {@code "; " + unchanged}) otherwise.
     */
    static boolean check(Installation inst, Path dir, String name, List<AliasRecord> aliases, String unchanged)
            throws VsysException {
        boolean mounted = MountTable.read().isMountPoint(dir.toString());
        if (!mounted && Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new VsysException(ExitCode.UNSAFE, name, dir + " is not a directory (a symlink or file was put there); " + unchanged);
        }
        Links.checkOursOrAbsent(inst.link(name));
        for (AliasRecord a : aliases) {
            Links.checkOursOrAbsent(inst.link(a.name()));
        }
        return mounted;
    }

    /** Removes the launcher link of the system and those of its aliases (where they are vsys's), and the alias records. */
    static void removeLinks(Installation inst, Records records, String name, List<AliasRecord> aliases) throws VsysException {
        Links.removeIfOurs(inst.link(name));
        for (AliasRecord a : aliases) {
            Links.removeIfOurs(inst.link(a.name()));
            records.removeAlias(a.name());
        }
    }
}
