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
