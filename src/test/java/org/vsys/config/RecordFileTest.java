package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordFileTest {

    static RecordFile parse(String s) throws RecordFormatException {
        return RecordFile.parse(s.getBytes(StandardCharsets.UTF_8), "t");
    }

    static String reject(String s) {
        return assertThrows(RecordFormatException.class, () -> parse(s)).getMessage();
    }

    @Test
    void parsesKeysValuesCommentsAndBlankLines() throws Exception {
        RecordFile rf = parse("# comment\n\nversion=1\nname=a b \nfs=/ dir:/x ro\nfs=/usr dir:/y rw\nfuture.key=z\n");
        assertEquals("1", rf.get("version"));
        assertEquals("a b ", rf.get("name"), "values keep trailing spaces");
        assertEquals(List.of("/ dir:/x ro", "/usr dir:/y rw"), rf.getAll("fs"));
        assertEquals("z", rf.get("future.key"));
        assertNull(rf.get("missing"));
    }

    @Test
    void emptyFileIsEmptyRecord() throws Exception {
        assertTrue(parse("").entries().isEmpty());
    }

    @Test
    void valueMayContainEquals() throws Exception {
        assertEquals("a=b=c", parse("nfs.options=a=b=c\n").get("nfs.options"));
    }

    @Test
    void rejectsMalformedLines() {
        assertTrue(reject("version=1").contains("newline"));
        assertTrue(reject("novalue\n").contains("key=value"));
        assertTrue(reject("Version=1\n").contains("bad key"));
        assertTrue(reject("1key=1\n").contains("bad key"));
        assertTrue(reject("=1\n").contains("bad key"));
        assertTrue(reject(" key=1\n").contains("bad key"));
        assertTrue(reject("key-x=1\n").contains("bad key"));
        assertTrue(reject("a=1\0\n").contains("NUL"));
    }

    @Test
    void rejectsDuplicatesExceptRepeatableKeys() throws Exception {
        assertTrue(reject("name=a\nname=b\n").contains("twice"));
        assertEquals(2, parse("bind=/a\nbind=/b\n").getAll("bind").size());
        assertEquals(2, parse("mount=/a\nmount=/b\n").getAll("mount").size());
    }

    @Test
    void rejectsOversize() {
        String longLine = "k=" + "x".repeat(RecordFile.MAX_LINE) + "\n";
        assertTrue(reject(longLine).contains("longer"));
        StringBuilder big = new StringBuilder();
        int i = 0;
        while (big.length() <= RecordFile.MAX_SIZE) {
            big.append("fs=").append("y".repeat(1000)).append(i++).append('\n');
        }
        assertTrue(reject(big.toString()).contains("larger"));
    }

    @Test
    void lineOfExactlyMaxLengthIsAccepted() throws Exception {
        String line = "k=" + "x".repeat(RecordFile.MAX_LINE - 2) + "\n";
        assertEquals(RecordFile.MAX_LINE - 2, parse(line).get("k").length());
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] b = {'k', '=', (byte) 0xff, (byte) 0xfe, '\n'};
        assertThrows(RecordFormatException.class, () -> RecordFile.parse(b, "t"));
    }

    @Test
    void writerRefusesNewlinesAndBadKeys() {
        assertThrows(IllegalArgumentException.class, () -> new RecordFile.Writer().put("k", "a\nb"));
        assertThrows(IllegalArgumentException.class, () -> new RecordFile.Writer().put("K", "a"));
        assertThrows(IllegalArgumentException.class, () -> new RecordFile.Writer().put("k", "x".repeat(5000)));
    }

    @Test
    void readRefusesSymlinks(@TempDir Path dir) throws Exception {
        Path real = dir.resolve("real");
        Files.writeString(real, "version=1\n");
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, real);
        assertThrows(RecordFormatException.class, () -> RecordFile.read(link));
        assertEquals("1", RecordFile.read(real).get("version"));
    }
}
