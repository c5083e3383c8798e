package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.vsys.mount.MountTable;
import org.vsys.testing.Rig;
import org.vsys.testing.Cmd;

/**
 * Adversarial teardown: every scenario of issue 6, each with and without {@code --force} where it
 * applies. Each one hashes, before and after, every file of the trees involved (the system's
 * source trees, the SSH remote's tree, the host files under test and a test user's home: path,
 * type, mode, owner, size, content, link target) and ends either in success or in a one-line
 * refusal with vsys's state (records, links, directories, mount table) as it was.
 */
@Tag("root")
class TeardownIT {
    static final String REMOTE = "rel";
    static Path tree;      // read-only systems
    static Path rwTree;    // the read-write system (symlinks get planted in it)
    static Path remoteTree;
    static Path hostFiles;
    static Path home;
    static String remoteUrl;
    static List<String> sshOpts;
    static Map<Path, String> guarded;
    static List<Process> procs = new ArrayList<>();
    static int scenarios;

    @BeforeAll
    static void setUp() throws Exception {
        Rig.setUp();
        tree = Rig.tree("td");
        rwTree = Rig.tree("tdrw");
        remoteTree = Rig.tree("remote");
        Files.createSymbolicLink(remoteTree.resolve("data/to-root"), Path.of("/"));
        Files.createSymbolicLink(remoteTree.resolve("data/to-home"), Path.of("/home"));
        Files.createSymbolicLink(remoteTree.resolve("data/to-host"), Rig.BASE.resolve("hostfiles"));
        Files.createSymbolicLink(tree.resolve("data/to-root"), Path.of("/"));
        Files.createSymbolicLink(tree.resolve("evil"), Path.of("/"));
        hostFiles = Rig.BASE.resolve("hostfiles");
        if (Files.exists(hostFiles)) {
            Rig.removeTree(hostFiles);
        }
        Files.createDirectories(hostFiles.resolve("sub"));
        Files.writeString(hostFiles.resolve("passwd.copy"), "root:x:0:0::/root:/bin/sh\n");
        Files.writeString(hostFiles.resolve("sub/data"), "host data\n");
        home = Path.of("/home/vsys-rel");
        if (Files.exists(home)) {
            Rig.removeTree(home);
        }
        Files.createDirectories(home.resolve(".config"));
        Files.writeString(home.resolve("notes.txt"), "a user's notes\n");
        Files.writeString(home.resolve(".config/rc"), "x=1\n");
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        if (Cmd.of("id", "-u", "vsys-it").timeoutSeconds(10).mergeErr().run().exit() == 0) {
            Cmd.of("chown", "-R", "vsys-it:", home.toString()).timeoutSeconds(10).mergeErr().ok();
        }
        guarded = Rig.hashes(List.of(tree, rwTree, remoteTree, hostFiles, home));
        remoteUp();
    }

    static void remoteUp() throws Exception {
        Path script = Rig.project.resolve("tests/remote/remote.sh");
        Rig.require(Files.isExecutable(Path.of("/usr/bin/sshfs")), "sshfs");
        Cmd.Result st = Cmd.of(script.toString(), "status", REMOTE).timeoutSeconds(30).mergeErr().run();
        if (st.exit() != 0) {
            Cmd.Result r = Cmd.of(script.toString(), "up", REMOTE).timeoutSeconds(900).mergeErr().run();
            Rig.require(r.exit() == 0, "the SSH remote starts: " + r);
        }
        Path d = Path.of("/run/vsys-remote", REMOTE);
        String ip = Files.readString(d.resolve("ip")).strip();
        remoteUrl = "ssh://root@" + ip + remoteTree;
        sshOpts = List.of("--identity", d.resolve("id_ed25519").toString(), "--known-hosts", d.resolve("known_hosts").toString());
    }

    @AfterAll
    static void tearDown() {
        if (Rig.inst == null) {
            return;
        }
        Rig.cleanAll();
        Cmd.of(Rig.project.resolve("tests/remote/remote.sh").toString(), "down", REMOTE).timeoutSeconds(60).mergeErr().run();
        System.err.println("TeardownIT: " + scenarios + " scenarios");
        Rig.removeTree(tree);
        Rig.removeTree(rwTree);
        Rig.removeTree(remoteTree);
        Rig.removeTree(hostFiles);
        Rig.removeTree(home);
    }

