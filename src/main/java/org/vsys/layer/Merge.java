package org.vsys.layer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * OSTree's 3-way rule on a layer's merge paths ({@code layer.merge=}, /etc by default), applied to
 * a copy of the upper directory when the lower tree goes from {@code oldLower} to
 * {@code newLower}. For each entry the upper holds below a merge path (a local change):
 * <ul>
 * <li>the same as the old lower one (copied up, not changed): dropped, the new lower one shows;</li>
 * <li>upstream did not change it (old = new lower): kept (local only);</li>
 * <li>upstream made the same change: dropped;</li>
 * <li>otherwise changed on both sides (a deletion on either side counts as a change, and so does a
 * file replaced by a directory or a symlink): the local one is kept, and the new one, if there
 * is one, is saved beside it as {@code NAME.vsys-new} (dpkg's convention); a conflict is reported.</li>
 * </ul>
 * An entry the upper does not hold shows the new lower one (upstream only: taken). A directory the
 * upper merges with the lower one (not opaque) is merged entry by entry; one left empty that
 * upstream deleted, or whose owner and mode are the old ones, is dropped. Entries outside the
 * merge paths stay as they are. Ownership, mode and content are compared, not mtimes.
 */
public final class Merge {
    public record Conflict(String path, String what) {
        @Override
        public String toString() {
            return path + ": " + what;
        }
    }

    /** What the merge did: conflicts, and how many local entries were kept or dropped for upstream's. */
    public static final class Result {
        public final List<Conflict> conflicts = new ArrayList<>();
        public int keptLocal;
        public int dropped;
    }

    public static final String NEW_SUFFIX = ".vsys-new";

    private final Path upper;
    private final Path oldLower;
    private final Path newLower;
    private final Result result = new Result();

    private Merge(Path upper, Path oldLower, Path newLower) {
        this.upper = upper;
        this.oldLower = oldLower;
        this.newLower = newLower;
    }

    /** Merges in place in {@code upper} (a copy: the caller swaps it in only when this returns). */
    public static Result run(Path upper, Path oldLower, Path newLower, List<String> paths) throws IOException {
        Merge m = new Merge(upper, oldLower, newLower);
        for (String p : paths) {
            m.visit(p.substring(1));
        }
        return m.result;
    }

    private Path up(String rel) {
        return upper.resolve(rel);
    }

    private void visit(String rel) throws IOException {
        Path pu = up(rel);
        Node u = Node.of(pu, true);
        if (u == null) {
            return; // no local change here: the new lower shows
        }
        Path po = oldLower.resolve(rel);
        Path pn = newLower.resolve(rel);
        Node o = Node.of(po, false);
        Node n = Node.of(pn, false);
        if (u.isDir() && !u.opaque && (o == null || o.isDir())) {
            if (n != null && !n.isDir()) {
                conflict(rel, pn, "a directory here locally, upstream made it a " + kind(n) + ": local kept");
            }
            for (String c : Diff.names(pu)) {
                visit(rel + "/" + c);
            }
            if (o != null && Diff.names(pu).isEmpty() && (n == null || u.sameOwnerMode(o))) {
                Trees.remove(upper, pu);
            }
            return;
        }
        if (same(u, pu, o, po)) {
            Trees.remove(upper, pu); // copied up but not changed
            result.dropped++;
            return;
        }
        if (Trees.sameTree(po, pn)) {
            result.keptLocal++; // local only
            return;
        }
        if (same(u, pu, n, pn)) {
            Trees.remove(upper, pu); // the same change on both sides
            result.dropped++;
            return;
        }
        String local = u.kind == 'w' ? "deleted locally" : o == null ? "added locally" : "changed locally";
        String upstream = n == null ? "deleted upstream" : o == null ? "added upstream" : "changed upstream";
        conflict(rel, pn, local + ", " + upstream + ": local kept");
    }

    private void conflict(String rel, Path pn, String what) throws IOException {
        result.keptLocal++;
        if (Node.of(pn, false) != null) {
            Path save = up(rel + NEW_SUFFIX);
            Trees.remove(upper, save);
            Trees.copy(pn, save);
            what += ", new saved as /" + rel + NEW_SUFFIX;
        }
        result.conflicts.add(new Conflict("/" + rel, what));
    }

    private static String kind(Node n) {
        switch (n.kind) {
            case 'f': return "file";
            case 'd': return "directory";
            case 'l': return "symlink";
            default: return "special file";
        }
    }

    /** The upper entry {@code u} shows the same as lower entry {@code l} (null: absent). */
    private static boolean same(Node u, Path pu, Node l, Path pl) throws IOException {
        if (u.kind == 'w') {
            return l == null;
        }
        if (l == null || u.kind != l.kind || !u.sameOwnerMode(l) || !Node.sameContent(u, pu, l, pl)) {
            return false;
        }
        if (!u.isDir()) {
            return true;
        }
        // a directory that replaced the lower one as a whole (opaque): the same entries, whiteouts being none
        java.util.TreeSet<String> cu = new java.util.TreeSet<>();
        for (String c : Diff.names(pu)) {
            Node x = Node.of(pu.resolve(c), true);
            if (x != null && x.kind != 'w') {
                cu.add(c);
            }
        }
        if (!cu.equals(Diff.names(pl))) {
            return false;
        }
        for (String c : cu) {
            if (!same(Node.of(pu.resolve(c), true), pu.resolve(c), Node.of(pl.resolve(c), false), pl.resolve(c))) {
                return false;
            }
        }
        return true;
    }
}
