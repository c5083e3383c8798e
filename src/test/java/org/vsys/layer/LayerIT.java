package org.vsys.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vsys.testing.Cmd;
import org.vsys.testing.ItEnv;
import org.vsys.testing.LocalTree;
import org.vsys.testing.RemoteFixture;
import org.vsys.testing.TreeHash;

/**
 * The persistent layer (vsys create --layer persistent) through the installed vsys and the real
 * launcher: a .deb the test builds installed by root inside, used by an unprivileged user,
 * through remount and restore, with the lower tree unchanged; vsys diff exactly; vsys reset
 * with a planted symlink and processes inside; a layer over sshfs; a lower overlayfs refuses;
 * switch with the 3-way merge, a crash (fault and kill -9) at each step of it, rollback,
 * snapshot --with-layer; destroy keeps the upper.
 */
class LayerIT {
    static final String P = "it-layer-";
    final List<String> made = new ArrayList<>();
    Path work;

    @BeforeEach
    void setUp() throws IOException {
        ItEnv.requireInstalled();
        work = Files.createTempDirectory(Paths.get("/tmp"), "it-layer-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        for (String n : made) {
            ItEnv.destroyQuietly(n);
            Path layer = ItEnv.R.resolve(".layer").resolve(n);
            if (Files.exists(layer, LinkOption.NOFOLLOW_LINKS)) {
                Cmd.of("rm", "-rf", "--one-file-system", "--", layer.toString()).run();
            }
        }
        Cmd.of("rm", "-rf", "--one-file-system", "--", work.toString()).run();
    }

    String system(String suffix) {
        String n = P + suffix + "-" + ProcessHandle.current().pid();
        made.add(n);
        return n;
    }

    static Cmd.Result inside(String name, String... cmd) {
        List<String> a = new ArrayList<>();
        a.add(ItEnv.launcher(name));
        a.addAll(Arrays.asList(cmd));
        return Cmd.of(a).dir(Paths.get("/")).run();
    }

    static Cmd.Result asUser(String name, String... cmd) {
        List<String> a = new ArrayList<>();
        a.add(ItEnv.launcher(name));
        a.addAll(Arrays.asList(cmd));
        return Cmd.asUser(ItEnv.USER, a.toArray(new String[0])).dir(Paths.get("/")).run();
    }

    static String insideOk(String name, String... cmd) {
        Cmd.Result r = inside(name, cmd);
        assertEquals(0, r.exit(), "inside " + name + ": " + r);
        return r.out();
    }

    static Set<String> diff(String name) {
        return new TreeSet<>(ItEnv.vsysOk("diff", name).lines().toList());
    }

