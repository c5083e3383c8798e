package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.store.Checkout;
import org.vsys.store.Commit;
import org.vsys.store.Entry;
import org.vsys.store.Fsck;
import org.vsys.store.Hashing;
import org.vsys.store.Store;
import org.vsys.store.Tree;
import org.vsys.store.TreeDump;

/**
 * Publish and pull between two stores on local trees (a published directory as the source), and
 * every kind of bad source: refused with one message, the destination store as it was.
 */
class PullTest {
    @TempDir
    Path tmp;
    Path src;
    Path pub;
    Store from;
    Store to;

    @BeforeEach
    void setUp() throws IOException {
        src = tmp.resolve("src");
        pub = tmp.resolve("pub");
        from = new Store(tmp.resolve("from"));
        to = new Store(tmp.resolve("to"));
        Random rnd = new Random(18);
        for (int d = 0; d < 10; d++) {
            Files.createDirectories(src.resolve("d" + d));
            for (int f = 0; f < 10; f++) {
                byte[] b = new byte[1000 + rnd.nextInt(3000)];
                rnd.nextBytes(b);
                Files.write(src.resolve("d" + d + "/f" + f), b);
            }
        }
        // names whose escaped order is not their byte order ('%' > '!'), in d3, which a delta rebuilds
        Files.writeString(src.resolve("d3/a!"), "x\n");
        Files.writeString(src.resolve("d3/a\u0001 b"), "y\n");
        Files.writeString(src.resolve("same1"), "same\n");
        Files.writeString(src.resolve("same2"), "same\n");
        Files.setPosixFilePermissions(src.resolve("same2"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.createSymbolicLink(src.resolve("link"), Path.of("d0/f0"));
    }

    String snap() throws Exception {
        return new Snapshot(from).run("sys", src, "dir:" + src, 2, null).commit;
    }

    void publish() throws Exception {
        new Publish(from, pub).run("sys");
    }

    Pull.Result pull(String commit) throws Exception {
        try (PullSource s = PullSource.of(pub.toString(), 5, null)) {
            Pull p = new Pull(to, s, 4, 0);
            return p.run("dst", commit == null ? p.resolve("sys", null) : commit);
        }
    }

    @Test
    void pullsACommitWholeThenOnlyWhatChanged() throws Exception {
        String c1 = snap();
        publish();
        Pull.Result r = pull(null);
        assertEquals(c1, r.commit);
        assertTrue(r.refMoved);
        assertEquals(List.of(c1), to.commits("dst"));
        assertEquals(TreeDump.of(src), TreeDump.of(new Checkout(to).ensure(c1)));
        assertTrue(new Fsck(to).run(2).clean());
        // one file's content, one file's mode only
        byte[] b = new byte[2000];
        new Random(1).nextBytes(b);
        Files.write(src.resolve("d3/f3"), b);
        Files.setPosixFilePermissions(src.resolve("d4/f4"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String c2 = snap();
        publish();
        Pull.Result r2 = pull(null);
        assertEquals(c2, r2.commit);
        assertEquals(1, r2.localObjects.get(), "the mode-only change is rebuilt from local content");
        long wholeTrees = from.read(from.commit(c2).root, Store.TREE).length;
        for (Entry e : from.tree(from.commit(c2).root).entries) {
            if (e.name[0] == 'd' && (e.name[1] == '3' || e.name[1] == '4')) {
                wholeTrees += from.read(e.ref, Store.TREE).length;
            }
        }
        assertEquals(3, r2.deltaTrees.get(), "the root, d3 and d4 rebuilt from the delta");
        assertTrue(r2.deltaBytes.get() > 0 && r2.deltaBytes.get() * 3 < wholeTrees, r2.deltaBytes + " of delta, " + wholeTrees + " of trees");
        long ref = 65 * 2; // refs/sys: two commits
        assertEquals(2000 + from.read(c2, Store.COMMIT).length + r2.deltaBytes.get() + ref, r2.fetchedBytes.get(),
                "the changed content, the ref, the commit and the delta");
        assertEquals(TreeDump.of(src), TreeDump.of(new Checkout(to).ensure(c2)));
        assertEquals(List.of(c1, c2), to.commits("dst"));
        assertTrue(new Fsck(to).run(2).clean());
        // again: nothing to do
        Pull.Result r3 = pull(c2);
        assertTrue(r3.alreadyHad);
        assertEquals(0, r3.fetchedBytes.get());
    }

    @Test
    void pullsTheCommitAloneByDefaultAndItsAncestorsWithDepth() throws Exception {
        String c1 = snap();
        Files.writeString(src.resolve("d1/f1"), "changed\n");
        String c2 = snap();
        Files.writeString(src.resolve("d2/f2"), "changed\n");
        String c3 = snap();
        assertEquals(c2, from.commit(c3).parent);
        publish();
        Pull.Result r = pull(c3);
        assertTrue(r.partial);
        assertEquals(List.of(c3), to.commits("dst"), "depth 0: the commit alone");
        assertEquals(c2, to.commit(c3).parent);
        assertTrue(!to.has(c2, Store.COMMIT));
        Fsck.Result f = new Fsck(to).run(2);
        assertTrue(f.clean(), String.valueOf(f.damage));
        assertEquals(1, f.parentless, "a commit whose parent was not pulled is counted, not damage");
        try (PullSource s = PullSource.of(pub.toString(), 5, null)) {
            Pull.Result r2 = new Pull(to, s, 2, 5).run("dst", c3);
            assertEquals(2, r2.commits, "the two ancestors");
            assertTrue(!r2.partial);
        }
        assertEquals(List.of(c1, c2, c3), to.commits("dst"));
        assertEquals(TreeDump.of(src), TreeDump.of(new Checkout(to).ensure(c3)));
        assertEquals(0, new Fsck(to).run(2).parentless);
    }

    @Test
    void pullsFromAStoreDirectly() throws Exception {
        String c1 = snap();
        try (PullSource s = PullSource.of(from.dir().toString(), 5, null)) {
            Pull p = new Pull(to, s, 3, 0);
            assertEquals(c1, p.run("dst", p.resolve("sys", c1.substring(0, 8))).commit);
        }
        assertEquals(TreeDump.of(src), TreeDump.of(new Checkout(to).ensure(c1)));
    }

    /** The state of the destination store a refused pull must leave: every file's path and size, the refs. */
    List<String> state() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.exists(to.dir())) {
            return out;
        }
        try (Stream<Path> s = Files.walk(to.dir())) {
            s.filter(p -> !Files.isDirectory(p) && !p.getFileName().toString().equals(".lock")).sorted().forEach(p -> {
                try {
                    out.add(to.dir().relativize(p) + " " + (Files.isRegularFile(p) ? Files.size(p) : -1));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        return out;
    }

    /** Pulls commit 1 (so the store is not empty), then a changed commit from a damaged source: refused, store as it was. */
    void refused(Consumer<Path> damage, String expect) throws Exception {
        snap();
        publish();
        pull(null);
        byte[] b = new byte[3000];
        new Random(2).nextBytes(b);
        Files.write(src.resolve("d5/f5"), b);
        Files.writeString(src.resolve("d6/new"), "new file\n");
        String c2 = snap();
        publish();
        damage.accept(pub);
        List<String> before = state();
        VsysException e = assertThrows(VsysException.class, () -> pull(c2));
        assertTrue(e.line().startsWith("vsys: pull: ") && e.line().contains(expect), e.line());
        assertEquals(ExitCode.BAD_SOURCE, e.exitCode(), e.line());
        assertEquals(before, state());
        assertTrue(new Fsck(to).run(2).clean());
    }

    Path contentOf(String rel) {
        try {
            Entry e = null;
            String root = from.commit(from.commits("sys").get(from.commits("sys").size() - 1)).root;
            Tree t = from.tree(root);
            for (String part : rel.split("/")) {
                e = t.get(part);
                if (e.kind == 'd') {
                    t = from.tree(e.ref);
                }
            }
            String ch = e.contentHash();
            return pub.resolve("content/" + ch.substring(0, 2) + "/" + ch.substring(2));
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    static void write(Path p, byte[] b) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, b);
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    @Test
    void refusesContentWithTheWrongHash() throws Exception {
        refused(p -> {
            byte[] b = new byte[3000];
            write(contentOf("d5/f5"), b);
        }, "content does not match its hash");
    }

    @Test
    void refusesATruncatedObject() throws Exception {
        refused(p -> write(contentOf("d5/f5"), new byte[100]), "truncated: 100 of the 3000 bytes");
    }

    @Test
    void refusesAnObjectLargerThanItsTreeSays() throws Exception {
        refused(p -> write(contentOf("d5/f5"), new byte[10_000_000]), "larger than the 3000 bytes");
    }

    /** The published delta of the source's last two commits, rewritten by edit (inflated text in, text out). */
    void editDelta(java.util.function.UnaryOperator<String> edit) {
        try {
            List<String> cs = from.commits("sys");
            Path d = pub.resolve(org.vsys.store.TreeDelta.name(cs.get(cs.size() - 2), cs.get(cs.size() - 1)));
            String text;
            try (java.io.InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(d))) {
                text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(d))) {
                out.write(edit.apply(text).getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    @Test
    void refusesADeltaWhoseTreesDoNotRebuildToTheirIds() throws Exception {
        refused(p -> editDelta(t -> t.replaceFirst("\n\\+ f 644 ", "\n+ f 4755 ")), "does not rebuild to its id");
    }

    @Test
    void refusesADeltaThatIsNotOne() throws Exception {
        refused(p -> editDelta(t -> t.replaceFirst("\ntree ", "\ntree ../../x ")), "bad line");
    }

    @Test
    void refusesATreeNamingAMissingObject() throws Exception {
        refused(p -> {
            try {
                Files.delete(contentOf("d6/new"));
            } catch (IOException x) {
                throw new IllegalStateException(x);
            }
        }, "a tree names a missing object");
    }

    /** A commit whose root tree has one entry named name (valid hashes throughout), as the source's newest. */
    void craft(String entryLine) {
        try {
            byte[] tb = ("vsys-tree 1\n" + entryLine + "\n").getBytes(StandardCharsets.US_ASCII);
            String tid = Hashing.sha256(tb);
            write(pub.resolve(Pull.objectName(tid, Store.TREE)), tb);
            Commit c = from.commit(from.commits("sys").get(0));
            c.root = tid;
            byte[] cb = c.toBytes();
            String cid = Hashing.sha256(cb);
            write(pub.resolve(Pull.objectName(cid, Store.COMMIT)), cb);
            write(pub.resolve("refs/sys"), (cid + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    void refusedCrafted(String entryLine, String expect) throws Exception {
        snap();
        publish();
        pull(null);
        craft(entryLine);
        List<String> before = state();
        VsysException e = assertThrows(VsysException.class, () -> pull(null));
        assertTrue(e.line().startsWith("vsys: pull: ") && e.line().contains(expect), e.line());
        assertEquals(ExitCode.BAD_SOURCE, e.exitCode(), e.line());
        assertEquals(before, state());
    }

    String fileLine(String name) {
        Entry e = Entry.parse("f 644 0 0 1.000000000 5 x - " + name);
        String ch = Hashing.sha256("same\n".getBytes(StandardCharsets.US_ASCII));
        e.ref = Entry.fileId(e, ch) + ":" + ch;
        return e.line().substring(0, e.line().lastIndexOf(' ') + 1) + name;
    }

    @Test
    void refusesNamesWithSlashOrDotDot() throws Exception {
        refusedCrafted(fileLine("..%2fetc%2fshadow"), "contains '/'");
    }

    @Test
    void refusesDotDot() throws Exception {
        refusedCrafted(fileLine(".."), "is not a file name");
    }

    @Test
    void refusesAnIdThatIsAPath() throws Exception {
        refusedCrafted("d 755 0 0 1.000000000 0 ../../../../etc/x - sub", "names no tree id");
    }

    @Test
    void refusesAnObjectIdThatIsNotItsMetadatas() throws Exception {
        String l = fileLine("f");
        refusedCrafted(l.replace(" 644 ", " 4755 "), "is not the one of its metadata");
    }

    @Test
    void refusesARefThatIsNotAListOfIds() throws Exception {
        snap();
        publish();
        write(pub.resolve("refs/sys"), "../../etc/passwd\n".getBytes(StandardCharsets.US_ASCII));
        PullSource.Refused e = assertThrows(PullSource.Refused.class, () -> pull(null));
        assertTrue(e.getMessage().contains("refs/sys: not a list of commit ids"), e.getMessage());
    }
}
