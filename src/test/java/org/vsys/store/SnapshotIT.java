package org.vsys.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.vsys.linux.Xattrs;
import org.vsys.linux.Inodes;

/**
 * The store through the installed vsys on local trees (dir: sources): checkout identical to the
 * source, incremental reads counted, switch/rollback/gc with a process using the old tree, two
 * overlapping systems, kill -9 during snapshot and gc.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotIT {
    static final Path BASE = Paths.get("/var/tmp/vsys-it-store");
    static final String A = "it-snap-a";
    static final String B = "it-snap-b";
    static final Pattern READ = Pattern.compile("read (\\d+) files, (\\d+) bytes from the source; rebuilt (\\d+) files");
    static final Pattern COMMIT = Pattern.compile("(?:commit|nothing changed since) ([0-9a-f]{12})");

    @BeforeAll
    static void setUp() throws Exception {
        Sh.requireRootAndVsys();
        tearDown();
        Files.createDirectories(BASE);
        makeTree(BASE.resolve("a"), 1);
    }

    @AfterAll
    static void tearDown() throws Exception {
        Sh.destroyQuietly(A);
        Sh.destroyQuietly(B);
        for (String s : List.of(A, B)) {
            Files.deleteIfExists(Sh.R.resolve(".store/refs").resolve(s));
        }
        if (Files.exists(Sh.R.resolve(".store"))) {
            Sh.vsys("gc");
        }
        Sh.run("rm", "-rf", "--one-file-system", BASE.toString());
    }

    /** A small OS-like tree with every kind of entry the store keeps. */
    static void makeTree(Path root, long seed) throws Exception {
        Random rnd = new Random(seed);
        Files.createDirectories(root.resolve("etc/ssl"));
        Files.createDirectories(root.resolve("usr/bin"));
        Files.createDirectories(root.resolve("usr/lib"));
        Files.createDirectories(root.resolve("dev"));
        Files.createDirectories(root.resolve("var/tmp"));
        Files.writeString(root.resolve("etc/os-release"), "PRETTY_NAME=\"vsys snapshot test " + seed + "\"\nID=test\n");
        hostPrograms(root);
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[rnd.nextInt(20_000)];
            rnd.nextBytes(b);
            Files.write(root.resolve("usr/lib/lib" + i + ".so"), b);
        }
        Files.write(root.resolve("usr/bin/tool"), new byte[] {'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'});
        Inodes.get().chmod(RawPaths.cpath(root.resolve("usr/bin/tool")), 04755);
        Files.createSymbolicLink(root.resolve("usr/bin/alias"), Path.of("tool"));
        Files.createLink(root.resolve("usr/bin/hardlink"), root.resolve("usr/bin/tool"));
        Inodes.get().mknod(RawPaths.cpath(root.resolve("dev/null")), 0020666, (1L << 8) | 3);
        Inodes.get().mknod(RawPaths.cpath(root.resolve("dev/sda")), 0060660, 8L << 8);
        Inodes.get().mknod(RawPaths.cpath(root.resolve("dev/fifo")), 0010600, 0);
        Inodes.get().mknod(RawPaths.cpath(root.resolve("dev/sock")), 0140755, 0);
        Files.writeString(RawPaths.child(root.resolve("etc"), new byte[] {'l', (byte) 0xe9, 't', (byte) 0xff}), "latin-1 name\n");
        Files.writeString(root.resolve("etc").resolve("n".repeat(255)), "long name\n");
        try (FileChannel ch = FileChannel.open(root.resolve("var/sparse.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("data".getBytes(StandardCharsets.US_ASCII)), 8L << 20);
        }
        Xattrs.get().set(RawPaths.cpath(root.resolve("etc/os-release")), "user.vsys".getBytes(), "x".getBytes());
        Xattrs.get().set(RawPaths.cpath(root.resolve("usr/lib/lib1.so")), "trusted.vsys".getBytes(), new byte[] {0, 1, 2});
        // a file capability (what setcap writes): v2, cap_net_raw permitted+effective
        byte[] cap = {0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        cap[0] = 1;
        Xattrs.get().set(RawPaths.cpath(root.resolve("usr/lib/lib2.so")), "security.capability".getBytes(), cap);
        if (Sh.run("setfacl", "-m", "u:65534:r", root.resolve("etc/ssl").toString()).exit() != 0) {
            // under CI an ACL must be part of the tree (.ci/run installs acl); by hand, say so and go on
            org.junit.jupiter.api.Assertions.assertNotEquals("true", System.getenv("CI"),
                    "setfacl failed (package acl missing?): the ACL case of the snapshot test would not run");
            System.err.println("setfacl missing: no ACL in the test tree");
        }
        Inodes.get().lchown(RawPaths.cpath(root.resolve("etc/ssl")), 65534, 65534);
        Inodes.get().lchown(RawPaths.cpath(root.resolve("usr/bin/alias")), 1, 2);
        Files.setLastModifiedTime(root.resolve("usr/lib/lib3.so"), FileTime.from(Instant.ofEpochSecond(1_600_000_000L, 999_999_999)));
        Inodes.get().setTimes(RawPaths.cpath(root.resolve("usr/bin/alias")), 1, 0, 1_500_000_000L, 5);
    }

    /** sh, cat and sleep of this host with their libraries, so the launcher can run them in the tree. */
    static void hostPrograms(Path root) throws Exception {
        Files.createDirectories(root.resolve("usr/bin"));
        for (String l : List.of("bin", "lib", "lib64", "sbin")) {
            Files.createSymbolicLink(root.resolve(l), Path.of("usr/" + l));
        }
        Files.createDirectories(root.resolve("usr/lib64"));
        for (String prog : List.of("sh", "cat", "sleep")) {
            Path real = Path.of("/bin", prog).toRealPath();
            Sh.run("cp", "-L", "--preserve=mode", real.toString(), root.resolve("usr/bin/" + prog).toString());
            for (String line : Sh.run("ldd", real.toString()).out().split("\n")) {
                Matcher m = Pattern.compile("(/\\S+)").matcher(line);
                while (m.find()) {
                    Path lib = Path.of(m.group(1));
                    String rel = lib.toString().startsWith("/usr/") ? lib.toString().substring(5) : lib.toString().substring(1);
                    Path dst = root.resolve("usr").resolve(rel);
                    if (!Files.exists(dst)) {
                        Files.createDirectories(dst.getParent());
                        Sh.run("cp", "-L", "--preserve=mode", lib.toString(), dst.toString());
                    }
                }
            }
        }
    }

    static String create(String name, Path src) {
        return Sh.vsysOk("create", name, "dir:" + src);
    }

    static long[] counts(String out) {
        Matcher m = READ.matcher(out);
        assertTrue(m.find(), out);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
    }

    static String commitOf(String out) {
        Matcher m = COMMIT.matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    static Path checkout(String name) throws IOException {
        for (String l : Files.readAllLines(Sh.R.resolve("etc/systems").resolve(name))) {
            if (l.startsWith("view=")) {
                return Paths.get(l.substring(5));
            }
        }
        return null;
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void snapshotSwitchRollbackGc() throws Exception {
        Path src = BASE.resolve("a");
        create(A, src);
        String first = Sh.vsysOk("snapshot", A);
        long[] c1 = counts(first);
        long regular;
        try (Stream<Path> w = Files.walk(src)) {
            regular = w.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).count();
        }
        assertEquals(regular - 1, c1[0], "every file read once (the hard link not again): " + first);
        String id1 = commitOf(first);
        assertTrue(Sh.vsysOk("snapshot", "--list", A).startsWith(id1));
        String sw = Sh.vsysOk("switch", A, "--snapshot");
        Path co1 = checkout(A);
        assertTrue(co1 != null && co1.toString().contains(id1), sw);
        // the checkout is metadata-identical to the source: types, modes, uid, gid, size, mtime,
        // xattrs (ACL and file capability included), link targets, device numbers, content hashes
        assertEquals(TreeDump.of(src).subList(1, TreeDump.of(src).size()), TreeDump.of(co1).subList(1, TreeDump.of(co1).size()));
        assertEquals(TreeDump.line(src), TreeDump.line(co1));
        assertEquals(0, Sh.vsys("fsck").exit());

        // 1 content change, 1 mode-only change: only the changed file's bytes are read
        Files.writeString(src.resolve("etc/os-release"), "PRETTY_NAME=\"changed\"\n");
        long changed = Files.size(src.resolve("etc/os-release"));
        Inodes.get().chmod(RawPaths.cpath(src.resolve("usr/lib/lib7.so")), 0600);
        long lib7 = Files.size(src.resolve("usr/lib/lib7.so"));
        String second = Sh.vsysOk("snapshot", A);
        long[] c2 = counts(second);
        assertEquals(1, c2[0], second);
        assertEquals(changed, c2[1], "bytes read from the source: " + second);
        assertEquals(1, c2[2], "the mode-only change was rebuilt from the store: " + second);
        assertTrue(second.contains("rebuilt 1 files, " + lib7 + " bytes"), second);
        String id2 = commitOf(second);
        assertNotEquals(id1, id2);
        String third = Sh.vsysOk("snapshot", A);
        assertEquals(0, counts(third)[1], "nothing changed: nothing read: " + third);
        assertTrue(third.contains("nothing changed"), third);

        // a process that uses the old tree keeps it
        // one process with its cwd in the old checkout, one launched inside the system before the switch
        Process old = new ProcessBuilder("sh", "-c", "cd " + co1 + "/etc && while :; do cat os-release; sleep 0.2; done")
                .redirectErrorStream(true).start();
        Path log = BASE.resolve("inside.log");
        Process inside = new ProcessBuilder(Sh.R.resolve("bin").resolve(A).toString(), "sh", "-c",
                "while :; do cat /etc/os-release; sleep 0.2; done").directory(Path.of("/").toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Sh.vsysOk("switch", A, "--snapshot");
            Path co2 = checkout(A);
            assertTrue(co2.toString().contains(id2));
            assertEquals("PRETTY_NAME=\"changed\"\n", Files.readString(co2.resolve("etc/os-release")));
            assertTrue(Files.readString(co1.resolve("etc/os-release")).contains("snapshot test"));
            launcherSees(A, "changed");
            if (viewSupport()) {
                // the process launched before the switch still reads the old file
                Thread.sleep(1000);
                String seen = Files.readString(log);
                String last = seen.substring(seen.lastIndexOf("PRETTY_NAME"));
                assertTrue(inside.isAlive() && seen.split("PRETTY_NAME").length > 3 && last.contains("snapshot test"),
                        "the old process keeps the old tree: " + seen);
            }
            // rollback restores the old commit
            String rb = Sh.vsysOk("rollback", A);
            assertTrue(rb.contains(id1), rb);
            assertEquals(co1, checkout(A));
            launcherSees(A, "snapshot test");
            // gc --keep 1 with the system on the old commit and a process in the old checkout
            Sh.vsysOk("switch", A, "--snapshot");
            String gc = Sh.vsysOk("gc", "--keep", "1");
            assertTrue(Files.isDirectory(co1), "the checkout in use survives gc: " + gc);
            assertTrue(gc.contains("in use by processes"), gc);
            assertEquals(0, Sh.vsys("fsck").exit());
            Sh.vsysOk("switch", A, id1.substring(0, 8));
            assertEquals(co1, checkout(A));
        } finally {
            inside.destroyForcibly();
            inside.waitFor(10, TimeUnit.SECONDS);
            old.destroyForcibly();
            old.waitFor(10, TimeUnit.SECONDS);
        }
        Sh.vsysOk("switch", A, "--live");
        assertEquals(null, checkout(A));
        assertFalse(Files.readAllLines(Sh.R.resolve("etc/systems").resolve(A)).stream().anyMatch(l -> l.startsWith("view=")));
    }

    /**
     * What a new launch sees. Until vsys-view binds view= (native/view.c), a launch still sees the
     * live mount: the record and checkout checks above stand, this one is skipped.
     */
    static void launcherSees(String name, String text) {
        Sh.Result r = Sh.run(Sh.R.resolve("bin").resolve(name).toString(), "cat", "/etc/os-release");
        if (!viewSupport()) {
            return;
        }
        assertTrue(r.out().contains(text), "a new launch sees the switched tree: " + r);
    }

    static boolean viewSupport() {
        return Sh.run("grep", "-aq", "open_tree of its view", Sh.env("VSYS_IT_VIEW_HELPER", "/usr/local/lib/vsys/vsys-view")).exit() == 0;
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void overlappingTreesAreStoredOnce() throws Exception {
        Path b = BASE.resolve("b");
        Sh.run("cp", "-a", BASE.resolve("a").toString(), b.toString());
        // b differs from a in 10 of its 200 libraries
        for (int i = 100; i < 110; i++) {
            Files.write(b.resolve("usr/lib/lib" + i + ".so"), ("other " + i).getBytes());
        }
        create(B, b);
        long before = objectBytes();
        String out = Sh.vsysOk("snapshot", B);
        long grew = objectBytes() - before;
        long unique = 0;
        for (int i = 100; i < 110; i++) {
            unique += Files.size(b.resolve("usr/lib/lib" + i + ".so"));
        }
        // new: the 10 files, the trees on their path, the commit
        assertTrue(counts(out)[1] > 0);
        assertTrue(grew <= unique + 64 * 1024, "the second tree added " + grew + " bytes for " + unique + " unique bytes: " + out);
    }

    static long objectBytes() throws IOException {
        try (Stream<Path> s = Files.walk(Sh.R.resolve(".store/objects"))) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    @Test
    @org.junit.jupiter.api.Order(3)
    void killDuringSnapshotAndGc() throws Exception {
        Path b = BASE.resolve("b");
        if (!Files.exists(Sh.R.resolve("etc/systems").resolve(B))) {
            Sh.run("cp", "-a", BASE.resolve("a").toString(), b.toString());
            create(B, b);
        }
        for (int i = 0; i < 50; i++) {
            Files.write(b.resolve("usr/lib/new" + i + ".so"), ("new content " + i).getBytes());
        }
        Sh.killAt("snapshot.batch", "snapshot", B);
        Sh.Result f = Sh.vsys("fsck");
        assertEquals(0, f.exit(), "fsck after kill -9 in snapshot: " + f);
        Files.write(b.resolve("usr/lib/after.so"), "after".getBytes());
        Sh.killAt("snapshot.commit", "snapshot", B);
        f = Sh.vsys("fsck");
        assertEquals(0, f.exit(), "fsck after kill -9 at the commit: " + f);
        String done = Sh.vsysOk("snapshot", B);
        assertTrue(done.contains("commit"), done);
        // killed after its last batch: the resume index has every file, none is read again
        assertEquals(0, counts(done)[0], "files read again after the kill at the commit: " + done);
        assertTrue(done.contains("files known from an interrupted snapshot"), done);
        assertFalse(Files.exists(Sh.R.resolve(".store/resume").resolve(B)), "resume index removed at the commit");
        // gc killed in the middle of removing objects
        Files.deleteIfExists(Sh.R.resolve(".store/refs").resolve(B));
        Sh.destroyQuietly(B);
        Sh.killAt("gc.sweeping", "gc");
        f = Sh.vsys("fsck");
        assertEquals(0, f.exit(), "fsck after kill -9 in gc: " + f);
        String again = Sh.vsysOk("snapshot", A);
        assertTrue(again.contains(" entries"), again);
        Sh.vsysOk("gc");
        assertEquals(0, Sh.vsys("fsck").exit());
    }

    @Test
    @org.junit.jupiter.api.Order(4)
    void fsckReportsDamage() throws Exception {
        Path co = null;
        String id = Sh.vsysOk("snapshot", "--list", A).substring(0, 64);
        Sh.vsysOk("switch", A, id);
        co = checkout(A);
        // damage one object through its checkout link (what a write to the hard link would do)
        Path f = co.resolve("usr/lib/lib5.so");
        FileTime t = Files.getLastModifiedTime(f);
        byte[] orig = Files.readAllBytes(f);
        try {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {(byte) (orig.length > 0 ? orig[0] ^ 1 : 1)}), 0);
            }
            Files.setLastModifiedTime(f, t);
            Sh.Result r = Sh.vsys("fsck");
            assertEquals(13, r.exit(), r.toString());
            assertTrue(r.err().contains("damaged"), r.toString());
        } finally {
            Files.write(f, orig);
            Files.setLastModifiedTime(f, t);
        }
        assertEquals(0, Sh.vsys("fsck").exit());
        Sh.vsysOk("switch", A, "--live");
    }

    static Map<String, String> none() {
        return new HashMap<>();
    }
}
