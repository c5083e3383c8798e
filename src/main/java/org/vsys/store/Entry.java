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

    /** The entry of one tree line (the format of {@link #line()}; parsed by {@link TreeLine}). */
    public static Entry parse(String line) {
        byte[] b = new byte[line.length()];
        for (int i = 0; i < b.length; i++) {
            char c = line.charAt(i);
            b[i] = c < 0x80 ? (byte) c : (byte) 0x80; // not ASCII: refused as a bad character
        }
        return TreeLine.entry(b, 0, b.length);
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
