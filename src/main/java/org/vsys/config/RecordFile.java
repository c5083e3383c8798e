package org.vsys.config;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one reader and writer of the record format shared with the C launcher (vsys.conf(5)):
 * {@code key=value} lines, {@code #} comments, blank lines; at most 64 KiB and 4096 bytes a line;
 * every line {@code \n} terminated; valid UTF-8; at most {@value #MAX_ENTRIES} entries; a key other
 * than {@code fs}, {@code bind}, {@code mount} at most once; unknown keys kept but ignored by the
 * typed records. The C reader is native/record.c; tests/records/ holds the corpus both read alike.
 */
public final class RecordFile {
    public static final int MAX_SIZE = 64 * 1024;
    public static final int MAX_LINE = 4096;
    /** At most this many key=value lines (record.c's RECORD_MAX_ENTRIES). */
    public static final int MAX_ENTRIES = 1024;
    private static final Set<String> REPEATABLE = Set.of("fs", "bind", "mount");

    /** One {@code key=value} line, in file order; {@code line} is its line number (from 1). */
    public record Entry(String key, String value, int line) {
    }

    private final List<Entry> entries;

    private RecordFile(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The value of a single-valued key, or null. */
    public String get(String key) {
        for (Entry e : entries) {
            if (e.key.equals(key)) {
                return e.value;
            }
        }
        return null;
    }

    public String get(String key, String fallback) {
        String v = get(key);
        return v == null ? fallback : v;
    }

    /** The entry of a single-valued key (with its line number), or null. */
    public Entry entry(String key) {
        for (Entry e : entries) {
            if (e.key.equals(key)) {
                return e;
            }
        }
        return null;
    }

    public List<String> getAll(String key) {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.key.equals(key)) {
                out.add(e.value);
            }
        }
        return out;
    }

    public static boolean validKey(String key) {
        if (key.isEmpty()) {
            return false;
        }
        char c0 = key.charAt(0);
        if (c0 < 'a' || c0 > 'z') {
            return false;
        }
        for (int i = 1; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /** Parses a whole record; {@code origin} names it in error messages. */
    public static RecordFile parse(byte[] bytes, String origin) throws RecordFormatException {
        if (bytes.length > MAX_SIZE) {
            throw new RecordFormatException(origin + ": larger than " + MAX_SIZE + " bytes");
        }
        if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
            throw new RecordFormatException(origin + ": last line not terminated by a newline (truncated?)");
        }
        CharsetDecoder dec = null;
        List<Entry> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int start = 0;
        int lineNo = 0;
        while (start < bytes.length) {
            int end = start;
            while (bytes[end] != '\n') {
                end++;
            }
            lineNo++;
            int len = end - start;
            if (len > MAX_LINE) {
                throw new RecordFormatException(origin + ":" + lineNo + ": line longer than " + MAX_LINE + " bytes");
            }
            String line;
            if (ascii(bytes, start, end)) {
                // the common case, and the same string the strict decoder gives for it
                line = new String(bytes, start, len, StandardCharsets.ISO_8859_1);
            } else {
                if (dec == null) {
                    dec = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT);
                }
                try {
                    line = dec.reset().decode(ByteBuffer.wrap(bytes, start, len)).toString();
                } catch (CharacterCodingException e) {
                    throw new RecordFormatException(origin + ":" + lineNo + ": not valid UTF-8");
                }
            }
            start = end + 1;
            if (line.indexOf('\0') >= 0) {
                throw new RecordFormatException(origin + ":" + lineNo + ": NUL byte");
            }
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new RecordFormatException(origin + ":" + lineNo + ": not a key=value line");
            }
            String key = line.substring(0, eq);
            if (!validKey(key)) {
                throw new RecordFormatException(origin + ":" + lineNo + ": bad key '" + printable(key) + "'");
            }
            if (!REPEATABLE.contains(key) && !seen.add(key)) {
                throw new RecordFormatException(origin + ":" + lineNo + ": key '" + key + "' given twice");
            }
            if (out.size() == MAX_ENTRIES) {
                throw new RecordFormatException(origin + ":" + lineNo + ": more than " + MAX_ENTRIES + " entries");
            }
            out.add(new Entry(key, line.substring(eq + 1), lineNo));
        }
        return new RecordFile(out);
    }

    private static boolean ascii(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads and parses {@code file}, which must be a regular file (a symlink is refused). Reads at
     * most one byte past the size limit.
     */
    public static RecordFile read(Path file) throws IOException, RecordFormatException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new RecordFormatException(file + ": not a regular file");
        }
        return parse(readAtMost(file, a.size(), MAX_SIZE + 1), file.toString());
    }

    private static final Set<java.nio.file.OpenOption> READ_NOFOLLOW = Set.of(StandardOpenOption.READ,
            LinkOption.NOFOLLOW_LINKS);

    /** Up to {@code max} bytes of {@code file} (a buffer of its size, grown if it grew since the stat). */
    static byte[] readAtMost(Path file, long sizeHint, int max) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, READ_NOFOLLOW)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Math.max(sizeHint + 1, 1), max));
            while (true) {
                if (!buf.hasRemaining()) {
                    if (buf.capacity() >= max) {
                        break;
                    }
                    ByteBuffer bigger = ByteBuffer.allocate((int) Math.min((long) buf.capacity() * 2, max));
                    buf.flip();
                    bigger.put(buf);
                    buf = bigger;
                }
                if (ch.read(buf) < 0) {
                    break;
                }
            }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        }
    }

    /** Builds the text of a record. Values are checked: no newline, no NUL, line and size limits. */
    public static final class Writer {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        public Writer comment(String text) {
            return line("# " + text);
        }

        public Writer put(String key, String value) {
            if (!validKey(key)) {
                throw new IllegalArgumentException("bad key " + key);
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0 || value.indexOf('\r') >= 0) {
                throw new IllegalArgumentException(key + ": value contains a newline or NUL");
            }
            return line(key + "=" + value);
        }

        private Writer line(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_LINE) {
                throw new IllegalArgumentException("line longer than " + MAX_LINE + " bytes");
            }
            buf.writeBytes(b);
            buf.write('\n');
            if (buf.size() > MAX_SIZE) {
                throw new IllegalArgumentException("record larger than " + MAX_SIZE + " bytes");
            }
            return this;
        }

        public byte[] toBytes() {
            return buf.toByteArray();
        }
    }

    /**
     * An absolute normalised path as record.c's {@code record_abs_path_ok} takes it: starts with
     * {@code /}, is not {@code /} itself, no empty, {@code .} or {@code ..} component, no trailing
     * {@code /}, no control character, at most 4095 bytes.
     */
    public static boolean absoluteNormalised(String p) {
        if (p.length() < 2 || p.charAt(0) != '/' || p.endsWith("/") || p.getBytes(StandardCharsets.UTF_8).length > 4095) {
            return false;
        }
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        for (String c : p.substring(1).split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                return false;
            }
        }
        return true;
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