    @BeforeEach
    void before() {
        scenarios++;
    }

    @AfterEach
    void after() throws Exception {
        for (Process p : procs) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        procs.clear();
        Rig.cleanAll();
        Rig.assertConsistent("after the scenario's cleanup");
        assertEquals(guarded, Rig.hashes(List.of(tree, rwTree, remoteTree, hostFiles, home)),
                "no byte changed in the trees, the remote, the host files or the home");
        for (String p : List.of(hostFiles.toString(), home.toString(), "/home", "/")) {
            assertFalse(MountTable.read().at(p) != null && MountTable.read().at(p).fsType().startsWith("fuse"),
                    "nothing was mounted over " + p);
        }
    }

    // ---- helpers ----------------------------------------------------------------------

    static String[] destroyArgs(boolean force, String name) {
        return force ? new String[] {"destroy", "--force", name} : new String[] {"destroy", name};
    }

    /** A refusal: the exit code, one line on stderr containing {@code why}, and the state as it was. */
    static void assertRefused(int code, String why, String stateBefore, Cmd.Result r) throws Exception {
        assertEquals(code, r.exit(), r.toString());
        assertEquals(1, r.errLines().size(), "one line: " + r);
        assertTrue(r.err().startsWith("vsys: "), r.err());
        assertTrue(r.err().contains(why), "'" + why + "' in " + r.err());
        assertEquals(stateBefore, Rig.state(), "a refusal changes nothing");
    }

    static void assertGone(String name) {
        assertFalse(Files.exists(Rig.R.resolve("etc/systems").resolve(name)), "record of " + name);
        assertFalse(Files.exists(Rig.R.resolve(name), LinkOption.NOFOLLOW_LINKS), Rig.R.resolve(name) + " still there");
        assertFalse(Files.exists(Rig.R.resolve("bin").resolve(name), LinkOption.NOFOLLOW_LINKS), "link of " + name);
        assertTrue(MountTable.read().atOrUnder(Rig.R.resolve(name).toString()).isEmpty(), "mounts of " + name);
    }

    static Process spawn(Path cwd, String... cmd) throws Exception {
        Process p = Cmd.of(cmd).dir(cwd).start();
        procs.add(p);
        return p;
    }

