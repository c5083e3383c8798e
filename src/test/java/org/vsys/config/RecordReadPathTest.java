package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The faster read path of records (no regex, ASCII lines without the decoder, one buffer) gives what the old one gave. */
class RecordReadPathTest {

    @TempDir
    Path tmp;

    static final List<String> NAMES = List.of("", "a", "A", "0", "_", "-", ".", "$", "a$", "a$$", "$a", "a.b-c_d", "-a",
            ".a", "..", "a..", "a b", "a,b", "ä", "aä", "a/b", "x".repeat(31), "x".repeat(32), "x".repeat(33),
            "x".repeat(32) + "$", "x".repeat(33) + "$", "resolv.conf", "localtime", "a\n", "a\u0000", "Z9");

    @Test
    void listNamesAsTheRegexSaid() {
        for (String n : NAMES) {
            assertEquals(n.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,31}\\$?"), SystemRecord.isListName(n), n);
            assertEquals(n.matches("[A-Za-z0-9_][A-Za-z0-9._-]*"), SystemRecord.isHostFile(n), n);
        }
    }

    @Test
    void nonAsciiLinesAreStillStrictUtf8() throws Exception {
        RecordFile rf = RecordFile.parse("k=h\u00e9llo \u20ac\na=plain\n".getBytes(StandardCharsets.UTF_8), "t");
        assertEquals("h\u00e9llo \u20ac", rf.get("k"));
        assertEquals("plain", rf.get("a"));
        byte[] bad = {'k', '=', (byte) 0xc3, '\n'};
        assertEquals("t:1: not valid UTF-8",
                assertThrows(RecordFormatException.class, () -> RecordFile.parse(bad, "t")).getMessage());
        byte[] nul = {'a', '=', 'x', '\n', 'k', '=', 0, '\n'};
        assertEquals("t:2: NUL byte", assertThrows(RecordFormatException.class, () -> RecordFile.parse(nul, "t")).getMessage());
    }

    @Test
    void readsWholeFilesAndStopsOnePastTheLimit() throws Exception {
        for (int size : new int[] {0, 1, 100, 8191, 8192, 8193, RecordFile.MAX_SIZE, RecordFile.MAX_SIZE + 1,
                RecordFile.MAX_SIZE + 5000}) {
            byte[] content = new byte[size];
            Arrays.fill(content, (byte) 'x');
            Path f = tmp.resolve("f" + size);
            Files.write(f, content);
            int want = Math.min(size, RecordFile.MAX_SIZE + 1);
            // a stale size (the file grew or shrank since the stat) reads the same bytes
            for (long hint : new long[] {size, 0, size / 2, size + 10}) {
                assertArrayEquals(Arrays.copyOf(content, want), RecordFile.readAtMost(f, hint, RecordFile.MAX_SIZE + 1),
                        size + " / " + hint);
            }
        }
        Path big = tmp.resolve("big");
        Files.write(big, new byte[RecordFile.MAX_SIZE + 2]);
        assertEquals(big + ": larger than " + RecordFile.MAX_SIZE + " bytes",
                assertThrows(RecordFormatException.class, () -> RecordFile.read(big)).getMessage());
    }
}
