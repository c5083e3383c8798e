package org.vsys.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one parser of a tree line (the format {@link Entry#line()} writes, docs/DESIGN.md "store
 * formats"): nine words separated by single spaces,
 * <pre>kind mode uid gid sec.nsec size ref xattrs name</pre>
 * kind one of {@code fdlcbps}; mode octal digits; uid, gid, sec and size decimal with an optional
 * '-'; nsec decimal digits; ref any word (its shape depends on the kind and is checked by whoever
 * uses it); xattrs "-" or {@code name=value,...} escaped; name escaped ({@link Escape}).
 * Parses straight from the bytes of a tree object, without Strings: a checkout reuses one per
 * directory; {@link #entry} builds the {@link Entry} where one is needed. Every bad line is an
 * {@link IllegalArgumentException}.
 */
public final class TreeLine {
    public char kind;
    public int mode;
    public int uid;
    public int gid;
    public long sec;
    public int nsec;
    public long size;
    private byte[] b;
    private int from;
    private int refFrom;
    private int refTo;
    private int xattrsFrom;
    private int xattrsTo;
    private int nameFrom;
    private int nameTo;

    /** Parses b[from, to) (one line, without its '\n'); returns this. */
    public TreeLine parse(byte[] bytes, int start, int end) {
        this.b = bytes;
        this.from = start;
        int[] sp = new int[8];
        int n = 0;
        for (int i = start; i < end; i++) {
            if (bytes[i] == ' ') {
                if (n == 8) {
                    throw bad("not 9 words", start, end);
                }
                sp[n++] = i;
            }
        }
        if (n != 8) {
            throw bad("not 9 words", start, end);
        }
        if (sp[0] != start + 1 || "fdlcbps".indexOf((char) (bytes[start] & 0xff)) < 0) {
            throw bad("bad kind", start, end);
        }
        kind = (char) (bytes[start] & 0xff);
        mode = (int) number(sp[0] + 1, sp[1], 8, false, Integer.MAX_VALUE, start, end);
        uid = (int) number(sp[1] + 1, sp[2], 10, true, Integer.MAX_VALUE, start, end);
        gid = (int) number(sp[2] + 1, sp[3], 10, true, Integer.MAX_VALUE, start, end);
        int dot = sp[3] + 1;
        while (dot < sp[4] && bytes[dot] != '.') {
            dot++;
        }
        if (dot == sp[4]) {
            throw bad("bad mtime", start, end);
        }
        sec = number(sp[3] + 1, dot, 10, true, Long.MAX_VALUE, start, end);
        nsec = (int) number(dot + 1, sp[4], 10, false, Integer.MAX_VALUE, start, end);
        size = number(sp[4] + 1, sp[5], 10, true, Long.MAX_VALUE, start, end);
        refFrom = sp[5] + 1;
        refTo = sp[6];
        xattrsFrom = sp[6] + 1;
        xattrsTo = sp[7];
        nameFrom = sp[7] + 1;
        nameTo = end;
        if (xattrsTo == xattrsFrom) {
            throw bad("bad xattrs", start, end);
        }
        return this;
    }

    /** The entry of the line in b[from, to). */
    public static Entry entry(byte[] b, int from, int to) {
        return new TreeLine().parse(b, from, to).entry();
    }

    /** The parsed line as an Entry (xattrs and name unescaped). */
    public Entry entry() {
        Entry e = new Entry();
        e.kind = kind;
        e.mode = mode;
        e.uid = uid;
        e.gid = gid;
        e.mtimeSec = sec;
        e.mtimeNsec = nsec;
        e.size = size;
        e.ref = new String(b, refFrom, refTo - refFrom, StandardCharsets.US_ASCII);
        if (hasXattrs()) {
            List<byte[][]> xs = new ArrayList<>();
            int i = xattrsFrom;
            while (i <= xattrsTo) {
                int comma = i;
                while (comma < xattrsTo && b[comma] != ',') {
                    comma++;
                }
                int eq = i;
                while (eq < comma && b[eq] != '=') {
                    eq++;
                }
                if (eq == comma) {
                    throw bad("bad xattrs", from, nameTo);
                }
                xs.add(new byte[][] {Escape.parse(b, i, eq, false), Escape.parse(b, eq + 1, comma, false)});
                i = comma + 1;
            }
            e.xattrs = xs;
        }
        e.name = Escape.parse(b, nameFrom, nameTo, false);
        return e;
    }

    public boolean hasXattrs() {
        return !(xattrsTo - xattrsFrom == 1 && b[xattrsFrom] == '-');
    }

    /** The ref word's bounds in the parsed array. */
    public int refFrom() {
        return refFrom;
    }

    public int refTo() {
        return refTo;
    }

    /** Where the name starts: the words before it (and the space) are what a symlink id hashes. */
    public int nameFrom() {
        return nameFrom;
    }

    public int nameTo() {
        return nameTo;
    }

    /** A number of at most max in radix, with a leading '-' where signed. */
    private long number(int at, int to, int radix, boolean signed, long max, int start, int end) {
        boolean neg = signed && at < to && b[at] == '-';
        int i = neg ? at + 1 : at;
        if (i >= to) {
            throw bad("bad number", start, end);
        }
        long v = 0;
        for (; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d >= radix || v > (max - d) / radix) {
                throw bad("bad number", start, end);
            }
            v = v * radix + d;
        }
        return neg ? -v : v;
    }

    private IllegalArgumentException bad(String why, int start, int end) {
        return new IllegalArgumentException(why + " in tree entry: " + new String(b, start, end - start, StandardCharsets.US_ASCII));
    }
}
