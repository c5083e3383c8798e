package org.vsys.store;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Path;

import org.vsys.linux.Inodes;

/**
 * File names as the kernel has them: bytes. Java 17 decodes names with the locale's charset
 * ({@code sun.jnu.encoding}, which a -D option cannot change): under LANG=C a name with a byte
 * above 0x7f, under C.UTF-8 a name that is not valid UTF-8, turns into U+FFFD and cannot be
 * rebuilt from its String. A Path that came from a directory listing keeps the original bytes,
 * and {@link Path#toUri()} / {@link Path#of(URI)} carry them exactly (percent-escaped), so the
 * store takes names from listings, reads their bytes through the URI when the String is lossy, and
 * makes Paths from bytes the same way.
 */
public final class RawPaths {
    private static final Charset JNU = jnu();

    private RawPaths() {
    }

    private static Charset jnu() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    /** The bytes of the last component of p (p must be absolute). */
    public static byte[] nameBytes(Path p) {
        String s = p.getFileName().toString();
        byte[] b = strict(s);
        if (b != null) {
            return b;
        }
        byte[] all = uriBytes(p);
        int end = all.length;
        while (end > 1 && all[end - 1] == '/') {
            end--;
        }
        int start = end;
        while (start > 0 && all[start - 1] != '/') {
            start--;
        }
        byte[] out = new byte[end - start];
        System.arraycopy(all, start, out, 0, out.length);
        return out;
    }

    /** The bytes of the whole (absolute) path. */
    public static byte[] bytes(Path p) {
        byte[] b = strict(p.toString());
        if (b != null) {
            return b;
        }
        byte[] all = uriBytes(p.toAbsolutePath());
        int end = all.length;
        while (end > 1 && all[end - 1] == '/') {
            end--;
        }
        if (end == all.length) {
            return all;
        }
        byte[] out = new byte[end];
        System.arraycopy(all, 0, out, 0, end);
        return out;
    }

    /** The bytes of a path as it is, relative or absolute (a symlink target). */
    public static byte[] bytes0(Path p) {
        byte[] b = strict(p.toString());
        if (b != null) {
            return b;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        if (p.isAbsolute()) {
            out.write('/');
        }
        boolean first = true;
        for (Path c : p) {
            if (!first) {
                out.write('/');
            }
            first = false;
            byte[] cb = strict(c.toString());
            if (cb == null) {
                cb = nameBytes(Path.of("/").resolve(c));
            }
            out.write(cb, 0, cb.length);
        }
        return out.toByteArray();
    }

    /** NUL-terminated path bytes for the native calls. */
    public static byte[] cpath(Path p) {
        return Inodes.cstr(bytes(p));
    }

    /** dir/name with name given as bytes, exact whatever the locale. */
    public static Path child(Path dir, byte[] name) {
        String s = decode(name);
        if (s != null) {
            return dir.resolve(s);
        }
        byte[] d = bytes(dir.toAbsolutePath());
        byte[] all = new byte[d.length + 1 + name.length];
        System.arraycopy(d, 0, all, 0, d.length);
        all[d.length] = '/';
        System.arraycopy(name, 0, all, d.length + 1, name.length);
        return fromBytes(all);
    }

    /** A path (absolute or relative, e.g. a symlink target) from bytes. */
    public static Path fromBytes(byte[] b) {
        String s = decode(b);
        if (s != null) {
            return Path.of(s);
        }
        // component by component: a URI would normalise "..", and a target must stay as it is
        Path out = b.length > 0 && b[0] == '/' ? Path.of("/") : null;
        int start = 0;
        for (int i = 0; i <= b.length; i++) {
            if (i == b.length || b[i] == '/') {
                if (i > start) {
                    byte[] c = java.util.Arrays.copyOfRange(b, start, i);
                    String cs = decode(c);
                    Path comp = cs != null ? Path.of(cs) : single(c);
                    out = out == null ? comp : out.resolve(comp);
                }
                start = i + 1;
            }
        }
        return out == null ? Path.of("") : out;
    }

    /** A one-component relative path with exactly these bytes. */
    private static Path single(byte[] c) {
        try {
            return Path.of(new URI("file:///" + escape(c))).getFileName();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot make a path of " + Escape.of(c), e);
        }
    }

    private static String escape(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '-'
                    || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return sb.toString();
    }

    private static byte[] uriBytes(Path p) {
        String raw = p.toUri().getRawPath();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                // URI raw paths are ASCII; anything else is already a UTF-8 char the URI kept
                byte[] bb = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(bb, 0, bb.length);
            }
        }
        return out.toByteArray();
    }

    /** s encoded in the jnu charset, or null when s holds a character it cannot encode (lossy). */
    static byte[] strict(String s) {
        boolean ascii = true;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        if (s.indexOf('\uFFFD') >= 0) {
            return null;
        }
        try {
            ByteBuffer bb = JNU.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
            byte[] b = new byte[bb.remaining()];
            bb.get(b);
            return b;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** b decoded in the jnu charset when that round-trips exactly, else null. */
    static String decode(byte[] b) {
        boolean ascii = true;
        for (byte x : b) {
            if (x < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        try {
            String s = JNU.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            byte[] back = strict(s);
            return back != null && java.util.Arrays.equals(back, b) ? s : null;
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
