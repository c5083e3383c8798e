package org.vsys.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The trees a commit adds to its parent, each written as the lines it adds to and removes from the
 * tree at the same path in the parent (docs/DESIGN.md "Tree delta"): what a pull of a commit whose
 * parent it has fetches instead of those trees whole (OSTree's static delta, for the trees only;
 * contents are fetched as they are). The one reader and writer of the format. A rebuilt tree is
 * only as good as its hash: {@link #rebuild} returns bytes the caller checks against the tree id.
 */
public final class TreeDelta {
    static final String HEADER = "vsys-delta 1";

    /** One tree of the delta: its id, the tree it is rebuilt from (null: none) and the changes. */
    public static final class Change {
        public final String id;
        public final String base;
        /** Names (escaped) of the base's entries left out. */
        public final List<String> removed = new ArrayList<>();
        /** Tree lines added, or replacing the base's entry of the same name. */
        public final List<String> added = new ArrayList<>();

        Change(String id, String base) {
            this.id = id;
            this.base = base;
        }
    }

    public final String from;
    public final String to;
    public final Map<String, Change> trees = new LinkedHashMap<>();

    private TreeDelta(String from, String to) {
        this.from = from;
        this.to = to;
    }

    /** Its name in a published store: {@code deltas/XX/REST-TO} (XXREST the parent commit). */
    public static String name(String from, String to) {
        return "deltas/" + from.substring(0, 2) + "/" + from.substring(2) + "-" + to;
    }

    /**
     * The delta from commit {@code from} to commit {@code to} of store: every tree of to's root that
     * is not the tree at the same path in from's, as the changes to that one (or whole when from has
     * no directory there). Gzip-compressed bytes.
     */
    public static byte[] make(Store store, String from, String to) throws IOException {
        TreeDelta d = new TreeDelta(from, to);
        d.diff(store, store.commit(to).root, store.commit(from).root);
        StringBuilder sb = new StringBuilder(HEADER).append("\nfrom ").append(from).append("\nto ").append(to).append('\n');
        for (Change c : d.trees.values()) {
            sb.append("tree ").append(c.id).append(' ').append(c.base == null ? "-" : c.base).append('\n');
            for (String n : c.removed) {
                sb.append("- ").append(n).append('\n');
            }
            for (String l : c.added) {
                sb.append("+ ").append(l).append('\n');
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private void diff(Store store, String tree, String base) throws IOException {
        if (tree.equals(base) || trees.containsKey(tree)) {
            return;
        }
        Change c = new Change(tree, base);
        trees.put(tree, c);
        Map<String, String> old = base == null ? Map.of() : lines(store.read(base, Store.TREE));
        Map<String, String> now = lines(store.read(tree, Store.TREE));
        for (String n : old.keySet()) {
            if (!now.containsKey(n)) {
                c.removed.add(n);
            }
        }
        for (Map.Entry<String, String> e : now.entrySet()) {
            String was = old.get(e.getKey());
            if (!e.getValue().equals(was)) {
                c.added.add(e.getValue());
            }
        }
        for (Map.Entry<String, String> e : now.entrySet()) {
            String l = e.getValue();
            if (l.charAt(0) == 'd') {
                String was = old.get(e.getKey());
                String wasTree = was != null && was.charAt(0) == 'd' ? word(was, 6) : null;
                diff(store, word(l, 6), wasTree);
            }
        }
    }

    /**
     * Parses a delta's gzip-compressed bytes, inflated to at most max bytes. Checks the form only
     * (ids are 64 hex digits, names are single words); the lines are checked where they are used.
     */
    public static TreeDelta parse(byte[] gz, long max) {
        byte[] b;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (IOException e) {
            throw new IllegalArgumentException("not gzip-compressed: " + e.getMessage());
        }
        if (b.length > max) {
            throw new IllegalArgumentException("more than " + max + " bytes inflated");
        }
        String[] ls = new String(b, StandardCharsets.US_ASCII).split("\n");
        if (ls.length < 3 || !ls[0].equals(HEADER) || !ls[1].startsWith("from ") || !ls[2].startsWith("to ")) {
            throw new IllegalArgumentException("not a tree delta");
        }
        TreeDelta d = new TreeDelta(id(ls[1].substring(5)), id(ls[2].substring(3)));
        Change c = null;
        for (int i = 3; i < ls.length; i++) {
            String l = ls[i];
            if (l.startsWith("tree ")) {
                String[] w = l.split(" ");
                if (w.length != 3) {
                    throw new IllegalArgumentException("bad line " + (i + 1));
                }
                c = new Change(id(w[1]), w[2].equals("-") ? null : id(w[2]));
                if (d.trees.put(c.id, c) != null) {
                    throw new IllegalArgumentException("tree " + c.id.substring(0, 12) + " given twice");
                }
            } else if (c != null && l.startsWith("- ") && l.indexOf(' ', 2) < 0 && l.length() > 2) {
                c.removed.add(l.substring(2));
            } else if (c != null && l.startsWith("+ ")) {
                c.added.add(l.substring(2));
            } else {
                throw new IllegalArgumentException("bad line " + (i + 1));
            }
        }
        return d;
    }

    /**
     * The bytes of tree c.id: base's lines (base the bytes of tree c.base, or null for none) without
     * those removed, with those added (replacing any of the same name), sorted by name. Not checked
     * against the id: the caller does that.
     */
    public static byte[] rebuild(Change c, byte[] base) {
        Map<String, String> ls = base == null ? new HashMap<>() : lines(base);
        for (String n : c.removed) {
            if (ls.remove(n) == null) {
                throw new IllegalArgumentException("removes '" + n + "', which its base does not have");
            }
        }
        for (String l : c.added) {
            int sp = l.lastIndexOf(' ');
            if (sp < 0) {
                throw new IllegalArgumentException("adds a line with no name");
            }
            ls.put(l.substring(sp + 1), l);
        }
        TreeMap<byte[], String> sorted = new TreeMap<>(Arrays::compareUnsigned);
        for (Map.Entry<String, String> e : ls.entrySet()) {
            if (sorted.put(Escape.parse(e.getKey()), e.getValue()) != null) {
                throw new IllegalArgumentException("names '" + e.getKey() + "' twice");
            }
        }
        StringBuilder sb = new StringBuilder(Tree.HEADER).append('\n');
        for (String l : sorted.values()) {
            sb.append(l).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A tree object's lines by name (the last word, escaped). */
    private static Map<String, String> lines(byte[] tree) {
        String[] ls = new String(tree, StandardCharsets.US_ASCII).split("\n");
        if (ls.length == 0 || !ls[0].equals(Tree.HEADER)) {
            throw new IllegalArgumentException("not a tree object");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 1; i < ls.length; i++) {
            m.put(ls[i].substring(ls[i].lastIndexOf(' ') + 1), ls[i]);
        }
        return m;
    }

    /** Word i (from 0) of a tree line. */
    private static String word(String line, int i) {
        return line.split(" ", 9)[i];
    }

    private static String id(String s) {
        if (!s.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not an id: " + (s.length() > 70 ? s.substring(0, 70) + "..." : s));
        }
        return s;
    }
}
