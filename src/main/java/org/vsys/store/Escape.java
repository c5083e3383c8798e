package org.vsys.store;

import java.io.ByteArrayOutputStream;

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
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("bad escape in " + s);
                }
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else if (c > 0x20 && c < 0x7f) {
                out.write(c);
            } else {
                throw new IllegalArgumentException("bad character in " + s);
            }
        }
        return out.toByteArray();
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
