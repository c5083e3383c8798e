package org.vsys.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vsys.testing.Cmd;
import org.vsys.testing.ItEnv;
import org.vsys.testing.LocalTree;
import org.vsys.testing.RemoteFixture;
import org.vsys.testing.OsState;

/**
 * Issue 3, functional: the real unprivileged user runs the real installed launcher against
 * systems made by {@code vsys create}: a local tree and the SSH remote.
 */
class LauncherIT {
    static final String LOC = "it-run-local";
    static final String REM = "it-run-ssh";

    static RemoteFixture remote;
    static LocalTree tree;
    static Path work;

    @BeforeAll
    static void setUp() throws IOException {
        ItEnv.requireInstalled();
        remote = RemoteFixture.up();
        tree = LocalTree.create("run");
        ItEnv.destroyQuietly(LOC);
        ItEnv.destroyQuietly(REM);
        Cmd.Result c = ItEnv.vsys("create", LOC, "dir:" + tree.root);
        assertEquals(0, c.exit(), c::toString);
        c = ItEnv.vsys(ItEnv.concat(new String[] {"create", REM, remote.url}, remote.sshOptions()));
        assertEquals(0, c.exit(), c::toString);
        // the caller's working directory, in its home (shared into every system)
        work = Paths.get("/home", ItEnv.USER, "it-work-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectories(work);
        Cmd.of("chown", ItEnv.USER + ":" + ItEnv.USER, work.toString()).ok();
    }

    @AfterAll
    static void tearDown() throws IOException {
        ItEnv.destroyQuietly(LOC);
        ItEnv.destroyQuietly(REM);
        if (work != null && Files.exists(work)) {
            LocalTree.removeUnlessMounted(work);
        }
        if (tree != null) {
            tree.close();
        }
        if (remote != null) {
            remote.close();
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    /** Runs /OS/bin/SYSTEM args... as the test user from the work directory. */
    static Cmd in(String system, String... args) {
        String[] a = new String[args.length + 1];
        a[0] = ItEnv.launcher(system);
        System.arraycopy(args, 0, a, 1, args.length);
        return Cmd.asUser(ItEnv.USER, a).dir(work);
    }

    static String okIn(String system, String... args) {
        Cmd.Result r = in(system, args).run();
        assertEquals(0, r.exit(), r::toString);
        return r.out();
    }

    static String expectedOsRelease(String system) throws IOException {
        Path root = system.equals(LOC) ? tree.root : remote.tree;
        return Files.readString(root.resolve("etc/os-release"));
    }

    static String idOf(String system) {
        return system.equals(LOC) ? LocalTree.OS_RELEASE_ID : "debian";
    }

    static Set<String> words(String s) {
        return Arrays.stream(s.strip().split("\\s+")).filter(w -> !w.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
    }

    // --- tests -----------------------------------------------------------------------------

    @ParameterizedTest(name = "[{0}] id -u/-g/-G are the caller's")
    @ValueSource(strings = {LOC, REM})
    void identityIsTheCallers(String system) {
        for (String opt : new String[] {"-u", "-g", "-G"}) {
            String host = Cmd.asUser(ItEnv.USER, "id", opt).dir(work).ok();
            String inside = okIn(system, "id", opt);
            assertEquals(words(host), words(inside), "id " + opt + " in " + system);
        }
        assertTrue(words(okIn(system, "id", "-G")).contains(
                Cmd.of("getent", "group", ItEnv.GROUP).ok().split(":")[2]),
                "the supplementary group " + ItEnv.GROUP + " is kept");
        assertNotEquals("0", okIn(system, "id", "-u").strip());
    }

    @ParameterizedTest(name = "[{0}] the caller's user and group names are known inside")
    @ValueSource(strings = {LOC, REM})
    void callerNamesAreKnown(String system) {
        assertEquals(ItEnv.USER, okIn(system, "id", "-un").strip());
        assertTrue(words(okIn(system, "id", "-Gn")).contains(ItEnv.GROUP), "group names from the host");
    }

    @ParameterizedTest(name = "[{0}] a user added on the host after create is known inside")
    @ValueSource(strings = {LOC, REM})
    void userAddedAfterCreateIsKnown(String system) {
        String late = "vsys-it-late";
        Cmd.of("userdel", late).run();
        Cmd.of("useradd", "-M", "-s", "/bin/sh", late).ok(); // rewrites /etc/passwd (a new file, renamed)
        try {
            // what vsys-refresh.path runs on a systemd host whenever /etc/passwd or /etc/group changes
            ItEnv.vsysOk("refresh", system);
            Cmd.Result r = Cmd.asUser(late, ItEnv.launcher(system), "id", "-un").dir(Paths.get("/")).run();
            assertEquals(0, r.exit(), r::toString);
            assertEquals(late, r.out().strip(), r::toString);
        } finally {
            Cmd.of("userdel", late).run();
        }
    }

    @ParameterizedTest(name = "[{0}] pwd is the caller's cwd")
    @ValueSource(strings = {LOC, REM})
    void cwdIsTheCallers(String system) {
        assertEquals(work.toString(), okIn(system, "pwd").strip());
        assertEquals(work.toString(), okIn(system, "sh", "-c", "pwd -P").strip());
    }

    @ParameterizedTest(name = "[{0}] exit statuses and signal deaths propagate")
    @ValueSource(strings = {LOC, REM})
    void exitStatusPropagates(String system) {
        for (int code : new int[] {0, 1, 42}) {
            Cmd.Result r = in(system, "sh", "-c", "exit " + code).run();
            assertEquals(code, r.exit(), r::toString);
        }
        Cmd.Result t = in(system, "sh", "-c", "kill -TERM $$").run();
        assertEquals(128 + 15, t.exit(), t::toString);
        Cmd.Result k = in(system, "sh", "-c", "kill -KILL $$").run();
        assertEquals(128 + 9, k.exit(), k::toString);
        Cmd.Result f = in(system, "false").run();
        assertEquals(1, f.exit(), f::toString);
    }

    @ParameterizedTest(name = "[{0}] stdin, stdout, stderr")
    @ValueSource(strings = {LOC, REM})
    void stdioWorks(String system) {
        Cmd.Result r = in(system, "cat").stdin("hello stdin\nline 2\n").run();
        assertEquals(0, r.exit(), r::toString);
        assertEquals("hello stdin\nline 2\n", r.out());
        Cmd.Result e = in(system, "sh", "-c", "echo to-stderr >&2; echo to-stdout").run();
        assertEquals(0, e.exit(), e::toString);
        assertEquals("to-stdout", e.out().strip());
        assertEquals("to-stderr", e.err().strip());
    }

    @Test
    void vsysRunAndShellAreFrontsToTheLauncher() throws IOException {
        Cmd.Result r = Cmd.of(ItEnv.VSYS, "run", REM, "--", "sh", "-c", "cat /etc/os-release; exit 42").dir(work).run();
        assertEquals(42, r.exit(), r::toString);
        assertEquals(expectedOsRelease(REM), r.out());
        Cmd.Result s = Cmd.of(ItEnv.VSYS, "shell", LOC).dir(work).stdin("grep ^ID= /etc/os-release\nexit 7\n").run();
        assertEquals(7, s.exit(), s::toString);
        assertEquals("ID=" + LocalTree.OS_RELEASE_ID, s.out().strip());
    }

    @Test
    void pipelineAcrossSystems() {
        String script = "printf 'abc\\n' | " + ItEnv.launcher(LOC) + " tr a-z A-Z | " + ItEnv.launcher(REM)
                + " cat | " + ItEnv.launcher(LOC) + " sed s/B/b/";
        Cmd.Result r = Cmd.shAsUser(ItEnv.USER, script).dir(work).run();
        assertEquals(0, r.exit(), r::toString);
        assertEquals("AbC", r.out().strip());
    }

    @ParameterizedTest(name = "[{0}] -sh gives a login environment")
    @ValueSource(strings = {LOC, REM})
    void loginShell(String system) {
        Cmd.Result r = in(system, "-sh")
                .env("VSYS_IT_JUNK", "should-not-pass")
                .env("LD_PRELOAD", "/nonexistent/evil.so")
                .env("TERM", "xterm")
                .stdin("env\nexit 0\n").run();
        assertEquals(0, r.exit(), r::toString);
        Map<String, String> env = r.out().lines().filter(l -> l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
                        (a, b) -> b));
        assertEquals("/home/" + ItEnv.USER, env.get("HOME"), r::toString);
        assertEquals(ItEnv.USER, env.get("USER"), r::toString);
        assertEquals(ItEnv.USER, env.get("LOGNAME"), r::toString);
        assertTrue(env.containsKey("SHELL"), r::toString);
        assertTrue(env.getOrDefault("PATH", "").contains("/bin"), r::toString);
        assertEquals("xterm", env.get("TERM"), r::toString);
        assertFalse(env.containsKey("VSYS_IT_JUNK"), "a clean environment: " + r);
        assertFalse(env.containsKey("LD_PRELOAD"), "no LD_PRELOAD: " + r);
    }

    @ParameterizedTest(name = "[{0}] a child process sees the same system")
    @ValueSource(strings = {LOC, REM})
    void childSeesTheSameSystem(String system) throws IOException {
        String direct = okIn(system, "cat", "/etc/os-release");
        assertEquals(expectedOsRelease(system), direct);
        assertEquals(direct, okIn(system, "sh", "-c", "sh -c 'cat /etc/os-release'"));
        assertTrue(okIn(system, "sh", "-c", "sh -c 'cat /etc/os-release' & wait").contains("ID=" + idOf(system)));
    }

    @Test
    void twoSystemsSideBySide() throws Exception {
        Path o1 = Files.createTempFile("vsys-it-side1", ".out");
        Path o2 = Files.createTempFile("vsys-it-side2", ".out");
        String loop = "for i in 1 2 3; do grep '^ID=' /etc/os-release; sleep 0.3; done";
        try {
            Process p1 = in(LOC, "sh", "-c", loop).start(o1, o1);
            Process p2 = in(REM, "sh", "-c", loop).start(o2, o2);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !p1.isAlive() && !p2.isAlive());
            assertEquals(0, p1.exitValue(), () -> ItEnv.readQuietly(o1));
            assertEquals(0, p2.exitValue(), () -> ItEnv.readQuietly(o2));
            assertEquals(("ID=" + LocalTree.OS_RELEASE_ID + "\n").repeat(3), Files.readString(o1));
            assertEquals("ID=debian\n".repeat(3), Files.readString(o2));
        } finally {
            Files.deleteIfExists(o1);
            Files.deleteIfExists(o2);
        }
    }

    @ParameterizedTest(name = "[{0}] /tmp and /var/tmp are local")
    @ValueSource(strings = {LOC, REM})
    void tmpIsLocal(String system) throws IOException {
        String f = "vsys-it-tmp-" + UUID.randomUUID();
        Path root = system.equals(LOC) ? tree.root : remote.tree;
        try {
            okIn(system, "sh", "-c", "echo made-inside > /tmp/" + f + " && echo var > /var/tmp/" + f);
            Path host = Paths.get("/tmp", f);
            assertTrue(Files.exists(host), "the file is in the host's /tmp");
            assertEquals("made-inside\n", Files.readString(host));
            assertEquals(ItEnv.uid(ItEnv.USER),
                    String.valueOf(Files.getAttribute(host, "unix:uid", LinkOption.NOFOLLOW_LINKS)));
            assertFalse(Files.exists(root.resolve("tmp").resolve(f), LinkOption.NOFOLLOW_LINKS),
                    "not in the system's own /tmp");
            assertFalse(Files.exists(root.resolve("var/tmp").resolve(f), LinkOption.NOFOLLOW_LINKS),
                    "not in the system's own /var/tmp");
            assertEquals("var", okIn(system, "cat", "/var/tmp/" + f).strip(), "/var/tmp keeps it for the next launch");
        } finally {
            Files.deleteIfExists(Paths.get("/tmp", f));
            okIn(system, "rm", "-f", "/var/tmp/" + f);
        }
    }

    @Test
    void tmpfsMountedUnderHomeLaterIsSeen() throws Exception {
        Path mp = Paths.get("/home", "vsys-it-mnt-" + UUID.randomUUID().toString().substring(0, 8));
        Path out = Files.createTempFile("vsys-it-watch", ".out");
        String marker = "mounted-after-create " + UUID.randomUUID();
        // a shell already running inside, polling the path
        Process watcher = in(REM, "sh", "-c",
                "i=0; while [ $i -lt 600 ]; do if [ -f " + mp + "/marker ]; then cat " + mp + "/marker; exit 0; fi;"
                        + " sleep 0.1; i=$((i+1)); done; exit 3").start(out, out);
        boolean mounted = false;
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> !watcher.isAlive() || ItEnv.inOtherMountNamespace(watcher.pid()));
            assertTrue(watcher.isAlive(), () -> "the watcher runs inside: " + ItEnv.readQuietly(out));
            Files.createDirectory(mp);
            Cmd.of("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "vsys-it-tmpfs", mp.toString()).ok();
            mounted = true;
            Files.writeString(mp.resolve("marker"), marker + "\n");

            // the next launch, in both systems
            assertEquals(marker, okIn(REM, "cat", mp + "/marker").strip());
            assertEquals(marker, okIn(LOC, "cat", mp + "/marker").strip());
            // and the shell that was already running
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !watcher.isAlive());
            assertEquals(0, watcher.exitValue(), () -> ItEnv.readQuietly(out));
            assertEquals(marker, Files.readString(out).strip());
        } finally {
            watcher.destroyForcibly();
            watcher.waitFor();
            if (mounted) {
                Cmd.of("umount", mp.toString()).run();
            }
            if (Files.isDirectory(mp) && OsState.mountPointsUnder(mp).isEmpty()) {
                Files.delete(mp);
            }
            Files.deleteIfExists(out);
        }
        // the unmount propagates too
        assertEquals(1, in(LOC, "test", "-e", mp + "/marker").run().exit());
    }

