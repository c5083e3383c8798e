package org.vsys.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One line of a tree object: a directory entry with the metadata the store keeps.
 * <pre>kind mode uid gid mtime size ref xattrs name</pre>
 * kind: f regular file, d directory, l symlink, c/b device, p fifo, s socket; mode: octal 07777
 * bits; mtime: seconds.nanoseconds; ref: f {@code <object id>:<content sha256>}, d the tree id,
 * l the escaped target, c/b the device number, p/s "-"; xattrs: "-" or
 * {@code name=value,...} escaped, sorted by name; name: escaped bytes (the last word).
 */
public final class Entry {
    public char kind;
    public int mode;
    public int uid;
    public int gid;
    public long mtimeSec;
    public int mtimeNsec;
    public long size;
    public String ref = "-";
    /** Sorted by name; each element {name, value}. Empty when none. */
    public List<byte[][]> xattrs = List.of();
    public byte[] name;
    /** Walk-only: device and inode of the source (not stored). */
    public transient long dev;
    public transient long ino;
    public transient long nlink;

    public String key() {
        return Escape.of(name);
    }

    public String objectId() {
        int i = ref.indexOf(':');
        return i < 0 ? null : ref.substring(0, i);
    }

    public String contentHash() {
        int i = ref.indexOf(':');
        return i < 0 ? null : ref.substring(i + 1);
    }

    public String xattrWord() {
        if (xattrs.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (byte[][] x : xattrs) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(Escape.of(x[0])).append('=').append(Escape.of(x[1]));
        }
        return sb.toString();
    }

    public String mtimeWord() {
        // not String.format: a Formatter per call, thousands of times per snapshot, cold
        String n = Integer.toString(mtimeNsec);
        return mtimeSec + (n.length() >= 9 ? "." : ZEROS[9 - n.length()]) + n;
    }

    /** "." followed by 0-8 zeros: the padding of the nanoseconds in {@link #mtimeWord}. */
    private static final String[] ZEROS = {".", ".0", ".00", ".000", ".0000", ".00000", ".000000", ".0000000", ".00000000"};

    public String line() {
        return kind + " " + Integer.toOctalString(mode) + " " + uid + " " + gid + " " + mtimeWord() + " " + size + " " + ref + " "
                + xattrWord() + " " + Escape.of(name);
    }

    public static Entry parse(String line) {
        String[] w = line.split(" ", -1);
        if (w.length != 9 || w[0].length() != 1) {
            throw new IllegalArgumentException("bad tree entry: " + line);
        }
        Entry e = new Entry();
        e.kind = w[0].charAt(0);
        if ("fdlcbps".indexOf(e.kind) < 0) {
            throw new IllegalArgumentException("bad kind in tree entry: " + line);
        }
        e.mode = Integer.parseInt(w[1], 8);
        e.uid = Integer.parseInt(w[2]);
        e.gid = Integer.parseInt(w[3]);
        int dot = w[4].indexOf('.');
        e.mtimeSec = Long.parseLong(w[4].substring(0, dot));
        e.mtimeNsec = Integer.parseInt(w[4].substring(dot + 1));
        e.size = Long.parseLong(w[5]);
        e.ref = w[6];
        if (!w[7].equals("-")) {
            List<byte[][]> xs = new ArrayList<>();
            for (String kv : w[7].split(",")) {
                int eq = kv.indexOf('=');
                xs.add(new byte[][] {Escape.parse(kv.substring(0, eq)), Escape.parse(kv.substring(eq + 1))});
            }
            e.xattrs = xs;
        }
        e.name = Escape.parse(w[8]);
        return e;
    }

