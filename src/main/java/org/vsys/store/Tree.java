package org.vsys.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A directory object: its entries, sorted by name bytes. Its id is the SHA-256 of its text. */
public final class Tree {
    static final String HEADER = "vsys-tree 1";
    public final List<Entry> entries;
    private Map<String, Entry> byKey;

    public Tree(List<Entry> entries) {
        this.entries = entries;
    }

    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (Entry e : entries) {
            sb.append(e.line()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public static Tree parse(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII);
        String[] lines = s.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a tree object");
        }
        List<Entry> es = new ArrayList<>(lines.length - 1);
        for (int i = 1; i < lines.length; i++) {
            es.add(Entry.parse(lines[i]));
        }
        return new Tree(es);
    }

    /**
     * A tree object read for a snapshot's comparison: only its lines' names are looked at up front;
     * a line is parsed when the snapshot looks its name up (every line at most once), straight
     * from the bytes by {@link TreeLine}.
     */
    public static final class Index {
        private final byte[] b;
        private final Map<String, Integer> lines;
        private final int count;

        Index(byte[] b) {
            this.b = b;
            int h = HEADER.length();
            if (b.length <= h || b[h] != '\n' || !new String(b, 0, h, StandardCharsets.US_ASCII).equals(HEADER)) {
                throw new IllegalArgumentException("not a tree object");
            }
            Map<String, Integer> m = new HashMap<>();
            int n = 0;
            int pos = h + 1;
            while (pos < b.length) {
                int eol = pos;
                int sp = -1;
                boolean plain = true;
                while (eol < b.length && b[eol] != '\n') {
                    byte c = b[eol];
                    if (c == ' ') {
                        sp = eol;
                        plain = true;
                    } else if (c == '%' || c == ',' || c == '=') {
                        plain = false; // escaped, or a character Escape.of would escape
                    }
                    eol++;
                }
                String key = new String(b, sp + 1, eol - sp - 1, StandardCharsets.US_ASCII);
                if (!plain) {
                    try {
                        key = Escape.of(Escape.parse(key)); // the form Entry.key() gives
                    } catch (IllegalArgumentException e) {
                        // a bad line: Entry.parse says so when it is looked up
                    }
                }
                m.put(key, pos);
                n++;
                pos = eol + 1;
            }
            // String.split("\n") drops trailing empty lines: so does Tree.parse's count
            this.lines = m;
            this.count = n;
        }

        /** The number of lines (entries). */
        public int size() {
            return count;
        }

        /** The tree ids of the subdirectories (the REF of every line of kind d; a line that does not parse is left out). */
        public java.util.List<String> subtrees() {
            java.util.List<String> out = new java.util.ArrayList<>();
            for (int from : lines.values()) {
                if (b[from] == 'd') {
                    int to = from;
                    while (to < b.length && b[to] != '\n') {
                        to++;
                    }
                    try {
                        out.add(TreeLine.entry(b, from, to).ref);
                    } catch (IllegalArgumentException e) {
                        // Entry.parse says so when the walk looks it up
                    }
                }
            }
            return out;
        }

        /** The entry named key (escaped, as {@link Entry#key}), or null. */
        public Entry get(String key) {
            Integer at = lines.get(key);
            if (at == null) {
                return null;
            }
            int from = at;
            int to = from;
            while (to < b.length && b[to] != '\n') {
                to++;
            }
            return TreeLine.entry(b, from, to);
        }
    }

    public Entry get(String key) {
        if (byKey == null) {
            byKey = new HashMap<>(entries.size() * 2);
            for (Entry e : entries) {
                byKey.put(e.key(), e);
            }
        }
        return byKey.get(key);
    }
}