    /** A .deb with /usr/bin/vsys-layer-hello (a shell script), made with dpkg-deb, no network. */
    Path buildDeb() throws IOException {
        Path pkg = work.resolve("pkg");
        Files.createDirectories(pkg.resolve("DEBIAN"));
        Files.createDirectories(pkg.resolve("usr/bin"));
        Files.writeString(pkg.resolve("DEBIAN/control"), "Package: vsys-layer-hello\nVersion: 1.0\nArchitecture: all\n"
                + "Maintainer: vsys tests <root@localhost>\nDescription: test package of LayerIT\n");
        Path bin = pkg.resolve("usr/bin/vsys-layer-hello");
        Files.writeString(bin, "#!/bin/sh\necho \"hello from the layer, $(id -un)\"\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path deb = work.resolve("vsys-layer-hello.deb");
        Cmd.Result r = Cmd.of("dpkg-deb", "--root-owner-group", "--build", pkg.toString(), deb.toString()).run();
        assertEquals(0, r.exit(), "dpkg-deb: " + r);
        Files.setPosixFilePermissions(deb, PosixFilePermissions.fromString("rw-r--r--"));
        return deb;
    }

    @Test
    void debInstalledByRootInsideWorksForUsersAndSurvivesRemountAndRestore() throws Exception {
        Path tree;
        try (RemoteFixture remote = RemoteFixture.up()) {
            tree = remote.tree; // the cached Debian tree (dpkg, sh); used here as a local dir: source
        }
        ItEnv.require(Files.isExecutable(tree.resolve("usr/bin/dpkg")), "the cached Debian tree has dpkg");
        TreeHash.Result before = TreeHash.of(tree);
        Path deb = buildDeb();
        String name = system("deb");
        ItEnv.vsysOk("create", name, "dir:" + tree, "--layer", "persistent");
        String rec = Files.readString(ItEnv.R.resolve("etc/systems").resolve(name));
        assertTrue(rec.contains("\nlayer=persistent\n"), rec);
        Cmd.Result users = asUser(name, "sh", "-c", "echo x > /etc/vsys-user-file");
        assertTrue(users.exit() != 0, "a user cannot write /etc (file modes): " + users);

        insideOk(name, "/usr/bin/env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "dpkg", "-i", deb.toString());
        Set<String> afterInstall = diff(name);
        assertTrue(afterInstall.contains("A /usr/bin/vsys-layer-hello"), "diff: " + afterInstall);
        assertTrue(afterInstall.contains("M /var/lib/dpkg/status"), "diff: " + afterInstall);
        Cmd.Result hello = asUser(name, "vsys-layer-hello");
        assertEquals("hello from the layer, " + ItEnv.USER, hello.out().strip(), hello.toString());

        // exactly the changes made: added, modified, deleted, metadata only, in a new directory
        insideOk(name, "sh", "-c", "echo added > /etc/vsys-added && echo more >> /etc/debian_version && rm /etc/issue.net"
                + " && chmod 600 /etc/issue && mkdir /etc/vsys-dir && echo f > /etc/vsys-dir/f");
        Set<String> want = new TreeSet<>(afterInstall);
        want.addAll(List.of("A /etc/vsys-added", "M /etc/debian_version", "D /etc/issue.net", "P /etc/issue", "A /etc/vsys-dir",
                "A /etc/vsys-dir/f"));
        assertEquals(want, diff(name));
        String json = ItEnv.vsysOk("diff", name, "--json");
        assertTrue(json.contains("{\"kind\":\"deleted\",\"path\":\"/etc/issue.net\"}"), json);

        // remount after the overlay went away, then a simulated reboot: every mount gone, vsys restore
        Cmd.of("umount", "-l", ItEnv.R.resolve(name).toString()).ok();
        assertEquals(12, ItEnv.vsys("status", name).exit());
        ItEnv.vsysOk("remount", name);
        assertEquals("hello from the layer, " + ItEnv.USER, asUser(name, "vsys-layer-hello").out().strip());
        ItEnv.vsysOk("snapshot", "--help"); // (the CLI still answers between the two)
        Cmd.of("umount", "-l", ItEnv.R.resolve(name).toString()).ok();
        Cmd.of("umount", "-l", ItEnv.R.resolve(".lower").resolve(name).toString()).ok();
        Cmd.of("umount", "-l", ItEnv.R.resolve(".ns").resolve(name).toString()).ok();
        restore(name);
        assertEquals(0, ItEnv.vsys("status", name).exit());
        assertEquals("hello from the layer, " + ItEnv.USER, asUser(name, "vsys-layer-hello").out().strip());
        assertEquals(want, diff(name), "the layer after remount and restore");

        // reset: refused while a process runs inside, never through a symlink planted in the layer
        Path outside = work.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("victim"), "keep");
        insideOk(name, "ln", "-s", outside.toString(), "/etc/vsys-evil");
        Process sleeper = Cmd.of(ItEnv.launcher(name), "sleep", "60").dir(Path.of("/")).start();
        try {
            waitInside(name);
            Cmd.Result busy = ItEnv.vsys("reset", name, "/etc/vsys-added");
            assertEquals(11, busy.exit(), busy.toString());
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        Cmd.Result evil = ItEnv.vsys("reset", name, "/etc/vsys-evil/victim");
        assertEquals(15, evil.exit(), evil.toString());
        assertTrue(evil.err().startsWith("vsys: " + name + ": reset /etc/vsys-evil/victim:"), evil.err());
        ItEnv.vsysOk("reset", name, "/etc/vsys-evil");
        assertEquals("keep", Files.readString(outside.resolve("victim")), "the file outside the layer is untouched");
        assertFalse(diff(name).contains("A /etc/vsys-evil"));
        ItEnv.vsysOk("reset", name, "/etc/vsys-dir", "/etc/issue");
        Set<String> less = new TreeSet<>(want);
        less.removeAll(List.of("A /etc/vsys-dir", "A /etc/vsys-dir/f", "P /etc/issue"));
        assertEquals(less, diff(name));
        ItEnv.vsysOk("reset", name);
        assertEquals(Set.of(), diff(name));
        assertTrue(inside(name, "sh", "-c", "command -v vsys-layer-hello").exit() != 0, "the package is gone after reset");

        // destroy: every mount gone, the upper kept
        ItEnv.vsysOk("destroy", name);
        assertTrue(Files.isDirectory(ItEnv.R.resolve(".layer").resolve(name)), "destroy keeps the layer");
        String mi = Files.readString(Paths.get("/proc/self/mountinfo"));
        assertFalse(mi.contains(name), "no mount of " + name + " left");
        assertFalse(Files.exists(ItEnv.R.resolve(".lower").resolve(name)));
        assertEquals(before, TreeHash.of(tree), "the lower tree is unchanged");
        // the kept layer is used again by a new system of that name, and goes with --remove-layer
        insideOkAfterCreate(name, tree);
        assertTrue(ItEnv.vsysOk("destroy", "--remove-layer", name).contains(name + ": layer removed"));
        assertFalse(Files.exists(ItEnv.R.resolve(".layer").resolve(name), LinkOption.NOFOLLOW_LINKS));
    }

    void insideOkAfterCreate(String name, Path tree) {
        ItEnv.vsysOk("create", name, "dir:" + tree, "--layer", "persistent");
        insideOk(name, "sh", "-c", "echo again > /etc/vsys-again");
        ItEnv.vsysOk("destroy", name);
        ItEnv.vsysOk("create", name, "dir:" + tree, "--layer", "persistent");
        assertEquals("again", insideOk(name, "cat", "/etc/vsys-again").strip(), "the kept layer is used again");
    }

    /** vsys restore (of every system: other systems on a shared test machine may fail theirs), checked for this one. */
    static void restore(String name) {
        Cmd.Result r = ItEnv.vsys("restore");
        assertTrue(r.out().lines().anyMatch(l -> l.equals(name + ": restored: mounted /, view prepared")), r.toString());
    }

    /**
     * layer=session (issue 17): each launch writes to its own tmpfs over the read-only tree, gone
     * after it; two launches at once do not see each other's; a user writes only as modes allow;
     * a process inside a session is a user of the system (destroy refused, status counts it).
     */
    @Test
    void sessionLayerPerLaunch() throws Exception {
        try (LocalTree t = LocalTree.create("layer-session")) {
            TreeHash.Result before = TreeHash.of(t.root);
            String name = system("session");
            ItEnv.vsysOk("create", name, "dir:" + t.root, "--layer", "session");
            String rec = Files.readString(ItEnv.R.resolve("etc/systems").resolve(name));
            assertTrue(rec.contains("\nlayer=session\n"), rec);
            assertEquals("s1", insideOk(name, "sh", "-c", "echo s1 > /etc/vsys-session && cat /etc/vsys-session").strip());
            Cmd.Result next = inside(name, "cat", "/etc/vsys-session");
            assertTrue(next.exit() != 0, "the next launch does not see the last one's write: " + next);
            Path aOut = work.resolve("session-a.out");
            Process a = Cmd.of(ItEnv.launcher(name), "sh", "-c", "echo a > /etc/vsys-c; sleep 2; cat /etc/vsys-c")
                    .dir(Path.of("/")).start(aOut, work.resolve("session-a.err"));
            Cmd.Result b = inside(name, "sh", "-c", "echo b > /etc/vsys-c; sleep 1; cat /etc/vsys-c");
            assertEquals("b", b.out().strip(), b.toString());
            assertEquals(0, a.waitFor());
            assertEquals("a", Files.readString(aOut).strip(), "the concurrent session sees its own");
            Cmd.Result user = asUser(name, "sh", "-c", "echo x > /etc/vsys-user");
            assertTrue(user.exit() != 0, "a user cannot write /etc in a session (modes): " + user);
            Process sleeper = Cmd.of(ItEnv.launcher(name), "sleep", "60").dir(Path.of("/")).start();
            try {
                waitInside(name);
                Cmd.Result busy = ItEnv.vsys("destroy", name);
                assertEquals(11, busy.exit(), "a process in a session holds the system: " + busy);
            } finally {
                sleeper.destroyForcibly().waitFor();
            }
            ItEnv.vsysOk("destroy", name);
            made.remove(name);
            assertEquals(before, TreeHash.of(t.root), "the tree is never written");
        }
    }

    static void waitInside(String name) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ItEnv.vsysOk("status", name).contains("1 process(es) inside")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no process inside " + name);
    }

    @Test
    void layerOverSshfs() throws Exception {
        try (RemoteFixture remote = RemoteFixture.up()) {
            String name = system("ssh");
            List<String> a = new ArrayList<>(List.of("create", name, remote.url, "--layer", "persistent"));
            a.addAll(Arrays.asList(remote.sshOptions()));
            ItEnv.vsysOk(a.toArray(new String[0]));
            String mi = Files.readString(Paths.get("/proc/self/mountinfo"));
            assertTrue(mi.contains(" " + ItEnv.R.resolve(".lower").resolve(name) + " ") && mi.contains("fuse.sshfs"), mi);
            insideOk(name, "sh", "-c", "echo over-sshfs > /etc/vsys-ssh && rm /etc/issue.net");
            assertEquals("over-sshfs", insideOk(name, "cat", "/etc/vsys-ssh").strip());
            assertEquals(Set.of("A /etc/vsys-ssh", "D /etc/issue.net"), diff(name));
            assertTrue(Files.exists(remote.tree.resolve("etc/issue.net")), "the remote is never written");
            assertFalse(Files.exists(remote.tree.resolve("etc/vsys-ssh")));
            ItEnv.vsysOk("destroy", name);
        }
    }

    /**
     * What overlayfs refuses: a lower that is itself an overlay over an overlay (stacking depth 2).
     * vsys says so in one line, exit 10, and leaves nothing (no record, mount, R/NAME or layer);
     * a layer over one overlay works. The stack lives in a private bind of the test's directory,
     * so none of it propagates into other mount namespaces.
     */
    @Test
    void aLowerStackedTooDeepIsRefusedInOneLine() throws Exception {
        try (LocalTree t = LocalTree.create("layer-deep")) {
            Files.writeString(t.root.resolve("etc/vsys-deep"), "deep\n");
            Path deep = work.resolve("deep");
            for (String d : List.of("u1", "w1", "m1", "u2", "w2", "m2")) {
                Files.createDirectories(deep.resolve(d));
            }
            Cmd.of("mount", "--bind", deep.toString(), deep.toString()).ok();
            try {
                Cmd.of("mount", "--make-private", deep.toString()).ok();
                Cmd.of("mount", "-t", "overlay", "it-layer-ov1", "-o", "lowerdir=" + t.root + ",upperdir=" + deep.resolve("u1")
                        + ",workdir=" + deep.resolve("w1"), deep.resolve("m1").toString()).ok();
                Cmd.of("mount", "-t", "overlay", "it-layer-ov2", "-o", "lowerdir=" + deep.resolve("m1") + ",upperdir="
                        + deep.resolve("u2") + ",workdir=" + deep.resolve("w2"), deep.resolve("m2").toString()).ok();
                String name = system("deep");
                Cmd.Result r = ItEnv.vsys("create", name, "dir:" + deep.resolve("m2"), "--layer", "persistent");
                assertEquals(10, r.exit(), r.toString());
                assertEquals(List.of("vsys: " + name + ": cannot mount the layer (overlay over " + ItEnv.R.resolve(".lower").resolve(name)
                        + "): EINVAL: Invalid argument (the lower layer is overlay: overlayfs stacks at most 2 deep and refuses a lower"
                        + " that is an overlay over an overlay; see vsys(8), LAYERS)"), r.errLines());
                for (Path p : List.of(ItEnv.R.resolve("etc/systems").resolve(name), ItEnv.R.resolve(name),
                        ItEnv.R.resolve(".lower").resolve(name), ItEnv.R.resolve(".layer").resolve(name), ItEnv.R.resolve("bin").resolve(name))) {
                    assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " after the refused create");
                }
                assertFalse(Files.readString(Paths.get("/proc/self/mountinfo")).contains(name), "no mount of " + name);
                String one = system("deep1");
                ItEnv.vsysOk("create", one, "dir:" + deep.resolve("m1"), "--layer", "persistent");
                assertEquals("deep", insideOk(one, "sh", "-c", "echo more >> /etc/vsys-deep && head -n 1 /etc/vsys-deep").strip());
                assertEquals(Set.of("M /etc/vsys-deep"), diff(one));
                ItEnv.vsysOk("destroy", "--remove-layer", one);
                assertEquals("deep\n", Files.readString(t.root.resolve("etc/vsys-deep")), "the tree below is never written");
            } finally {
                for (String m : List.of("m2", "m1", "")) {
                    Cmd.of("umount", deep.resolve(m).toString()).run();
                }
            }
        }
    }

