package org.vsys.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.vsys.mount.MountTable;

/**
 * Mounts under a system's directory that vsys did not make and that hold a filesystem found
 * nowhere else in the mount table (a tmpfs mounted by hand inside {@code R/<name>}): unmounting
 * the last mount of such a filesystem throws its files away, so destroy refuses unless forced.
 * A bind of a host directory, a copy made by a recursive bind, the system's own NFS and sshfs
 * mounts are all safe to unmount (their files live on elsewhere).
 */
public final class HandMadeMounts {
    private HandMadeMounts() {
    }

    /**
     * The mount points at or under {@code dir}, other than {@code ours}, whose filesystem is mounted
     * nowhere outside {@code dir}.
     */
    public static List<String> onlyHere(String dir, Set<String> ours) {
        List<MountTable.Mount> all;
        try {
            all = MountTable.read().mounts();
        } catch (RuntimeException e) {
            return List.of(); // unreadable: nothing found (destroy's own unmount plan reads it again)
        }
        return onlyHere(all, dir, ours);
    }

    /** The same for the mount table given as the text of a mountinfo file. */
    public static List<String> onlyHere(String mountinfo, String dir, Set<String> ours) {
        return onlyHere(MountTable.parse(mountinfo).mounts(), dir, ours);
    }

    private static List<String> onlyHere(List<MountTable.Mount> all, String dir, Set<String> ours) {
        List<String> out = new ArrayList<>();
        for (MountTable.Mount m : all) {
            if (!under(m.mountPoint(), dir) || ours.contains(m.mountPoint())) {
                continue;
            }
            if (m.fsType().startsWith("nfs") || m.fsType().startsWith("fuse.sshfs")) {
                continue; // network filesystems: the files are on the server
            }
            boolean elsewhere = false;
            for (MountTable.Mount o : all) {
                if (o.device().equals(m.device()) && !under(o.mountPoint(), dir)) {
                    elsewhere = true;
                    break;
                }
            }
            if (!elsewhere) {
                out.add(m.mountPoint() + " (" + m.fsType() + ")");
            }
        }
        return out;
    }

    private static boolean under(String p, String dir) {
        return p.equals(dir) || p.startsWith(dir + "/");
    }
}
