package org.vsys.layer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What a layer changed against its lower tree, read from the upper directory alone (the overlay is
 * mounted with metacopy and redirect_dir off, so every changed entry is whole in the upper):
 * an entry only in the upper is added; a whiteout of a lower entry is deleted; a directory that
 * replaced a lower one (opaque) has the lower entries it hides deleted; an entry of another kind
 * or other content than the lower one is modified; same content but another owner, mode or (for
 * a non-directory) mtime is a metadata change. A directory copied up only because something below
 * it changed is not itself a change. Paths are absolute inside the system, in sorted order.
 */
public final class Diff {
    public enum Kind {
        ADDED('A', "added"), MODIFIED('M', "modified"), DELETED('D', "deleted"), METADATA('P', "metadata");

        public final char letter;
        public final String word;

        Kind(char letter, String word) {
            this.letter = letter;
            this.word = word;
        }
    }

    public record Change(Kind kind, String path) {
        @Override
        public String toString() {
            return kind.letter + " " + path;
        }
    }

    private final List<Change> out = new ArrayList<>();

    private Diff() {
    }

    /** The changes of {@code upper} over {@code lower}. */
    public static List<Change> of(Path upper, Path lower) throws IOException {
        Diff d = new Diff();
        d.dir("", upper, lower, true, false);
        return d.out;
    }

    static TreeSet<String> names(Path dir) throws IOException {
        TreeSet<String> s = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                s.add(p.getFileName().toString());
            }
        }
        return s;
    }

    /** The children of upper dir {@code up}; {@code hasLower}: {@code lo} is a lower directory; {@code opaque}: it is hidden. */
    private void dir(String rel, Path up, Path lo, boolean hasLower, boolean opaque) throws IOException {
        TreeSet<String> names = names(up);
        if (hasLower && opaque) {
            for (String n : names(lo)) {
                if (!names.contains(n)) {
                    out.add(new Change(Kind.DELETED, rel + "/" + n));
                }
            }
        }
        for (String n : names) {
            entry(rel + "/" + n, up.resolve(n), lo.resolve(n), hasLower);
        }
    }

    private void entry(String rel, Path up, Path lo, boolean hasLower) throws IOException {
        Node u = Node.of(up, true);
        if (u == null) {
            return; // vanished meanwhile
        }
        Node l = hasLower ? Node.of(lo, false) : null;
        if (u.kind == 'w') {
            if (l != null) {
                out.add(new Change(Kind.DELETED, rel));
            }
            return;
        }
        if (u.isDir()) {
            if (l == null) {
                out.add(new Change(Kind.ADDED, rel));
                dir(rel, up, lo, false, false);
            } else if (!l.isDir()) {
                out.add(new Change(Kind.MODIFIED, rel));
                dir(rel, up, lo, false, false);
            } else {
                if (!u.sameOwnerMode(l)) {
                    out.add(new Change(Kind.METADATA, rel));
                }
                dir(rel, up, lo, true, u.opaque);
            }
            return;
        }
        if (l == null) {
            out.add(new Change(Kind.ADDED, rel));
        } else if (!Node.sameContent(u, up, l, lo)) {
            out.add(new Change(Kind.MODIFIED, rel));
        } else if (!u.sameOwnerMode(l) || (u.kind != 'l' && !u.mtime.equals(l.mtime))) {
            out.add(new Change(Kind.METADATA, rel));
        }
    }
}
