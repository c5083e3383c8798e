package org.vsys.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.core.Snapshot;
import org.vsys.core.Gc;
import org.vsys.linux.Xattrs;
import org.vsys.linux.Inodes;

/** The store on local trees (no root needed: everything keeps the current user's ids). */
class StoreTest {
    @TempDir
    Path tmp;
    Path src;
    Store store;

    @BeforeEach
    void setUp() throws IOException {
        src = tmp.resolve("src");
        store = new Store(tmp.resolve("store"));
        Files.createDirectories(src.resolve("etc/sub"));
        Files.writeString(src.resolve("etc/os-release"), "PRETTY_NAME=\"Test\"\n");
        Files.writeString(src.resolve("etc/sub/a"), "alpha\n");
        Files.writeString(src.resolve("etc/sub/b"), "alpha\n"); // same content, other object only if meta differs
        Files.write(src.resolve("big"), new byte[300_000]);
        Inodes.get().chmod(RawPaths.cpath(src.resolve("etc/sub/a")), 04750);
        Files.createSymbolicLink(src.resolve("etc/link"), Path.of("sub/a"));
        Files.createSymbolicLink(src.resolve("dangling"), Path.of("/nowhere/at/all"));
        Files.createLink(src.resolve("etc/hard"), src.resolve("etc/os-release"));
        Inodes.get().mknod(RawPaths.cpath(src.resolve("fifo")), 0010644, 0);
        // sparse: 1 MiB hole, 5 bytes, another hole at the end
        try (FileChannel ch = FileChannel.open(src.resolve("sparse"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)), 1 << 20);
            ch.write(ByteBuffer.wrap(new byte[1]), 3 << 20);
        }
        // non-UTF-8 and long names
        byte[] bad = {'n', (byte) 0xff, (byte) 0xfe, 'x'};
        Files.writeString(RawPaths.child(src, bad), "latin\n");
        Files.writeString(src.resolve("x".repeat(255)), "long\n");
        Files.createDirectory(src.resolve("empty"));
        Files.setPosixFilePermissions(src.resolve("empty"), PosixFilePermissions.fromString("r-x------"));
        Files.setLastModifiedTime(src.resolve("etc/sub/b"), FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)));
        trySetUserXattr(src.resolve("etc/os-release"), "user.vsys.test", "v1");
    }

    static boolean trySetUserXattr(Path p, String name, String value) {
        try {
            Xattrs.get().set(RawPaths.cpath(p), name.getBytes(StandardCharsets.US_ASCII), value.getBytes(StandardCharsets.US_ASCII));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    Snapshot.Result snap(String sys) throws Exception {
        return new Snapshot(store).run(sys, src, "dir:" + src, 2, null);
    }

    @Test
    void checkoutIsMetadataIdenticalToTheSource() throws Exception {
        Snapshot.Result r = snap("t");
        assertFalse(r.unchanged);
        assertEquals(r.files - 1, r.sourceFiles.get(), "every file read once, the hard link not again: " + r.summary("t"));
        Path co = new Checkout(store).ensure(r.commit);
        // the source's root line differs only in its mtime if the walk changed nothing: compare all
        assertEquals(TreeDump.of(src), TreeDump.of(co));
        // checkout files are hard links to objects
        Map<String, Object> a = Files.readAttributes(co.resolve("etc/sub/a"), "unix:nlink");
        assertTrue(((Integer) a.get("nlink")) >= 2);
        // the sparse file stayed sparse in the store
        long blocks = (Long) Files.readAttributes(co.resolve("sparse"), "unix:*").getOrDefault("blocks", 0L);
        assertTrue(Files.size(co.resolve("sparse")) == (3 << 20) + 1);
        assertTrue(blocks >= 0);
        Fsck.Result f = new Fsck(store).run(2);
        assertTrue(f.clean(), f.damage.toString());
    }

    @Test
    void secondSnapshotReadsOnlyTheChangedContent() throws Exception {
        Snapshot.Result first = snap("t");
        Files.writeString(src.resolve("etc/sub/b"), "beta!\n"); // content
        Files.setPosixFilePermissions(src.resolve("big"), PosixFilePermissions.fromString("rw-------")); // mode only
        Snapshot.Result second = snap("t");
        assertEquals(1, second.sourceFiles.get(), second.summary("t"));
        assertEquals(6, second.sourceBytes.get(), second.summary("t"));
        assertEquals(1, second.localFiles.get(), "the mode-only change rebuilt from the store: " + second.summary("t"));
        assertEquals(300_000, second.localBytes.get());
        assertNotEquals(first.commit, second.commit);
        assertEquals(first.commit, store.commit(second.commit).parent);
        assertEquals(TreeDump.of(src), TreeDump.of(new Checkout(store).ensure(second.commit)));
        Snapshot.Result third = snap("t");
        assertTrue(third.unchanged);
        assertEquals(0, third.sourceBytes.get());
        assertEquals(second.commit, third.commit);
        assertEquals(List.of(first.commit, second.commit), store.commits("t"));
    }

    @Test
    void symlinksAreHardLinkedFromSymlinkObjects() throws Exception {
        Snapshot.Result r = snap("t");
        Checkout co = new Checkout(store);
        Path dir = co.ensure(r.commit);
        assertEquals(2, co.symlinkLinks(), "etc/link and dangling linked from their objects");
        assertEquals(Path.of("sub/a"), Files.readSymbolicLink(dir.resolve("etc/link")));
        assertEquals(2, Files.getAttribute(dir.resolve("dangling"), "unix:nlink", java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals(TreeDump.of(src), TreeDump.of(dir));
        assertTrue(new Fsck(store).run(2).clean());
        new Gc(store).run(Set.of(), null);
        assertTrue(Files.exists(dir.resolve("dangling"), java.nio.file.LinkOption.NOFOLLOW_LINKS), "gc keeps what a commit needs");
        // a missing symlink object is no damage: the checkout makes the symlink
        co.remove(r.commit);
        try (Stream<Path> s = Files.walk(store.objects())) {
            for (Path p : s.filter(p -> p.toString().endsWith("." + Store.SYMLINK)).toList()) {
                Files.delete(p);
            }
        }
        assertTrue(new Fsck(store).run(2).clean());
        Checkout co2 = new Checkout(store);
        assertEquals(TreeDump.of(src), TreeDump.of(co2.ensure(r.commit)));
        assertEquals(0, co2.symlinkLinks());
    }

    @Test
    void resumeIndexSavesRereadingWhatAnInterruptedRunStored() throws Exception {
        Snapshot.Result a = snap("a");
        // what an interrupted snapshot of "b" would have left: the refs of the files it stored,
        // one of them naming content the store does not have
        StringBuilder sb = new StringBuilder("vsys-resume 1\n");
        int files = resumeLines(store.commit(a.commit).root, "", sb);
        String bogus = "0".repeat(64) + ":" + "1".repeat(64);
        Entry big = store.tree(store.commit(a.commit).root).get("big");
        sb.append(big.size).append(' ').append(big.mtimeWord()).append(' ').append(bogus).append(" /big\n");
        Path idx = store.dir().resolve("resume/b");
        Files.createDirectories(idx.getParent());
        Files.writeString(idx, sb.toString());
        Snapshot.Result b = snap("b");
        assertEquals(files - 1, b.resumedFiles, b.summary("b"));
        assertEquals(1, b.sourceFiles.get(), "only the file with the bogus hint was read: " + b.summary("b"));
        assertEquals(300_000, b.sourceBytes.get());
        assertFalse(Files.exists(idx), "removed at the commit");
        assertEquals(TreeDump.of(src), TreeDump.of(new Checkout(store).ensure(b.commit)));
        // a file changed since (its mtime) is read again; the index is per system
        Files.setLastModifiedTime(src.resolve("etc/sub/a"), FileTime.from(Instant.ofEpochSecond(1_600_000_000L)));
        Files.writeString(store.dir().resolve("resume/d"), sb.toString());
        Snapshot.Result c = snap("c");
        assertEquals(0, c.resumedFiles, c.summary("c"));
        Snapshot.Result d = snap("d");
        assertEquals(files - 2, d.resumedFiles, d.summary("d"));
        assertEquals(2, d.sourceFiles.get(), "etc/sub/a (changed) and big (bogus hint) read: " + d.summary("d"));
    }

    int resumeLines(String tree, String rel, StringBuilder sb) throws IOException {
        int n = 0;
        for (Entry e : store.tree(tree).entries) {
            String r = rel + "/" + e.key();
            if (e.kind == 'd') {
                n += resumeLines(e.ref, r, sb);
            } else if (e.kind == 'f') {
                if (!e.key().equals("big")) {
                    sb.append(e.size).append(' ').append(e.mtimeWord()).append(' ').append(e.ref).append(' ').append(r).append('\n');
                }
                n++;
            }
        }
        return n;
    }

    @Test
    void identicalTreesAreStoredOnce() throws Exception {
        snap("a");
        long one = objectBytes();
        Snapshot.Result b = snap("b"); // same tree, other system
        assertTrue(b.newObjects <= 1, "only the commit is new: " + b.summary("b"));
        assertEquals(one, objectBytes() - Files.size(store.object(b.commit, Store.COMMIT)));
    }

    long objectBytes() throws IOException {
        try (Stream<Path> s = Files.walk(store.objects())) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }).sum();
        }
    }

    @Test
    void fsckFindsDamage() throws Exception {
        Snapshot.Result r = snap("t");
        Tree root = store.tree(store.commit(r.commit).root);
        Entry big = root.get("big");
        Path obj = store.object(big.objectId(), Store.FILE);
        // content damage with the metadata kept (mtime restored)
        FileTime t = Files.getLastModifiedTime(obj);
        try (FileChannel ch = FileChannel.open(obj, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), 10);
        }
        Files.setLastModifiedTime(obj, t);
        // metadata damage
        Entry os = store.tree(root.get("etc").ref).get("os-release");
        Files.setPosixFilePermissions(store.object(os.objectId(), Store.FILE), PosixFilePermissions.fromString("rwxrwxrwx"));
        // a missing tree
        Files.delete(store.object(root.get("empty").ref, Store.TREE));
        Fsck.Result f = new Fsck(store).run(2);
        assertEquals(3, f.damage.size(), f.damage.toString());
    }

    @Test
    void gcKeepsWhatIsNeededAndRemovesTheRest() throws Exception {
        Snapshot.Result first = snap("t");
        Files.writeString(src.resolve("etc/sub/b"), "changed\n");
        Snapshot.Result second = snap("t");
        Files.writeString(store.tmp().resolve("leftover"), "x");
        Gc.Result g = new Gc(store).run(Set.of(), null);
        assertEquals(0, g.removedObjects, "all commits kept");
        assertEquals(1, g.removedTemps);
        new Checkout(store).ensure(first.commit);
        g = new Gc(store).run(Set.of(), 1);
        assertEquals(1, g.droppedCommits);
        assertEquals(1, g.removedCheckouts);
        assertEquals(5, g.removedObjects, "the old commit, root, etc, etc/sub trees and the old b: " + g.removedObjects);
        assertEquals(List.of(second.commit), store.commits("t"));
        assertTrue(new Fsck(store).run(2).clean());
        // a view keeps its commit
        Files.writeString(src.resolve("etc/sub/b"), "third\n");
        Snapshot.Result third = snap("t");
        new Checkout(store).ensure(second.commit);
        g = new Gc(store).run(Set.of(second.commit), 1);
        assertEquals(0, g.removedObjects);
        assertTrue(Files.isDirectory(store.checkouts().resolve(second.commit)));
        assertEquals(List.of(second.commit, third.commit), store.commits("t"));
    }

    @Test
    void interruptedRunLeavesAConsistentStore() throws Exception {
        snap("t");
        // what a kill -9 leaves: temp objects, a half-made checkout
        Files.writeString(store.tmp().resolve("123-4"), "partial");
        Files.createDirectories(store.checkouts().resolve(".tmp-" + "0".repeat(64) + "-1/etc"));
        assertTrue(new Fsck(store).run(2).clean());
        Files.writeString(src.resolve("new"), "n");
        Snapshot.Result r = snap("t");
        assertEquals(1, r.sourceFiles.get());
        assertFalse(Files.exists(store.tmp().resolve("123-4")));
        new Gc(store).run(Set.of(), null);
        assertFalse(Files.exists(store.checkouts().resolve(".tmp-" + "0".repeat(64) + "-1")));
    }

    @Test
    void entriesRoundTrip() {
        Entry e = new Entry();
        e.kind = 'f';
        e.mode = 04755;
        e.uid = 0;
        e.gid = 5;
        e.mtimeSec = 1;
        e.mtimeNsec = 2;
        e.size = 3;
        e.ref = "a".repeat(64) + ":" + "b".repeat(64);
        e.name = new byte[] {'a', ' ', (byte) 0xff, '%', '=', ','};
        byte[][] x = {"security.capability".getBytes(StandardCharsets.US_ASCII), {0, 1, 2, ' '}};
        e.xattrs = List.<byte[][]>of(x);
        Entry back = Entry.parse(e.line());
        assertEquals(e.line(), back.line());
        assertArrayEquals(e.name, back.name);
        assertTrue(e.sameMeta(back));
    }

    @Test
    void rawNamesKeepEveryByte() throws IOException {
        byte[] bad = {'a', (byte) 0x80, (byte) 0xc3, 'z'};
        Path d = Files.createDirectory(tmp.resolve("raw"));
        Path p = RawPaths.child(d, bad);
        Files.writeString(p, "x");
        try (Stream<Path> s = Files.list(d)) {
            Path listed = s.findFirst().orElseThrow();
            assertArrayEquals(bad, RawPaths.nameBytes(listed));
        }
        assertArrayEquals("../a/b".getBytes(StandardCharsets.US_ASCII), RawPaths.bytes0(RawPaths.fromBytes("../a/b".getBytes())));
        byte[] rel = {'.', '.', '/', (byte) 0xff};
        assertArrayEquals(rel, RawPaths.bytes0(RawPaths.fromBytes(rel)));
    }
}
