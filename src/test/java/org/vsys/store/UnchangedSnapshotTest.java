package org.vsys.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.core.Snapshot;
import org.vsys.linux.Inodes;

/**
 * The nothing-changed path of a snapshot: a directory whose entries all stat as in the previous
 * commit keeps its previous tree without rebuilding it, so every change deep in the tree must
 * still reach the root. Each case compares the incremental snapshot with one made from scratch
 * into a store of its own (which shares nothing with the previous commit).
 */
class UnchangedSnapshotTest {
    @TempDir
    Path tmp;
    Path src;
    Path deep;
    Store store;
    int fresh;

    @BeforeEach
    void setUp() throws IOException {
        src = tmp.resolve("src");
        store = new Store(tmp.resolve("store"));
        deep = Files.createDirectories(src.resolve("a/b/c/d"));
        Files.createDirectories(src.resolve("a/other/x"));
        Files.writeString(deep.resolve("file"), "content\n");
        Files.writeString(deep.resolve("twin"), "content\n");
        Files.writeString(src.resolve("a/other/x/y"), "y\n");
        Files.createSymbolicLink(deep.resolve("link"), Path.of("file"));
        Inodes.get().mknod(RawPaths.cpath(deep.resolve("fifo")), 0010644, 0);
        Files.setLastModifiedTime(deep.resolve("file"), FileTime.from(Instant.ofEpochSecond(1_600_000_000L, 5)));
        restoreDirTimes();
    }

    Snapshot.Result snap() throws Exception {
        return new Snapshot(store).run("t", src, "dir:" + src, 2, null);
    }

    /** The root tree of src snapshotted into a new, empty store. */
    String scratch() throws Exception {
        Store s = new Store(tmp.resolve("scratch" + fresh++));
        Snapshot.Result r = new Snapshot(s).run("t", src, "dir:" + src, 2, null);
        return s.commit(r.commit).root;
    }

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    String root(Snapshot.Result r) throws IOException {
        return store.commit(r.commit).root;
    }

    /** After change, the incremental snapshot is a new commit with the tree a scratch one has. */
    void changes(String what, IoAction change) throws Exception {
        Snapshot.Result before = snap();
        assertTrue(snap().unchanged, what + ": nothing changed yet");
        change.run();
        restoreDirTimes();
        Snapshot.Result after = snap();
        assertFalse(after.unchanged, what + ": not seen: " + after.summary("t"));
        assertNotEquals(root(before), root(after), what);
        assertEquals(scratch(), root(after), what + ": the incremental tree differs from a snapshot from scratch");
        assertTrue(snap().unchanged, what + ": the next one changes nothing");
    }

    interface IoAction {
        void run() throws Exception;
    }

