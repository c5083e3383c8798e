package org.vsys.mount;

import java.util.ArrayList;
import java.util.List;

/**
 * The order in which to take down everything mounted at or under a directory: a mount only after
 * all its children (by parent id), and of the mounts that are leaves the latest first, so that a
 * mount stacked over another goes before the one it hides. Each step is therefore an unmount of
 * the mount visible at that path.
 */
public final class UnmountPlan {
    private UnmountPlan() {
    }

    public static List<MountTable.Mount> of(MountTable table, String dir) {
        List<MountTable.Mount> left = new ArrayList<>(table.atOrUnder(dir));
        List<MountTable.Mount> out = new ArrayList<>(left.size());
        while (!left.isEmpty()) {
            MountTable.Mount pick = null;
            for (MountTable.Mount m : left) {
                boolean leaf = true;
                for (MountTable.Mount c : left) {
                    if (c.parentId() == m.id() && c != m) {
                        leaf = false;
                        break;
                    }
                }
                if (leaf && (pick == null || m.index() > pick.index())) {
                    pick = m;
                }
            }
            if (pick == null) { // a cycle cannot happen in a real table; fall back to table order
                pick = left.get(left.size() - 1);
            }
            left.remove(pick);
            out.add(pick);
        }
        return out;
    }

    /**
     * For a lazy detach: only the mounts at or under {@code dir} whose parent is not itself there
     * (the tops of the subtrees), the latest first. MNT_DETACH on a top takes its whole subtree
     * with it, and no path below a top is ever looked up: a child reached by path through a dead
     * hard NFS mount would hang in revalidation, the top itself does not (umount's lookup of
     * the last component does not revalidate).
     */
    public static List<MountTable.Mount> tops(MountTable table, String dir) {
        List<MountTable.Mount> under = table.atOrUnder(dir);
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (MountTable.Mount m : under) {
            ids.add(m.id());
        }
        List<MountTable.Mount> out = new ArrayList<>();
        for (MountTable.Mount m : under) {
            if (!ids.contains(m.parentId()) || m.parentId() == m.id()) {
                out.add(m);
            }
        }
        out.sort((a, b) -> Integer.compare(b.index(), a.index()));
        return out;
    }
}