    /**
     * {@link #parse} of the line in b[from, to) for the common case: no xattrs, decimal numbers
     * without a sign, a name of plain characters. Null for anything else (the caller then uses
     * {@link #parse}, which gives the same entry or rejects the line).
     */
    static Entry parseFast(byte[] b, int from, int to) {
        int[] sp = new int[8];
        int n = 0;
        for (int i = from; i < to; i++) {
            if (b[i] == ' ') {
                if (n == 8) {
                    return null;
                }
                sp[n++] = i;
            }
        }
        if (n != 8 || sp[0] != from + 1 || sp[7] - sp[6] != 2 || b[sp[6] + 1] != '-') {
            return null; // not 9 words, or xattrs
        }
        Entry e = new Entry();
        e.kind = (char) (b[from] & 0xff);
        if ("fdlcbps".indexOf(e.kind) < 0) {
            return null;
        }
        long mode = digits(b, sp[0] + 1, sp[1], 8, 10);
        long uid = digits(b, sp[1] + 1, sp[2], 10, 9);
        long gid = digits(b, sp[2] + 1, sp[3], 10, 9);
        int dot = sp[3] + 1;
        while (dot < sp[4] && b[dot] != '.') {
            dot++;
        }
        long sec = digits(b, sp[3] + 1, dot, 10, 18);
        long nsec = sp[4] - dot - 1 == 9 ? digits(b, dot + 1, sp[4], 10, 9) : -1;
        long size = digits(b, sp[4] + 1, sp[5], 10, 18);
        if (mode < 0 || uid < 0 || gid < 0 || sec < 0 || nsec < 0 || size < 0) {
            return null;
        }
        for (int i = sp[7] + 1; i < to; i++) {
            int c = b[i] & 0xff;
            if (c <= 0x20 || c >= 0x7f || c == '%' || c == ',' || c == '=') {
                return null;
            }
        }
        if (to == sp[7] + 1) {
            return null;
        }
        e.mode = (int) mode;
        e.uid = (int) uid;
        e.gid = (int) gid;
        e.mtimeSec = sec;
        e.mtimeNsec = (int) nsec;
        e.size = size;
        e.ref = new String(b, sp[5] + 1, sp[6] - sp[5] - 1, StandardCharsets.US_ASCII);
        e.name = Arrays.copyOfRange(b, sp[7] + 1, to);
        return e;
    }

    /** The unsigned number in b[from, to) in radix 8 or 10, at most max digits; -1 if it is not one. */
    private static long digits(byte[] b, int from, int to, int radix, int max) {
        if (to <= from || to - from > max) {
            return -1;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d >= radix) {
                return -1;
            }
            v = v * radix + d;
        }
        return v;
    }

    /** The same metadata (everything the object id covers, apart from the content). */
    public boolean sameMeta(Entry o) {
        return kind == o.kind && mode == o.mode && uid == o.uid && gid == o.gid && mtimeSec == o.mtimeSec
                && mtimeNsec == o.mtimeNsec && size == o.size && xattrWord().equals(o.xattrWord());
    }

    /**
     * The id of a file object: SHA-256 over the content's SHA-256 and the metadata the object file
     * carries. mtime is included because objects are the very inodes that checkouts hard-link: a
     * checkout shows the object's own mtime, so two files that differ only in mtime must be two
     * objects or one of them would be shown with the wrong time (and the tests compare mtime).
     * atime is left out (it changes on every read and no OS tree depends on it).
     */
    public static String fileId(Entry e, String contentHash) {
        String h = "vsys-file 1\nmode " + Integer.toOctalString(e.mode) + "\nuid " + e.uid + "\ngid " + e.gid + "\nmtime "
                + e.mtimeWord() + "\nsize " + e.size + "\nxattrs " + e.xattrWord() + "\ncontent " + contentHash + "\n";
        return Hashing.sha256(h.getBytes(StandardCharsets.US_ASCII));
    }

    /** The entry's line without its name: all a symlink object carries (see {@link #symlinkId}). */
    public String linePrefix() {
        return kind + " " + Integer.toOctalString(mode) + " " + uid + " " + gid + " " + mtimeWord() + " " + size + " " + ref + " "
                + xattrWord();
    }

    /**
     * The id of a symlink object ({@code objects/XX/REST.symlink}): a symlink inode with the
     * entry's target, owner, mtime and xattrs that checkouts hard-link instead of making a new
     * symlink (a new inode costs far more than a link). SHA-256 of "vsys-symlink 1\n" and the
     * entry's line without its name, so a checkout computes it from the tree's bytes. Not named
     * in trees: a missing symlink object is no damage, the checkout then makes the symlink.
     */
    public static String symlinkId(Entry e) {
        return Hashing.sha256((SYMLINK_HEADER + e.linePrefix()).getBytes(StandardCharsets.US_ASCII));
    }

    static final String SYMLINK_HEADER = "vsys-symlink 1\n";

    public static int compareNames(Entry a, Entry b) {
        return Arrays.compareUnsigned(a.name, b.name);
    }

    public boolean isDir() {
        return kind == 'd';
    }
}