    /**
     * Puts back the directories' mtimes, so that only the entry itself differs: the parent's mtime
     * would otherwise give every change away at the level above.
     */
    private void restoreDirTimes() throws IOException {
        FileTime t = FileTime.from(Instant.ofEpochSecond(1_500_000_000L));
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.setLastModifiedTime(p, t);
                }
            }
        }
    }

    @Test
    void sizeChangeDeepDown() throws Exception {
        FileTime m = Files.getLastModifiedTime(deep.resolve("file"));
        changes("size", () -> {
            Files.writeString(deep.resolve("file"), "content, longer\n");
            Files.setLastModifiedTime(deep.resolve("file"), m);
        });
    }

    @Test
    void mtimeChangeDeepDown() throws Exception {
        changes("mtime", () -> Files.setLastModifiedTime(deep.resolve("file"), FileTime.from(Instant.ofEpochSecond(1_600_000_000L, 6))));
    }

    @Test
    void modeChangeDeepDown() throws Exception {
        changes("mode", () -> Files.setPosixFilePermissions(deep.resolve("twin"), PosixFilePermissions.fromString("rwx------")));
    }

    @Test
    void modeChangeOfADirectory() throws Exception {
        changes("dir mode", () -> Files.setPosixFilePermissions(src.resolve("a/b/c"), PosixFilePermissions.fromString("rwx------")));
    }

    @Test
    void ownerChangeDeepDown() throws Exception {
        assumeTrue(root(), "chown needs root");
        changes("uid/gid", () -> Inodes.get().lchown(RawPaths.cpath(deep.resolve("twin")), 1234, 5678));
    }

    @Test
    void ownerChangeOfASymlink() throws Exception {
        assumeTrue(root(), "chown needs root");
        changes("symlink owner", () -> Inodes.get().lchown(RawPaths.cpath(deep.resolve("link")), 1234, 5678));
    }

    @Test
    void xattrChangeDeepDown() throws Exception {
        if (!StoreTest.trySetUserXattr(src.resolve("a/other/x/y"), "user.vsys.probe", "1")) {
            return; // no user xattrs on this filesystem
        }
        changes("xattr", () -> assertTrue(StoreTest.trySetUserXattr(deep.resolve("file"), "user.vsys.test", "v2")));
    }

    @Test
    void symlinkTargetOfTheSameLength() throws Exception {
        changes("symlink target", () -> {
            Instant t = Files.getLastModifiedTime(deep.resolve("link"), java.nio.file.LinkOption.NOFOLLOW_LINKS).toInstant();
            Files.delete(deep.resolve("link"));
            Files.createSymbolicLink(deep.resolve("link"), Path.of("twin"));
            Inodes.get().setTimes(RawPaths.cpath(deep.resolve("link")), t.getEpochSecond(), t.getNano(), t.getEpochSecond(), t.getNano());
        });
    }

    @Test
    void entryRemovedOrAdded() throws Exception {
        changes("removed", () -> Files.delete(deep.resolve("twin")));
        changes("added", () -> Files.writeString(deep.resolve("new"), "n"));
    }

    @Test
    void specialFileReplaced() throws Exception {
        changes("fifo mode", () -> {
            Files.delete(deep.resolve("fifo"));
            Inodes.get().mknod(RawPaths.cpath(deep.resolve("fifo")), 0010600, 0);
        });
    }

    @Test
    void fileBecomesADirectory() throws Exception {
        changes("kind", () -> {
            Files.delete(deep.resolve("twin"));
            Files.createDirectory(deep.resolve("twin"));
        });
    }

    @Test
    void unchangedSnapshotIsTheSameCommit() throws Exception {
        Snapshot.Result a = snap();
        Snapshot.Result b = snap();
        assertTrue(b.unchanged);
        assertEquals(a.commit, b.commit);
        assertEquals(scratch(), root(a));
        assertEquals(0, b.newObjects);
    }

    /** The walk's statx reads what java.nio reads, for every kind of entry. */
    @Test
    void statxAgreesWithJavaNio() throws IOException {
        Files.createLink(src.resolve("hard"), deep.resolve("file"));
        StoreTest.trySetUserXattr(deep.resolve("twin"), "user.vsys.test", "x");
        Files.setLastModifiedTime(deep.resolve("twin"), FileTime.from(Instant.ofEpochSecond(-1_000L, 999_999_999)));
        Metadata m = new Metadata();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(src)) {
            s.forEach(all::add);
        }
        all.add(Path.of("/dev/null"));
        for (Path p : all) {
            byte[] name = {'n'};
            Entry a = m.read(p, name);
            Entry b = m.readNio(p, name);
            assertEquals(b.line(), a.line(), p.toString());
            assertEquals(b.dev, a.dev, p.toString());
            assertEquals(b.ino, a.ino, p.toString());
            assertEquals(b.nlink, a.nlink, p.toString());
        }
        assertThrows(java.nio.file.NoSuchFileException.class, () -> m.read(src.resolve("nothing"), new byte[] {'n'}));
    }

    @Test
    void mtimeWordKeepsItsForm() {
        Entry e = new Entry();
        long[][] cases = {{0, 0}, {1, 2}, {1_700_000_000L, 123_456_789}, {5, 999_999_999}, {-1, 5}, {42, 100_000_000}, {7, 10}};
        for (long[] c : cases) {
            e.mtimeSec = c[0];
            e.mtimeNsec = (int) c[1];
            assertEquals(c[0] + "." + String.format("%09d", c[1]), e.mtimeWord());
        }
    }

    @Test
    void treeLineParsesItsSliceAndRoundTrips() {
        List<String> lines = new ArrayList<>(List.of(
                "f 644 0 0 1700000000.123456789 12 " + "a".repeat(64) + ":" + "b".repeat(64) + " - name",
                "d 755 1000 1000 1.000000000 0 " + "c".repeat(64) + " - dir.d",
                "l 777 0 0 5.000000001 7 ../a%20b - link",
                "c 666 0 0 5.000000001 0 259 - null",
                "p 644 0 0 5.000000001 0 - - fifo",
                "f 4755 0 0 1.000000000 3 x:y user.a=b name",
                "f 644 0 0 1.000000000 3 x:y - n%ffame",
                "f 644 0 0 1.000000000 3 x:y - a,b",
                "f 644 -1 0 1.000000000 3 x:y - neg",
                "f 644 0 0 -5.000000000 3 x:y - before1970",
                "f 644 0 0 1.00000000 3 x:y - shortnsec",
                "f 644 0 0 1.000000000 99999999999999999999 x:y - huge",
                "f 17777777777 0 0 1.000000000 3 x:y - bigmode",
                "f 644 4294967295 0 1.000000000 3 x:y - biguid",
                "f 644 0 0 1.000000000 3 x:y -",
                "f 644 0 0 1.000000000 3  - emptyref",
                "x 644 0 0 1.000000000 3 x:y - badkind",
                "f 644 0 0 1.000000000 3 x:y - two words"));
        Random r = new Random(8);
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder(lines.get(r.nextInt(lines.size())));
            String alphabet = " 0-9.%a,=:\u00ff";
            sb.setCharAt(r.nextInt(sb.length()), alphabet.charAt(r.nextInt(alphabet.length())));
            lines.add(sb.toString());
        }
        int accepted = 0;
        for (String l : lines) {
            // the line inside a tree object's bytes: the parser reads only its own slice
            byte[] b = ("xx\n" + l + "\nyy").getBytes(StandardCharsets.ISO_8859_1);
            Entry p;
            try {
                p = TreeLine.entry(b, 3, 3 + l.length());
            } catch (IllegalArgumentException e) {
                assertThrows(IllegalArgumentException.class, () -> Entry.parse(l), l);
                continue;
            }
            accepted++;
            Entry back = Entry.parse(p.line()); // what it accepts it writes back as a line it reads the same
            assertEquals(p.line(), back.line(), l);
            assertArrayEquals(p.name, back.name, l);
            assertEquals(p.key(), back.key(), l);
            assertEquals(p.line(), Entry.parse(l).line(), l);
        }
        for (String bad : List.of("f 644 0 0 1.000000000 3 x:y -", "x 644 0 0 1.000000000 3 x:y - badkind",
                "f 644 0 0 1.000000000 3 x:y - two words", "f 644 4294967295 0 1.000000000 3 x:y - biguid",
                "f 644 0 0 1.000000000 99999999999999999999 x:y - huge", "f 644 0 0 1.000000000 3 x:y a - noeq")) {
            assertThrows(IllegalArgumentException.class, () -> Entry.parse(bad), bad);
        }
        assertTrue(accepted > 100, "lines accepted: " + accepted);
    }

    @Test
    void treeIndexFindsWhatTreeFinds() throws Exception {
        Files.writeString(RawPaths.child(src, new byte[] {'n', (byte) 0xff, ' ', ',', '='}), "odd\n");
        StoreTest.trySetUserXattr(src.resolve("a/other/x/y"), "user.vsys.test", "v,=1");
        Snapshot.Result r = snap();
        List<String> trees = new ArrayList<>();
        trees.add(root(r));
        for (int i = 0; i < trees.size(); i++) {
            Tree t = store.tree(trees.get(i));
            Tree.Index x = store.treeIndex(trees.get(i));
            assertEquals(t.entries.size(), x.size());
            for (Entry e : t.entries) {
                Entry y = x.get(e.key());
                assertNotNull(y, e.key());
                assertEquals(e.line(), y.line());
                if (e.kind == 'd') {
                    trees.add(e.ref);
                }
            }
            assertNull(x.get("no-such-name"));
        }
        assertTrue(trees.size() >= 6);
        assertThrows(IllegalArgumentException.class, () -> new Tree.Index("vsys-tree 2\n".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IllegalArgumentException.class,
                () -> new Tree.Index("vsys-tree 1\nbad line\n".getBytes(StandardCharsets.US_ASCII)).get("line"));
    }
}
