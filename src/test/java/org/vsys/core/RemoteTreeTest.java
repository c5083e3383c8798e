package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.store.Entry;
import org.vsys.store.Metadata;
import org.vsys.store.RawPaths;

/**
 * The two parsers of the remote walk (RemoteTree's listing, TarStream): what GNU find and GNU tar
 * print for a real tree is read as the mount would show it, and every hostile record is refused.
 */
class RemoteTreeTest {
    @TempDir
    Path dir;

    private void tree() throws Exception {
        Files.createDirectories(dir.resolve("d/e"));
        Files.writeString(dir.resolve("d/e/f"), "hello\n");
        Files.writeString(dir.resolve("with space and\nnewline"), "x");
        Files.write(dir.resolve("empty"), new byte[0]);
        Files.createSymbolicLink(dir.resolve("d/link"), Path.of("../with space and\nnewline"));
        Files.createLink(dir.resolve("d/hard"), dir.resolve("d/e/f"));
        Path odd = RawPaths.child(dir, new byte[] {'o', (byte) 0xe9, 'x'});
        Files.writeString(odd, "latin-1 name");
        Files.writeString(dir.resolve("d/" + "n".repeat(150)), "a long name");
        new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start().waitFor();
    }

    private byte[] findOutput() throws Exception {
        Process p = new ProcessBuilder("find", "-H", dir.toString(), "-mindepth", "1", "-printf",
                RemoteTree.FORMAT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        return out;
    }

    @Test
    void readsWhatFindPrintsAsTheMountWouldShowIt() throws Exception {
        tree();
        RemoteTree.Listing l = RemoteTree.parseListing(new ByteArrayInputStream(findOutput()), 7);
        assertEquals(10, l.entries);
        Map<String, Entry> byRel = new HashMap<>();
        collect(l, "", byRel);
        assertEquals(10, byRel.size());
        for (Map.Entry<String, Entry> me : byRel.entrySet()) {
            Entry got = me.getValue();
            Path p = path(me.getKey());
            Entry want = new Metadata().read(p, got.name);
            assertEquals(want.kind, got.kind, me.getKey());
            assertEquals(want.mode, got.mode, me.getKey());
            assertEquals(want.uid, got.uid);
            assertEquals(want.gid, got.gid);
            assertEquals(want.mtimeSec, got.mtimeSec, me.getKey());
            assertEquals(0, got.mtimeNsec, "whole seconds, as SFTP carries them");
            assertEquals(want.size, got.size, me.getKey());
            assertEquals(want.ref, got.ref, me.getKey());
            assertEquals(7, got.dev);
            if (got.kind == 'f') {
                assertEquals(want.nlink, got.nlink);
                assertEquals(want.ino, got.ino);
            }
        }
        assertEquals("f", "" + byRel.get("/d/hard").kind);
        assertEquals(2, byRel.get("/d/hard").nlink);
    }

    private Path path(String rel) {
        Path p = dir;
        for (String c : rel.substring(1).split("/")) {
            p = RawPaths.child(p, org.vsys.store.Escape.parse(c));
        }
        return p;
    }

    private static void collect(RemoteTree.Listing l, String rel, Map<String, Entry> out) {
        for (Entry e : l.children(rel)) {
            String r = rel + "/" + e.key();
            out.put(r, e);
            if (e.kind == 'd') {
                collect(l, r, out);
            }
        }
    }

    private static RemoteTree.Listing parse(String... records) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String r : records) {
            b.write(r.getBytes(StandardCharsets.ISO_8859_1));
        }
        return RemoteTree.parseListing(new ByteArrayInputStream(b.toByteArray()), 0);
    }

    @Test
    void aGoodListing() throws Exception {
        RemoteTree.Listing l = parse("d 755 0 0 1700000000.5000000000 4096 2 11 usr\0\0", "f 4755 1000 100 12.0 3 1 12 usr/a b\0\0",
                "l 777 0 0 5 7 1 13 usr/l\0../a b\0", "c 666 0 0 5 0 1 14 null\0\0", "p 600 0 0 5 0 1 15 usr/fifo\0\0");
        assertEquals(5, l.entries);
        Entry a = l.children("/usr").get(0);
        assertEquals("a%20b", a.key());
        assertEquals(04755, a.mode);
        assertEquals(1000, a.uid);
        assertEquals(12, a.mtimeSec);
        assertEquals(3, a.size);
        assertEquals(1700000000L, l.children("").get(0).mtimeSec);
        assertEquals(0, l.children("").get(0).size, "a directory's size is not kept");
        assertEquals("../a%20b", l.children("/usr").get(1).ref);
        assertEquals(6, l.children("/usr").get(1).size, "the length of the target");
        assertEquals("0", l.children("").get(1).ref, "no device numbers over SFTP");
        assertEquals(0, parse().entries);
    }

    @Test
    void refusesEveryHostileRecord() {
        String[][] bad = {
            {"x 644 0 0 1.0 0 1 1 a\0\0"}, // unknown type
            {"ff 644 0 0 1.0 0 1 1 a\0\0"},
            {"f 10000 0 0 1.0 0 1 1 a\0\0"}, // mode over 07777
            {"f 648 0 0 1.0 0 1 1 a\0\0"}, // not octal
            {"f 644 4294967296 0 1.0 0 1 1 a\0\0"}, // uid over 32 bits
            {"f 644 -1 0 1.0 0 1 1 a\0\0"},
            {"f 644 0 0 -1.0 0 1 1 a\0\0"}, // a time SFTP cannot carry
            {"f 644 0 0 4294967296.0 0 1 1 a\0\0"},
            {"f 644 0 0 1.x 0 1 1 a\0\0"},
            {"f 644 0 0 1.0 99999999999999999999999 1 1 a\0\0"},
            {"f 644 0 0 1.0 0 1 1 ../a\0\0"}, // no parent listed, and ..
            {"f 644 0 0 1.0 0 1 1 ..\0\0"},
            {"f 644 0 0 1.0 0 1 1 .\0\0"},
            {"f 644 0 0 1.0 0 1 1 /etc\0\0"}, // absolute
            {"d 755 0 0 1.0 0 1 1 a\0\0", "f 644 0 0 1.0 0 1 1 a//b\0\0"},
            {"d 755 0 0 1.0 0 1 1 a\0\0", "f 644 0 0 1.0 0 1 1 a/\0\0"},
            {"d 755 0 0 1.0 0 1 1 a\0\0", "f 644 0 0 1.0 0 1 1 a/../../x\0\0"},
            {"f 644 0 0 1.0 0 1 1 d/x\0\0"}, // parent not listed
            {"f 644 0 0 1.0 0 1 1 d\0\0", "f 644 0 0 1.0 0 1 1 d/x\0\0"}, // parent not a directory
            {"f 644 0 0 1.0 0 1 1 a\0\0", "f 644 0 0 1.0 0 1 1 a\0\0"}, // twice
            {"l 777 0 0 1.0 0 1 1 a\0\0"}, // a symlink without target
            {"f 644 0 0 1.0 0 1 1 a\0target\0"}, // a target for a file
            {"f 644 0 0 1.0 0 1 1 a\0"}, // no target field
            {"f 644 0 0 1.0 0 1 1 a"}, // cut off
            {"f 644 0 0 1.0 0 1 a\0\0"}, // a word missing
            {"f 644 0 0 1.0 0 1 1 \0\0"}, // an empty name
            {"f 644 0 0 1.0 0 1 1 " + "a".repeat(RemoteTree.MAX_PATH + 300) + "\0\0"}, // over the bound
            {"l 777 0 0 1.0 0 1 1 a\0" + "t".repeat(RemoteTree.MAX_TARGET + 2) + "\0"},
        };
        for (String[] recs : bad) {
            RemoteTree.Refused x = assertThrows(RemoteTree.Refused.class, () -> parse(recs), String.join("|", recs));
            assertFalse(x.getMessage().isEmpty());
        }
    }

    @Test
    void quotesThePathForTheRemoteShell() {
        assertEquals("'/srv/it'\\''s'", RemoteTree.quote("/srv/it's"));
    }

    // ------------------------------------------------------------------------------------- tar

    private byte[] tarOf(List<String> names, String... format) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tar", "-cf", "-", "--numeric-owner", "--no-recursion", "--hard-dereference",
                "--null", "--verbatim-files-from", "-T", "-"));
        cmd.addAll(List.of(format));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Process p = pb.start();
        try (OutputStream o = p.getOutputStream()) {
            for (String n : names) {
                o.write(("./" + n + "\0").getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        return out;
    }

    private static byte[] data(TarStream t) throws Exception {
        ReadableByteChannel c = t.data();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(7);
        while (c.read(buf) >= 0) {
            b.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return b.toByteArray();
    }

    @Test
    void readsWhatGnuTarWrites() throws Exception {
        tree();
        String longName = "d/" + "n".repeat(150);
        byte[] tar = tarOf(List.of("d/e/f", "empty", longName, "d/hard", "with space and\nnewline"), "--format=gnu");
        TarStream t = new TarStream(new ByteArrayInputStream(tar));
        assertTrue(t.next());
        assertArrayEquals("./d/e/f".getBytes(StandardCharsets.UTF_8), t.name);
        assertEquals(6, t.size);
        assertEquals(Files.getLastModifiedTime(dir.resolve("d/e/f")).toMillis() / 1000, t.mtime);
        assertEquals(new Metadata().read(dir.resolve("d/e/f"), new byte[] {'f'}).mode, t.mode);
        assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), data(t));
        assertTrue(t.next());
        assertEquals(0, t.size);
        assertTrue(t.next(), "the data of a member need not be read");
        assertArrayEquals(("./" + longName).getBytes(StandardCharsets.UTF_8), t.name, "a long name");
        assertTrue(t.next());
        assertArrayEquals("./d/hard".getBytes(StandardCharsets.UTF_8), t.name);
        assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), data(t), "a hard link as a file");
        assertTrue(t.next());
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), data(t));
        assertFalse(t.next());
    }

    @Test
    void refusesWhatIsNotGnuTarsRegularFiles() throws Exception {
        tree();
        byte[] good = tarOf(List.of("d/e/f"), "--format=gnu");
        byte[] sum = good.clone();
        sum[10] ^= 1; // the name changes, the checksum does not
        assertThrows(java.io.IOException.class, () -> new TarStream(new ByteArrayInputStream(sum)).next());
        byte[] cut = java.util.Arrays.copyOf(good, 515);
        TarStream t = new TarStream(new ByteArrayInputStream(cut));
        assertTrue(t.next());
        assertThrows(java.io.IOException.class, () -> data(t), "a member cut off");
        assertThrows(java.io.IOException.class, () -> new TarStream(new ByteArrayInputStream(new byte[100])).next());
        byte[] pax = tarOf(List.of("d/e/f"), "--format=posix");
        assertThrows(java.io.IOException.class, () -> new TarStream(new ByteArrayInputStream(pax)).next(), "pax headers");
        byte[] link = tarOf(List.of("d/link"), "--format=gnu");
        java.io.IOException x = assertThrows(java.io.IOException.class, () -> new TarStream(new ByteArrayInputStream(link)).next());
        assertTrue(x.getMessage().contains("type 2"), x.getMessage());
        byte[] dirs = tarOf(List.of("d"), "--format=gnu");
        assertThrows(java.io.IOException.class, () -> new TarStream(new ByteArrayInputStream(dirs)).next());
    }
}