    /** Waits until pid's mount namespace differs from ours (it entered the system). */
    static void awaitInside(Process p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (!Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/ns/mnt"))
                        .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not yet
            }
            assertTrue(p.isAlive(), "the launched process ended early");
            Thread.sleep(20);
        }
        throw new AssertionError("pid " + p.pid() + " never entered the system");
    }

    static void create(String name, String... more) {
        List<String> a = new ArrayList<>(List.of("create", name));
        a.addAll(List.of(more));
        Rig.vsysOk(a.toArray(new String[0]));
    }

    static void createLocal(String name) {
        create(name, "dir:" + tree, "--mount", "/opt=" + rwTree.resolve("data"), "--rw", "/opt");
    }

    static void createSsh(String name) {
        List<String> a = new ArrayList<>(List.of(remoteUrl));
        a.addAll(sshOpts);
        create(name, a.toArray(new String[0]));
    }

    static String launch(String name, String... cmd) {
        List<String> a = new ArrayList<>(List.of(Rig.R.resolve("bin").resolve(name).toString()));
        a.addAll(List.of(cmd));
        Cmd.Result r = Cmd.of(a.toArray(new String[0])).dir(Path.of("/")).timeoutSeconds(60).mergeErr().run();
        return r.exit() + " " + r.out().strip();
    }

    /** Takes R/NAME away behind vsys's back: view released, mounts detached lazily. */
    static void loseMounts(String name) {
        Cmd.of(Rig.libexec.resolve("vsys-view").toString(), "release", name).timeoutSeconds(60).mergeErr().ok();
        Cmd.of("umount", "-l", Rig.R.resolve(name).toString()).timeoutSeconds(60).mergeErr().ok();
    }

    // ---- a process with its cwd, an open file, or running inside ------------------------

    @ParameterizedTest(name = "cwd inside, force={0}")
    @ValueSource(booleans = {false, true})
    void processWithItsCwdInside(boolean force) throws Exception {
        createLocal("td1");
        Process p = spawn(Rig.R.resolve("td1/data"), "sleep", "120");
        Thread.sleep(200);
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td1"));
        if (!force) {
            assertRefused(11, "pid " + p.pid(), st, r);
            p.destroyForcibly().waitFor();
            Rig.vsysOk("destroy", "td1");
        } else {
            assertEquals(0, r.exit(), r.toString());
            assertTrue(p.isAlive(), "a lazy detach leaves the process alone");
        }
        assertGone("td1");
    }

    @ParameterizedTest(name = "open file inside, force={0}")
    @ValueSource(booleans = {false, true})
    void processWithAnOpenFileInside(boolean force) throws Exception {
        createLocal("td2");
        Process p = spawn(Path.of("/"), "sh", "-c", "exec 3<" + Rig.R.resolve("td2/opt/a.txt") + "; exec sleep 120");
        Thread.sleep(300);
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td2"));
        if (!force) {
            assertRefused(11, "has " + Rig.R.resolve("td2/opt/a.txt") + " open", st, r);
        } else {
            assertEquals(0, r.exit(), r.toString());
        }
        p.destroyForcibly().waitFor();
        Rig.vsys("destroy", "td2");
        assertGone("td2");
    }

    @ParameterizedTest(name = "process inside via the launcher, force={0}")
    @ValueSource(booleans = {false, true})
    void processRunningInsideThroughTheLauncher(boolean force) throws Exception {
        createLocal("td3");
        Process p = spawn(Path.of("/"), Rig.R.resolve("bin/td3").toString(), "sleep", "120");
        awaitInside(p);
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td3"));
        if (!force) {
            assertRefused(11, "runs inside the system", st, r);
            p.destroyForcibly().waitFor();
            Rig.vsysOk("destroy", "td3");
        } else {
            assertEquals(0, r.exit(), r.toString());
            assertTrue(p.isAlive(), "the process inside keeps its namespace");
        }
        assertGone("td3");
    }

    @ParameterizedTest(name = "an unprivileged user's shell inside, force={0}")
    @ValueSource(booleans = {false, true})
    void anUnprivilegedUsersProcessInside(boolean force) throws Exception {
        Rig.require(Cmd.of("id", "-u", "vsys-it").timeoutSeconds(10).mergeErr().run().exit() == 0, "the test user vsys-it (test.sh makes it)");
        createLocal("td23");
        String gid = Cmd.of("id", "-g", "vsys-it").timeoutSeconds(10).mergeErr().ok().strip();
        // through the setuid launcher, as the user, with its cwd in its home
        Process p = spawn(home, "setpriv", "--reuid=vsys-it", "--regid=" + gid, "--init-groups", "--",
                Rig.R.resolve("bin/td23").toString(), "sh", "-c", "exec sleep 120");
        awaitInside(p);
        assertEquals(Cmd.of("id", "-u", "vsys-it").timeoutSeconds(10).mergeErr().ok().strip(),
                Files.readAllLines(Path.of("/proc/" + p.pid() + "/status")).stream().filter(l -> l.startsWith("Uid:"))
                        .findFirst().orElseThrow().split("\\s+")[1], "it runs as the user");
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td23"));
        if (!force) {
            assertRefused(11, "runs inside the system", st, r);
            p.destroyForcibly().waitFor();
            Rig.vsysOk("destroy", "td23");
        } else {
            assertEquals(0, r.exit(), r.toString());
            // detached, not killed, and named
            assertTrue(p.isAlive(), "--force does not kill the process inside");
            assertTrue(r.err().contains("pid " + p.pid()), r.err());
            p.destroyForcibly().waitFor();
        }
        assertGone("td23");
    }

    @Test
    void processesInsideANestedMountAndThroughAnAlias() throws Exception {
        createLocal("td4");
        Rig.vsysOk("alias", "td4a", "td4");
        Process p = spawn(Rig.R.resolve("td4/opt/sub"), "sleep", "120");
        Process q = spawn(Path.of("/"), Rig.R.resolve("bin/td4a").toString(), "sleep", "120");
        awaitInside(q);
        String st = Rig.state();
        Cmd.Result r = Rig.vsys("destroy", "td4");
        assertRefused(11, "and 1 more", st, r);
        p.destroyForcibly().waitFor();
        q.destroyForcibly().waitFor();
        Rig.vsysOk("destroy", "td4");
        assertGone("td4");
        assertFalse(Files.exists(Rig.R.resolve("bin/td4a"), LinkOption.NOFOLLOW_LINKS));
    }

    // ---- mounts made by hand inside the system --------------------------------------------

    @ParameterizedTest(name = "hand-made bind of {0} inside, force={1}")
    @CsvSource({"host,false", "host,true", "home,false", "home,true"})
    void bindMountMadeByHandInside(String what, boolean force) throws Exception {
        createLocal("td5");
        Path src = what.equals("home") ? home : hostFiles;
        Cmd.of("mount", "--bind", src.toString(), Rig.R.resolve("td5/mnt").toString()).timeoutSeconds(30).mergeErr().ok();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td5"));
        assertEquals(0, r.exit(), "a bind of a host directory is safe to unmount: " + r);
        assertGone("td5");
        assertTrue(Files.exists(src.resolve(what.equals("home") ? "notes.txt" : "sub/data")));
    }

    @ParameterizedTest(name = "hand-made tmpfs inside, force={0}")
    @ValueSource(booleans = {false, true})
    void tmpfsMountedByHandInside(boolean force) throws Exception {
        createLocal("td6");
        Path mnt = Rig.R.resolve("td6/mnt");
        Cmd.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString()).timeoutSeconds(30).mergeErr().ok();
        Files.writeString(mnt.resolve("precious"), "only here\n");
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td6"));
        if (!force) {
            assertRefused(15, "mounted by hand inside the system and nowhere else: " + mnt + " (tmpfs)", st, r);
            assertEquals("only here\n", Files.readString(mnt.resolve("precious")));
            Cmd.of("umount", mnt.toString()).timeoutSeconds(30).mergeErr().ok();
            Rig.vsysOk("destroy", "td6");
        } else {
            assertEquals(0, r.exit(), r.toString());
        }
        assertGone("td6");
    }

    @Test
    void aLostNestedMountIsNoObstacle() throws Exception {
        createLocal("td7");
        Cmd.of("umount", Rig.R.resolve("td7/opt").toString()).timeoutSeconds(30).mergeErr().ok();
        Rig.vsysOk("destroy", "td7");
        assertGone("td7");
    }

    // ---- symlinks planted at R/NAME or inside -------------------------------------------

    @ParameterizedTest(name = "symlink at R/NAME to {0}, force={1}")
    @CsvSource({"root,false", "root,true", "home,false", "home,true", "remote,false", "remote,true"})
    void symlinkPlantedAtTheSystemDirectory(String target, boolean force) throws Exception {
        createLocal("td8");
        loseMounts("td8");
        Files.delete(Rig.R.resolve("td8"));
        Path to = switch (target) {
            case "root" -> Path.of("/");
            case "home" -> home;
            default -> remoteTree;
        };
        Files.createSymbolicLink(Rig.R.resolve("td8"), to);
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td8"));
        assertRefused(15, "is not a directory (a symlink or file was put there); nothing changed", st, r);
        Cmd.Result c = Rig.vsys("check", "--repair");
        assertEquals(13, c.exit(), "check reports the planted symlink and repairs nothing through it: " + c);
        assertTrue(Files.isSymbolicLink(Rig.R.resolve("td8")));
        Files.delete(Rig.R.resolve("td8"));
        Rig.vsysOk("destroy", "td8");
        assertGone("td8");
    }

    @ParameterizedTest(name = "symlinks planted inside a read-write system, force={0}")
    @ValueSource(booleans = {false, true})
    void symlinksPlantedInsideTheSystem(boolean force) throws Exception {
        Path t = Rig.tree("tdrw-plant");
        try {
            create("td9", "dir:" + t, "--rw", "/");
            Path inside = Rig.R.resolve("td9");
            Files.createSymbolicLink(inside.resolve("to-root"), Path.of("/"));
            Files.createSymbolicLink(inside.resolve("data/to-home"), home);
            Files.createSymbolicLink(inside.resolve("data/sub/to-remote"), remoteTree);
            Files.createSymbolicLink(inside.resolve("mnt/to-host"), hostFiles);
            String h = Rig.hash(t);
            Cmd.Result r = Rig.vsys(destroyArgs(force, "td9"));
            assertEquals(0, r.exit(), r.toString());
            assertGone("td9");
            assertEquals(h, Rig.hash(t), "the system's own tree, symlinks and all, is as it was");
        } finally {
            Rig.removeTree(t);
        }
    }

    @ParameterizedTest(name = "local tree with symlinks to /, force={0}")
    @ValueSource(booleans = {false, true})
    void aTreeWithSymlinksToRoot(boolean force) throws Exception {
        create("td10", "dir:" + tree);
        assertEquals("0 ID=vsys-rel-td", launch("td10", "cat", "/etc/os-release"));
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td10"));
        assertEquals(0, r.exit(), r.toString());
        assertGone("td10");
    }

    @Test
    void aNestedMountPointThatIsASymlinkInTheTree() throws Exception {
        String st = Rig.state();
        Cmd.Result r = Rig.vsys("create", "td11", "dir:" + tree, "--mount", "/evil/etc=" + rwTree);
        assertRefused(15, "goes through a symlink in the system's tree", st, r);
    }

    // ---- the SSH remote -----------------------------------------------------------------

    @ParameterizedTest(name = "remote tree with symlinks to /, force={0}")
    @ValueSource(booleans = {false, true})
    void remoteTreeWithSymlinksToRoot(boolean force) throws Exception {
        createSsh("td12");
        assertEquals("0 ID=vsys-rel-remote", launch("td12", "cat", "/etc/os-release"));
        assertTrue(Files.isSymbolicLink(Rig.R.resolve("td12/data/to-root")));
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td12"));
        assertEquals(0, r.exit(), r.toString());
        assertGone("td12");
    }

    @ParameterizedTest(name = "sshd killed, force={0}")
    @ValueSource(booleans = {false, true})
    void theServerIsDead(boolean force) throws Exception {
        createSsh("td13");
        try {
            // every process of the remote's network namespace: the listener and the sessions
            String pids = Cmd.of("ip", "netns", "pids", "vsys-" + REMOTE).timeoutSeconds(30).mergeErr().ok().strip();
            assertFalse(pids.isEmpty());
            for (String pid : pids.split("\\s+")) {
                Cmd.of("kill", "-9", pid).timeoutSeconds(10).mergeErr().run();
            }
            long t0 = System.nanoTime();
            Cmd.Result r = Rig.vsys(destroyArgs(force, "td13"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, r.exit(), r.toString());
            assertTrue(ms < 60_000, "a dead server does not hang destroy: " + ms + " ms");
            assertGone("td13");
        } finally {
            Cmd.of(Rig.project.resolve("tests/remote/remote.sh").toString(), "down", REMOTE).timeoutSeconds(120).mergeErr().run();
            remoteUp();
        }
    }

    @Test
    void createKilledWhileMountingTheRemoteLeavesNoSshfsBehind() throws Exception {
        List<String> a = new ArrayList<>(List.of("create", "td14", remoteUrl));
        a.addAll(sshOpts);
        a.addAll(List.of("--mount", "/opt=" + remoteUrl.replace(remoteTree.toString(), remoteTree.resolve("data").toString())));
        Path d = Files.createTempDirectory("vsys-td14-");
        Process p = Rig.pauseAt("create.mounted", d, a.toArray(new String[0]));
        Rig.kill9(p);
        Cmd.Result r = Rig.vsys("check", "--repair");
        assertEquals(0, r.exit(), r.toString());
        assertGone("td14");
        Thread.sleep(500);
        String ps = Cmd.of("ps", "-eo", "args").timeoutSeconds(10).mergeErr().ok();
        assertFalse(ps.contains("sshfs") && ps.contains(Rig.R.resolve("td14").toString()), "no sshfs of td14 left: " + ps);
        Files.deleteIfExists(d.resolve("out"));
        Files.deleteIfExists(d.resolve("err"));
        Files.deleteIfExists(d);
    }

    // ---- the system directory replaced between checks (races) ---------------------------

    @ParameterizedTest(name = "R/NAME replaced by a symlink during destroy, force={0}")
    @ValueSource(booleans = {false, true})
    void systemDirectoryReplacedDuringDestroy(boolean force) throws Exception {
        createLocal("td15");
        Path d = Files.createTempDirectory("vsys-td15-");
        Process p = Rig.start(Map.of("VSYS_PAUSE_AT", "destroy.start", "VSYS_PAUSE_SECONDS", "3"), d.resolve("out"),
                d.resolve("err"), destroyArgs(force, "td15"));
        procs.add(p);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!Files.readString(d.resolve("err")).contains("paused at destroy.start")) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "destroy did not pause: " + Files.readString(d.resolve("err")));
            Thread.sleep(10);
        }
        // past its checks: swap the directory for a symlink to the host files
        Cmd.of("umount", "-l", Rig.R.resolve("td15").toString()).timeoutSeconds(30).mergeErr().ok();
        Files.delete(Rig.R.resolve("td15"));
        Files.createSymbolicLink(Rig.R.resolve("td15"), hostFiles);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(d.resolve("err"));
        assertEquals(15, p.exitValue(), err);
        assertTrue(err.contains("vsys: " + Rig.R.resolve("td15") + ": is not a directory; left alone"), err);
        assertTrue(Files.isSymbolicLink(Rig.R.resolve("td15")), "the planted symlink is left alone");
        assertTrue(MountTable.read().at(hostFiles.toString()) == null, "nothing mounted or unmounted through it");
        Cmd.Result c = Rig.vsys("check");
        assertTrue(c.out().contains("td15: interrupted destroy (state=destroying)"), "the half-done destroy is noticed: " + c);
        Files.delete(Rig.R.resolve("td15"));
        Rig.vsysOk("check", "--repair");
        assertGone("td15");
        for (String f : List.of("out", "err")) {
            Files.deleteIfExists(d.resolve(f));
        }
        Files.deleteIfExists(d);
    }

    @ParameterizedTest(name = "R/NAME replaced by a symlink during create ({0})")
    @ValueSource(strings = {"local", "ssh"})
    void systemDirectoryReplacedDuringCreate(String kind) throws Exception {
        Path d = Files.createTempDirectory("vsys-td16-");
        List<String> a = new ArrayList<>(List.of("create", "td16"));
        if (kind.equals("ssh")) {
            a.add(remoteUrl);
            a.addAll(sshOpts);
        } else {
            a.add("dir:" + tree);
        }
        Process p = Rig.start(Map.of("VSYS_PAUSE_AT", "create.dir", "VSYS_PAUSE_SECONDS", "3"), d.resolve("out"),
                d.resolve("err"), a.toArray(new String[0]));
        procs.add(p);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!Files.readString(d.resolve("err")).contains("paused at create.dir")) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "create did not pause: " + Files.readString(d.resolve("err")));
            Thread.sleep(10);
        }
        Files.delete(Rig.R.resolve("td16"));
        Files.createSymbolicLink(Rig.R.resolve("td16"), hostFiles);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(d.resolve("err"));
        assertTrue(p.exitValue() != 0, "create must not succeed through a symlink: " + err);
        assertTrue(MountTable.read().at(hostFiles.toString()) == null, "nothing was mounted on the symlink's target: " + err);
        assertFalse(Files.exists(Rig.R.resolve("etc/systems/td16")), "rolled back: " + err);
        assertTrue(Files.isSymbolicLink(Rig.R.resolve("td16")));
        Files.delete(Rig.R.resolve("td16"));
        for (String f : List.of("out", "err")) {
            Files.deleteIfExists(d.resolve(f));
        }
        Files.deleteIfExists(d);
    }

    @ParameterizedTest(name = "files put into an unmounted R/NAME, force={0}")
    @ValueSource(booleans = {false, true})
    void filesPutIntoTheUnmountedSystemDirectory(boolean force) throws Exception {
        createLocal("td17");
        loseMounts("td17");
        Files.writeString(Rig.R.resolve("td17/keep-me"), "someone's file\n");
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td17"));
        assertRefused(15, "is not mounted and not empty", st, r);
        assertEquals("someone's file\n", Files.readString(Rig.R.resolve("td17/keep-me")));
        Files.delete(Rig.R.resolve("td17/keep-me"));
        Rig.vsysOk("destroy", "td17");
        assertGone("td17");
    }

    // ---- names: alias, twice, never created, created meanwhile -------------------------

    @ParameterizedTest(name = "destroy of an alias, force={0}")
    @ValueSource(booleans = {false, true})
    void destroyOfAnAlias(boolean force) throws Exception {
        createLocal("td18");
        Rig.vsysOk("alias", "td18a", "td18");
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td18a"));
        assertRefused(2, "is an alias of td18; use 'vsys unalias td18a'", st, r);
        assertEquals("0 ID=vsys-rel-td", launch("td18a", "cat", "/etc/os-release"));
    }

    @ParameterizedTest(name = "destroy twice, force={0}")
    @ValueSource(booleans = {false, true})
    void destroyTwice(boolean force) throws Exception {
        createLocal("td19");
        Rig.vsysOk(destroyArgs(force, "td19"));
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td19"));
        assertRefused(5, "no such system", st, r);
    }

    @ParameterizedTest(name = "destroy of {0}, force={1}")
    @CsvSource({"never-made,false", "never-made,true", "bin,false", "etc,true", ".root,false", "../etc,true"})
    void destroyOfANameNeverCreated(String name, boolean force) throws Exception {
        createLocal("td20");
        String st = Rig.state();
        Cmd.Result r = Rig.vsys(destroyArgs(force, name));
        assertRefused(name.equals("never-made") ? 5 : 3, name.equals("never-made") ? "no such system" : "", st, r);
    }

    @ParameterizedTest(name = "destroy while another vsys creates the name, force={0}")
    @ValueSource(booleans = {false, true})
    void destroyWhileAnotherVsysCreatesTheSameName(boolean force) throws Exception {
        Path d = Files.createTempDirectory("vsys-td21-");
        Process p = Rig.start(Map.of("VSYS_PAUSE_AT", "create.mounted", "VSYS_PAUSE_SECONDS", "2"), d.resolve("out"),
                d.resolve("err"), "create", "td21", "dir:" + tree, "--mount", "/opt=" + rwTree.resolve("data"));
        procs.add(p);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!Files.readString(d.resolve("err")).contains("paused at create.mounted")) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "create did not pause: " + Files.readString(d.resolve("err")));
            Thread.sleep(10);
        }
        // the destroy waits for the lock, then finds a ready system and takes it down
        Cmd.Result r = Rig.vsys(destroyArgs(force, "td21"));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(d.resolve("err")));
        assertEquals(0, r.exit(), r.toString());
        assertGone("td21");
        // and the other way round: the creator killed, then the destroy (which finds the leftover)
        Process q = Rig.pauseAt("create.mounted", d, "create", "td21", "dir:" + tree);
        Rig.kill9(q);
        String st = Rig.state();
        Cmd.Result r2 = Rig.vsys(destroyArgs(force, "td21"));
        assertEquals(5, r2.exit(), "the interrupted create is rolled back first, then there is no such system: " + r2);
        assertGone("td21");
        assertFalse(st.isEmpty());
        for (String f : List.of("out", "err")) {
            Files.deleteIfExists(d.resolve(f));
        }
        Files.deleteIfExists(d);
    }

    @Test
    void theUsersHomeIsSeenInsideAndUntouchedByTeardown() throws Exception {
        create("td22", "dir:" + tree);
        assertEquals("0 a user's notes", launch("td22", "cat", home.resolve("notes.txt").toString()));
        Process p = spawn(Path.of("/"), Rig.R.resolve("bin/td22").toString(), "sh", "-c", "cd " + home + " && exec sleep 120");
        awaitInside(p);
        Cmd.Result r = Rig.vsys("destroy", "--force", "td22");
        assertEquals(0, r.exit(), r.toString());
        assertGone("td22");
        assertEquals("a user's notes\n", new String(Files.readAllBytes(home.resolve("notes.txt")), StandardCharsets.UTF_8));
    }
}
