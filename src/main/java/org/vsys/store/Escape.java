package org.vsys.store;

/**
 * Bytes as one word of a store text object: printable ASCII other than space, '%', ',' and '='
 * as is, every other byte as %XX. Reversible for any byte string (names, link targets, xattrs).
 */
public final class Escape {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Escape() {
    }

    public static String of(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length + 8);
        for (byte x : b) {
            int c = x & 0xff;
            if (c > 0x20 && c < 0x7f && c != '%' && c != ',' && c != '=') {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            }
        }
        return sb.toString();
    }

    public static byte[] parse(String s) {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                throw new IllegalArgumentException("bad character in " + s);
            }
            b[i] = (byte) c;
        }
        return parse(b, 0, b.length, false);
    }

    /**
     * The one unescape: the bytes of the escaped word b[from, to), followed by a NUL when nul
     * (a C string for a system call). A character outside printable ASCII, or '%' not followed by
     * two hex digits, is an IllegalArgumentException.
     */
    public static byte[] parse(byte[] b, int from, int to, boolean nul) {
        byte[] out = new byte[to - from + (nul ? 1 : 0)];
        int n = 0;
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if (c == '%') {
                int hi = i + 2 < to ? hexDigit(b[i + 1]) : -1;
                int lo = hi >= 0 ? hexDigit(b[i + 2]) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException("bad escape in " + new String(b, from, to - from, java.nio.charset.StandardCharsets.US_ASCII));
                }
                out[n++] = (byte) (hi * 16 + lo);
                i += 2;
            } else if (c > 0x20 && c < 0x7f) {
                out[n++] = (byte) c;
            } else {
                throw new IllegalArgumentException("bad character in " + new String(b, from, to - from, java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        int len = n + (nul ? 1 : 0);
        return len == out.length ? out : java.util.Arrays.copyOf(out, len);
    }

    private static int hexDigit(byte c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    public static String hex(byte[] b) {
        char[] c = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = HEX[(b[i] >> 4) & 15];
            c[2 * i + 1] = HEX[b[i] & 15];
        }
        return new String(c);
    }
}