    @Test
    void compileWithTheRemotesCompiler() throws IOException {
        Path src = work.resolve("prog.c");
        Files.writeString(src, "#include <stdio.h>\nint main(void) { printf(\"hello from vsys\\n\"); return 0; }\n");
        Cmd.of("chown", ItEnv.USER + ":" + ItEnv.USER, src.toString()).ok();
        Files.deleteIfExists(work.resolve("a.out"));
        Cmd.Result cc = in(REM, "cc", "prog.c").timeout(Duration.ofMinutes(3)).run();
        assertEquals(0, cc.exit(), cc::toString);
        Path aout = work.resolve("a.out");
        assertTrue(Files.isExecutable(aout), "a.out made in the caller's directory");
        assertEquals(ItEnv.uid(ItEnv.USER), String.valueOf(Files.getAttribute(aout, "unix:uid")), "owned by the caller");
        // ./a.out on the host, and inside the system
        assertEquals("hello from vsys", Cmd.asUser(ItEnv.USER, "./a.out").dir(work).ok().strip());
        assertEquals("hello from vsys", okIn(REM, "./a.out").strip());
        Cmd.Result both = Cmd.shAsUser(ItEnv.USER, ItEnv.launcher(REM) + " cc -o b.out prog.c && ./b.out")
                .dir(work).timeout(Duration.ofMinutes(3)).run();
        assertEquals(0, both.exit(), both::toString);
        assertEquals("hello from vsys", both.out().strip());
    }
}
