package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** The listing of dir by OpenSSH's own sftp-server (what the remote runs as its sftp subsystem). */
    private RemoteTree.Listing sftpListing(Path d) throws Exception {
        Process p = new ProcessBuilder("/usr/lib/openssh/sftp-server").start();
        try (OutputStream o = p.getOutputStream()) {
            return new SftpListing(p.getInputStream(), o, RawPaths.bytes(d)).run();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void listsWhatSftpServerSendsAsTheMountWouldShowIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/lib/openssh/sftp-server")) || ItEnvLike.CI);
        tree();
        RemoteTree.Listing l = sftpListing(dir);
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
            assertEquals(1, got.nlink, "sshfs shows no link counts");
        }
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

    /** CI=true: a missing sftp-server is a failure, not a skip. */
    static final class ItEnvLike {
        static final boolean CI = "true".equals(System.getenv("CI"));
    }

    /**
     * A scripted SFTP server: VERSION 3 to INIT, a handle to OPENDIR, {@code names} (a NAME
     * packet's payload after its id, or null for EOF at once) to the first READDIR, EOF after, OK
     * to CLOSE; READLINK gets {@code link}.
     */
    private static RemoteTree.Listing fake(byte[] names, byte[] link) throws Exception {
        java.io.PipedInputStream fromClient = new java.io.PipedInputStream(1 << 20);
        java.io.PipedOutputStream toServer = new java.io.PipedOutputStream(fromClient);
        java.io.PipedInputStream fromServer = new java.io.PipedInputStream(1 << 20);
        java.io.PipedOutputStream toClient = new java.io.PipedOutputStream(fromServer);
        Thread server = new Thread(() -> {
            try (java.io.DataInputStream in = new java.io.DataInputStream(fromClient);
                    java.io.DataOutputStream out = new java.io.DataOutputStream(toClient)) {
                int readdirs = 0;
                while (true) {
                    int len = in.readInt();
                    byte[] b = new byte[len];
                    in.readFully(b);
                    ByteBuffer q = ByteBuffer.wrap(b);
                    int type = q.get();
                    int id = q.getInt();
                    ByteArrayOutputStream r = new ByteArrayOutputStream();
                    java.io.DataOutputStream w = new java.io.DataOutputStream(r);
                    switch (type) {
                        case 1 -> w.write(new byte[] {2, 0, 0, 0, 3});
                        case 11 -> {
                            w.writeByte(102);
                            w.writeInt(id);
                            w.writeInt(1);
                            w.writeByte('h');
                        }
                        case 12 -> {
                            if (readdirs++ == 0 && names != null) {
                                w.writeByte(104);
                                w.writeInt(id);
                                w.write(names);
                            } else {
                                w.writeByte(101);
                                w.writeInt(id);
                                w.writeInt(1);
                            }
                        }
                        case 19 -> {
                            w.writeByte(104);
                            w.writeInt(id);
                            w.write(link);
                        }
                        default -> {
                            w.writeByte(101);
                            w.writeInt(id);
                            w.writeInt(0);
                        }
                    }
                    out.writeInt(r.size());
                    out.write(r.toByteArray());
                    out.flush();
                }
            } catch (IOException e) {
                // the client is done
            }
        });
        server.setDaemon(true);
        server.start();
        try {
            return new SftpListing(fromServer, toServer, "/r".getBytes(StandardCharsets.UTF_8)).run();
        } finally {
            toServer.close();
        }
    }

    /** A NAME payload: count, then per entry its name, a longname, and attributes (flags 15). */
    private static byte[] names(Object[]... entries) throws IOException {
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        java.io.DataOutputStream w = new java.io.DataOutputStream(r);
        w.writeInt(entries.length);
        for (Object[] e : entries) {
            byte[] n = ((String) e[0]).getBytes(StandardCharsets.ISO_8859_1);
            w.writeInt(n.length);
            w.write(n);
            w.writeInt(0);
            w.writeInt(e.length > 3 ? (Integer) e[3] : 15);
            w.writeLong((Long) e[2]);
            w.writeInt(0);
            w.writeInt(0);
            w.writeInt((Integer) e[1]);
            w.writeInt(0);
            w.writeInt(1700000000);
        }
        return r.toByteArray();
    }

    private static byte[] oneName(String n) throws IOException {
        return names(new Object[] {n, 0100644, 0L});
    }

    @Test
    void aScriptedServer() throws Exception {
        RemoteTree.Listing l = fake(names(new Object[] {".", 040755, 0L}, new Object[] {"..", 040755, 0L},
                new Object[] {"a b", 0104755, 3L}, new Object[] {"l", 0120777, 9L}, new Object[] {"null", 020666, 0L}), oneName("../t"));
        assertEquals(3, l.entries);
        Entry a = l.children("").get(0);
        assertEquals("a%20b", a.key());
        assertEquals(04755, a.mode);
        assertEquals(1700000000L, a.mtimeSec);
        assertEquals(3, a.size);
        assertEquals("../t", l.children("").get(1).ref);
        assertEquals(4, l.children("").get(1).size, "the length of the target");
        assertEquals("0", l.children("").get(2).ref, "no device numbers over SFTP");
        assertEquals(0, fake(null, null).entries);
    }

    @Test
    void refusesEveryHostileAnswer() throws Exception {
        byte[][] bad = {
            names(new Object[] {"a/b", 0100644, 0L}), // a slash
            names(new Object[] {"", 0100644, 0L}), // empty
            names(new Object[] {"a", 0100644, 0L}, new Object[] {"a", 0100644, 0L}), // twice
            names(new Object[] {"a", 0170644, 0L}), // unknown type
            names(new Object[] {"a", 0100644, 0L, 7}), // no times
            names(new Object[] {"a", 0100644, -1L}), // negative size
            names(new Object[] {"a", 0100644, 0L, 0x8000000f}), // extended count cut off
            {0, 0, 0, 0}, // no names
            {0, 0, 0, 1, 0x7f, 0, 0, 0}, // a string over the packet
        };
        for (byte[] b : bad) {
            assertThrows(RemoteTree.Refused.class, () -> fake(b, null), Arrays.toString(b));
        }
        assertThrows(RemoteTree.Refused.class, () -> fake(names(new Object[] {"l", 0120777, 1L}), oneName("")), "empty target");
        assertThrows(RemoteTree.Refused.class, () -> fake(names(new Object[] {"l", 0120777, 1L}),
                names(new Object[] {"a", 0, 0L}, new Object[] {"b", 0, 0L})), "two targets");
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
