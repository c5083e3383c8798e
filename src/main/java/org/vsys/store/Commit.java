package org.vsys.store;

import java.nio.charset.StandardCharsets;

/** A commit object: one snapshot of one system. Its id is the SHA-256 of its text. */
public final class Commit {
    static final String HEADER = "vsys-commit 1";
    public String system;
    public String parent = "-";
    public String time;
    public String source;
    public String root;
    public Entry rootMeta;
    public long files;
    public long bytes;

    public byte[] toBytes() {
        return (HEADER + "\nsystem " + system + "\nparent " + parent + "\ntime " + time + "\nsource " + source + "\nroot " + root
                + "\nrootmeta " + rootMeta.line() + "\nfiles " + files + "\nbytes " + bytes + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public static Commit parse(byte[] b) {
        String[] lines = new String(b, StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a commit object");
        }
        Commit c = new Commit();
        for (int i = 1; i < lines.length; i++) {
            int sp = lines[i].indexOf(' ');
            String k = lines[i].substring(0, sp);
            String v = lines[i].substring(sp + 1);
            switch (k) {
                case "system" -> c.system = v;
                case "parent" -> c.parent = v;
                case "time" -> c.time = v;
                case "source" -> c.source = v;
                case "root" -> c.root = v;
                case "rootmeta" -> c.rootMeta = Entry.parse(v);
                case "files" -> c.files = Long.parseLong(v);
                case "bytes" -> c.bytes = Long.parseLong(v);
                default -> {
                    // forward compatible
                }
            }
        }
        if (c.root == null || c.rootMeta == null || c.system == null) {
            throw new IllegalArgumentException("incomplete commit object");
        }
        return c;
    }

    public boolean hasParent() {
        return parent != null && !parent.equals("-");
    }
}