    /** A small tree of our own for the switch tests (busybox), with /etc files the table changes. */
    Path smallTree() throws IOException {
        LocalTree t = LocalTree.create("layer");
        Path etc = t.root.resolve("etc");
        Files.createDirectories(etc.resolve("sub"));
        for (String f : List.of("a", "b", "c", "d", "e")) {
            Files.writeString(etc.resolve(f), "orig " + f + "\n");
        }
        Files.writeString(etc.resolve("sub/s"), "orig s\n");
        return t.root;
    }

    static String commits(String name) {
        return ItEnv.vsysOk("snapshot", "--list", name);
    }

    static String latest(String name) {
        return commits(name).lines().findFirst().orElseThrow().substring(0, 64);
    }

    String show(String name) {
        return insideOk(name, "sh", "-c", "cd /etc && for f in a b c d e sub b.vsys-new d.vsys-new; do "
                + "if [ -d $f ]; then echo \"$f: dir\"; elif [ -e $f ]; then echo \"$f: $(cat $f)\"; else echo \"$f: -\"; fi; done");
    }

    /** Starts vsys with VSYS_PAUSE_AT=step and returns it once it says it paused there. */
    static Process pausedAt(String step, String... args) throws Exception {
        List<String> a = new ArrayList<>();
        a.add(ItEnv.VSYS);
        a.addAll(Arrays.asList(args));
        Path e = Files.createTempFile("it-layer-kill", ".err");
        Process p = Cmd.of(a).dir(Paths.get("/")).env("VSYS_PAUSE_AT", step).env("VSYS_PAUSE_SECONDS", "300")
                .start(Paths.get("/dev/null"), e);
        long deadline = System.nanoTime() + 180_000_000_000L;
        try {
            while (!Files.readString(e).contains("vsys: paused at " + step)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly().waitFor();
                    throw new AssertionError("vsys " + String.join(" ", args) + " never paused at " + step + ": " + Files.readString(e));
                }
                Thread.sleep(50);
            }
            return p;
        } finally {
            Files.deleteIfExists(e);
        }
    }

    /** SIGKILL to the vsys JVM (the wrapper execs java: the same pid), as kill -9 PID. */
    static void kill9(Process p) throws Exception {
        Cmd.of("kill", "-9", Long.toString(p.pid())).ok();
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "vsys ended after kill -9");
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
    }

    /** The process started by the launcher (it or a child) whose root is the system's tree. */
    static ProcessHandle insideHandle(Process launched) throws Exception {
        for (int i = 0; i < 100; i++) {
            List<ProcessHandle> hs = new ArrayList<>();
            hs.add(launched.toHandle());
            launched.descendants().forEach(hs::add);
            for (ProcessHandle h : hs) {
                if (Files.exists(Path.of("/proc/" + h.pid() + "/root/etc/new"))) {
                    return h;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no process of " + launched.pid() + " has the system's root");
    }

    static String recordValue(String rec, String key) {
        return rec.lines().filter(l -> l.startsWith(key + "=")).findFirst().orElseThrow().substring(key.length() + 1);
    }

    @Test
    void switchMergesEtcAtomicallyAndRollbackRestoresTheLayer() throws Exception {
        Path tree = smallTree();
        try {
            String name = system("sw");
            ItEnv.vsysOk("create", name, "dir:" + tree, "--layer", "persistent");
            ItEnv.vsysOk("snapshot", name);
            String c1 = latest(name);
            ItEnv.vsysOk("switch", name, c1);
            insideOk(name, "sh", "-c", "echo local > /etc/a && echo local > /etc/b && rm /etc/d && echo local > /etc/new");
            String beforeSwitch = show(name);
            // upstream: b and d changed (conflicts), c changed (taken), e deleted, sub made a file
            Files.writeString(tree.resolve("etc/b"), "upstream\n");
            Files.writeString(tree.resolve("etc/c"), "upstream\n");
            Files.writeString(tree.resolve("etc/d"), "upstream\n");
            Files.delete(tree.resolve("etc/e"));
            Files.delete(tree.resolve("etc/sub/s"));
            Files.delete(tree.resolve("etc/sub"));
            Files.writeString(tree.resolve("etc/sub"), "now a file\n");
            ItEnv.vsysOk("snapshot", name);
            String c2 = latest(name);
            String rec1 = Files.readString(ItEnv.R.resolve("etc/systems").resolve(name));

            // a crash before the record is written leaves the old deployment and layer
            for (String step : List.of("switch.checkout", "switch.copied", "switch.merged")) {
                Cmd.Result r = Cmd.of(ItEnv.VSYS, "switch", name, c2).env("VSYS_FAULT_AT", step).run();
                assertEquals(1, r.exit(), step + ": " + r);
                assertEquals(rec1, Files.readString(ItEnv.R.resolve("etc/systems").resolve(name)), step);
                assertEquals(beforeSwitch, show(name), "after a crash at " + step);
            }
            // a crash after the record: the next vsys finishes the switch
            for (String step : List.of("switch.record", "layer.unmounted", "switch.mounted")) {
                Cmd.Result r = Cmd.of(ItEnv.VSYS, "switch", name, c2).env("VSYS_FAULT_AT", step).run();
                assertEquals(1, r.exit(), step + ": " + r);
                ItEnv.vsysOk("remount", name); // its recovery finishes the interrupted switch first
                assertEquals(0, ItEnv.vsys("status", name).exit(), step);
                assertTrue(show(name).contains("b.vsys-new: upstream"), "after a crash at " + step + ": " + show(name));
                ItEnv.vsysOk("rollback", name);
                assertEquals(beforeSwitch, show(name), "rollback after a crash at " + step);
            }
            // kill -9 of the vsys JVM paused at each step (VSYS_PAUSE_AT): a process started before
            // keeps its tree, launches keep working, the generation in use is untouched, and the
            // next remount (after the record) or switch (before it) converges
            Path gens = ItEnv.R.resolve(".layer").resolve(name);
            String recNow = Files.readString(ItEnv.R.resolve("etc/systems").resolve(name)); // layer.prev moved by the rollbacks
            String gen1 = recordValue(recNow, "layer.gen");
            TreeHash.Result upper1 = TreeHash.of(gens.resolve(gen1).resolve("upper"));
            Process old = Cmd.of(ItEnv.launcher(name), "sleep", "600").dir(Path.of("/")).start();
            try {
                waitInside(name);
                ProcessHandle oldInside = insideHandle(old);
                for (String step : List.of("switch.checkout", "switch.copied", "switch.merged", "switch.record",
                        "layer.unmounted", "switch.mounted")) {
                    boolean committed = !List.of("switch.checkout", "switch.copied", "switch.merged").contains(step);
                    Process p = pausedAt(step, "switch", name, c2);
                    assertEquals(beforeSwitch, show(name), "a launch while the switch is paused at " + step);
                    kill9(p);
                    assertTrue(oldInside.isAlive(), "the old deployment's process lives after kill -9 at " + step);
                    assertEquals("orig c\n", Files.readString(Path.of("/proc/" + oldInside.pid() + "/root/etc/c")),
                            "the running process keeps its tree after kill -9 at " + step);
                    assertEquals(upper1, TreeHash.of(gens.resolve(gen1).resolve("upper")), "the layer after kill -9 at " + step);
                    String rec = Files.readString(ItEnv.R.resolve("etc/systems").resolve(name));
                    if (!committed) {
                        assertEquals(recNow, rec, "the record after kill -9 at " + step);
                        assertEquals(beforeSwitch, show(name), "a launch after kill -9 at " + step);
                        continue; // the next switch (below, or the next step's) starts from here
                    }
                    assertTrue(Files.exists(ItEnv.R.resolve(".state").resolve(name + ".restoring")), "the marker after kill -9 at " + step);
                    Cmd.Result rm = ItEnv.vsys("remount", name);
                    assertEquals(0, rm.exit(), "remount after kill -9 at " + step + ": " + rm);
                    assertEquals(0, ItEnv.vsys("status", name).exit(), step);
                    assertFalse(Files.exists(ItEnv.R.resolve(".state").resolve(name + ".restoring")), "the marker after remount, " + step);
                    assertTrue(show(name).contains("b.vsys-new: upstream"), "converged after kill -9 at " + step + ": " + show(name));
                    assertEquals("orig c\n", Files.readString(Path.of("/proc/" + oldInside.pid() + "/root/etc/c")),
                            "the running process keeps its tree after the remount, " + step);
                    ItEnv.vsysOk("rollback", name);
                    assertEquals(beforeSwitch, show(name), "rollback after kill -9 at " + step);
                    assertEquals(upper1, TreeHash.of(gens.resolve(gen1).resolve("upper")), "the layer after rollback, " + step);
                }
            } finally {
                old.destroyForcibly().waitFor();
            }
            Cmd.Result sw = ItEnv.vsys("switch", name, c2);
            assertEquals(0, sw.exit(), sw.toString());
            try (java.util.stream.Stream<Path> ls = Files.list(gens)) {
                assertEquals(List.of(), ls.filter(g -> g.getFileName().toString().startsWith(".tmp-")).toList(),
                        "a switch clears what a killed one left half built");
            }
            assertTrue(sw.out().contains("conflict /etc/b: changed locally, changed upstream: local kept, new saved as /etc/b.vsys-new"), sw.out());
            assertTrue(sw.out().contains("conflict /etc/d: deleted locally, changed upstream: local kept, new saved as /etc/d.vsys-new"), sw.out());
            assertEquals(String.join("\n", "a: local", "b: local", "c: upstream", "d: -", "e: -", "sub: now a file",
                    "b.vsys-new: upstream", "d.vsys-new: upstream") + "\n", show(name));
            assertEquals("local", insideOk(name, "cat", "/etc/new").strip());

            // snapshot --with-layer: the tree as the system sees it, parent = the commit the layer lies over
            ItEnv.vsysOk("snapshot", name, "--with-layer");
            String c3 = latest(name);
            Path obj = ItEnv.R.resolve(".store/objects").resolve(c3.substring(0, 2)).resolve(c3.substring(2) + ".commit");
            assertTrue(Files.readString(obj).contains("\nparent " + c2 + "\n"), Files.readString(obj));

            ItEnv.vsysOk("rollback", name);
            assertEquals(beforeSwitch, show(name), "rollback: the layer as it was before the switch");
            assertTrue(Files.readString(ItEnv.R.resolve("etc/systems").resolve(name)).contains("layer.lower=" + ItEnv.R.resolve(".store/checkouts").resolve(c1)));
            ItEnv.vsysOk("destroy", name);
        } finally {
            Cmd.of("rm", "-rf", "--one-file-system", "--", tree.toString()).run();
        }
    }
}
