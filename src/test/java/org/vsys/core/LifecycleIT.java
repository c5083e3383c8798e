package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vsys.testing.Cmd;
import org.vsys.testing.ItEnv;
import org.vsys.testing.ExitCodes;
import org.vsys.testing.LocalTree;
import org.vsys.testing.RemoteFixture;
import org.vsys.testing.OsState;
import org.vsys.testing.TreeHash;

/**
 * Issue 2: create / alias / list / status / remount / destroy against the SSH remote and a local
 * tree, with the real installed vsys; the remote's files are identical before and after.
 */
class LifecycleIT {
    static final String LOCAL = "it-life-local";
    static final String LOCAL_ALIAS = "it-life-local-a";
    static final String SSH = "it-life-ssh";
    static final String SSH_ALIAS = "it-life-ssh-a";
    static final String BUSY = "it-life-busy";

    static RemoteFixture remote;
    static LocalTree tree;

    @BeforeAll
    static void setUp() {
        ItEnv.requireInstalled();
        remote = RemoteFixture.up();
        tree = LocalTree.create("life");
    }

    @AfterEach
    void cleanUp() {
        for (String a : List.of(LOCAL_ALIAS, SSH_ALIAS)) {
            ItEnv.unaliasQuietly(a);
        }
        for (String s : List.of(LOCAL, SSH, BUSY)) {
            ItEnv.destroyQuietly(s);
        }
    }

    @AfterAll
    static void tearDown() {
        if (tree != null) {
            tree.close();
        }
        if (remote != null) {
            remote.close();
        }
    }

    @Test
    void localTreeLifecycle() throws IOException {
        TreeHash.Result before = TreeHash.of(tree.root);

        Cmd.Result c = ItEnv.vsys("create", LOCAL, "dir:" + tree.root);
        assertEquals(0, c.exit(), c::toString);
        assertCreated(LOCAL);
        assertEquals(LocalTree.OS_RELEASE_ID, osReleaseId(ItEnv.R.resolve(LOCAL).resolve("etc/os-release")));
        assertTrue(Files.exists(ItEnv.R.resolve(LOCAL).resolve("bin/busybox")));

        lifecycleMiddle(LOCAL, LOCAL_ALIAS);

        Cmd.Result d = ItEnv.vsys("destroy", LOCAL);
        assertEquals(0, d.exit(), d::toString);
        assertDestroyed(LOCAL, LOCAL_ALIAS);
        assertEquals(before, TreeHash.of(tree.root), "the local tree is unchanged by create/destroy");
    }

    @Test
    void localTreeByAbsolutePathWithShortForms() {
        Cmd.Result c = ItEnv.vsys("-c", LOCAL, tree.root.toString());
        assertEquals(0, c.exit(), c::toString);
        assertCreated(LOCAL);
        Cmd.Result a = ItEnv.vsys("-a", LOCAL_ALIAS, LOCAL);
        assertEquals(0, a.exit(), a::toString);
        assertTrue(Files.isSymbolicLink(ItEnv.R.resolve("bin").resolve(LOCAL_ALIAS)));
        Cmd.Result d = ItEnv.vsys("-d", LOCAL);
        assertEquals(0, d.exit(), d::toString);
        assertDestroyed(LOCAL, LOCAL_ALIAS);
    }

    @Test
    void sshRemoteLifecycle() throws IOException {
        TreeHash.Result before = TreeHash.of(remote.tree);
        assertTrue(before.entries() > 1000, "the remote tree looks like a Debian tree: " + before);

        Cmd.Result c = ItEnv.vsys(ItEnv.concat(new String[] {"create", SSH, remote.url}, remote.sshOptions()));
        assertEquals(0, c.exit(), c::toString);
        assertCreated(SSH);
        Path mnt = ItEnv.R.resolve(SSH);
        assertEquals("debian", osReleaseId(mnt.resolve("etc/os-release")));
        assertEquals(Files.readString(remote.tree.resolve("etc/debian_version")),
                Files.readString(mnt.resolve("etc/debian_version")));
        assertTrue(OsState.mounts().stream().anyMatch(m -> m.startsWith(mnt + " fuse.sshfs")),
                "an sshfs mount at " + mnt + " in " + OsState.mounts());

        lifecycleMiddle(SSH, SSH_ALIAS);

        Cmd.Result d = ItEnv.vsys("destroy", SSH);
        assertEquals(0, d.exit(), d::toString);
        assertDestroyed(SSH, SSH_ALIAS);
        assertTrue(OsState.mounts().stream().noneMatch(m -> m.startsWith(mnt.toString())),
                "no mount left at " + mnt + ": " + OsState.mounts());
        assertEquals(before, TreeHash.of(remote.tree), "every file of the remote is identical after destroy");
    }

    @Test
    void destroyRefusesWhileBusyAndChangesNothing() throws Exception {
        Cmd.Result c = ItEnv.vsys("create", BUSY, "dir:" + tree.root);
        assertEquals(0, c.exit(), c::toString);
        Path out = Files.createTempFile("vsys-it-busy", ".out");
        Process p = Cmd.asUser(ItEnv.USER, ItEnv.launcher(BUSY), "sleep", "60")
                .dir(Paths.get("/"))
                .start(out, out);
        try {
            // the process is inside once the launcher has exec'd sleep
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(
                    () -> !p.isAlive() || ItEnv.inOtherMountNamespace(p.pid()));
            assertTrue(p.isAlive(), () -> "the sleeper runs: " + ItEnv.readQuietly(out));
            String before = OsState.takeFor(List.of(BUSY));
            Cmd.Result d = ItEnv.vsys("destroy", BUSY);
            assertEquals(ExitCodes.BUSY, d.exit(), d::toString);
            ItEnv.assertOneErrorLine(d);
            assertTrue(d.err().contains(String.valueOf(p.pid())),
                    "says which process holds it (pid " + p.pid() + "): " + d.err());
            OsState.assertUnchanged(before, OsState.takeFor(List.of(BUSY)), d);
        } finally {
            p.destroyForcibly();
            p.waitFor();
            Files.deleteIfExists(out);
        }
        Cmd.Result d = ItEnv.vsys("destroy", BUSY);
        assertEquals(0, d.exit(), d::toString);
    }

    // --- shared steps ----------------------------------------------------------------------

    private static void lifecycleMiddle(String name, String alias) {
        Cmd.Result a = ItEnv.vsys("alias", alias, name);
        assertEquals(0, a.exit(), a::toString);
        Path link = ItEnv.R.resolve("bin").resolve(alias);
        assertTrue(Files.isSymbolicLink(link), link + " is a symlink");
        assertTrue(Files.exists(ItEnv.R.resolve("etc/aliases").resolve(alias)));

        Cmd.Result l = ItEnv.vsys("list");
        assertEquals(0, l.exit(), l::toString);
        assertTrue(l.out().contains(name), "list shows " + name + ": " + l.out());
        assertTrue(l.out().contains(alias), "list shows alias " + alias + ": " + l.out());

        Cmd.Result j = ItEnv.vsys("list", "--json");
        assertEquals(0, j.exit(), j::toString);
        String js = j.out().strip();
        assertTrue(js.startsWith("{") || js.startsWith("["), "list --json is JSON: " + js);
        assertTrue(js.contains("\"" + name + "\""), "list --json names " + name + ": " + js);

        Cmd.Result s = ItEnv.vsys("status", name);
        assertEquals(0, s.exit(), s::toString);
        Cmd.Result sj = ItEnv.vsys("status", name, "--json");
        assertEquals(0, sj.exit(), sj::toString);
        assertTrue(sj.out().contains("\"" + name + "\""), sj::toString);
        Cmd.Result sa = ItEnv.vsys("status");
        assertTrue(sa.exit() == 0 || sa.exit() == ExitCodes.UNHEALTHY, sa::toString);
        assertTrue(sa.out().contains(name), sa::toString);

        Cmd.Result rm = ItEnv.vsys("remount", name);
        assertEquals(0, rm.exit(), rm::toString);
        assertEquals(0, ItEnv.vsys("status", name).exit(), "healthy after remount");
        assertTrue(Files.exists(ItEnv.R.resolve(name).resolve("etc/os-release")), "mounted after remount");

        Cmd.Result sa2 = ItEnv.vsys("status", alias);
        assertEquals(0, sa2.exit(), "status through the alias: " + sa2);
    }

    static void assertCreated(String name) {
        Path link = ItEnv.R.resolve("bin").resolve(name);
        assertTrue(Files.isSymbolicLink(link), link + " is a symlink");
        try {
            assertEquals("bin", Files.readSymbolicLink(link).toString(), "relative link to the launcher");
            Path rec = ItEnv.R.resolve("etc/systems").resolve(name);
            List<String> lines = Files.readAllLines(rec);
            assertTrue(lines.contains("state=ready"), rec + ": " + lines);
            assertTrue(lines.contains("name=" + name), rec + ": " + lines);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("fs=/ ")), rec + ": " + lines);
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(rec, LinkOption.NOFOLLOW_LINKS)));
            assertEquals(0, (Integer) Files.getAttribute(rec, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertTrue(Files.isDirectory(ItEnv.R.resolve(name)));
    }

    static void assertDestroyed(String name, String alias) {
        assertFalse(Files.exists(ItEnv.R.resolve("bin").resolve(name), LinkOption.NOFOLLOW_LINKS), "launcher link gone");
        assertFalse(Files.exists(ItEnv.R.resolve("bin").resolve(alias), LinkOption.NOFOLLOW_LINKS), "alias link gone");
        assertFalse(Files.exists(ItEnv.R.resolve("etc/systems").resolve(name)), "system record gone");
        assertFalse(Files.exists(ItEnv.R.resolve("etc/aliases").resolve(alias)), "alias record gone");
        assertFalse(Files.exists(ItEnv.R.resolve(name), LinkOption.NOFOLLOW_LINKS), "mount point removed");
        assertTrue(OsState.mountPointsUnder(ItEnv.R.resolve(name)).isEmpty(), "nothing mounted");
        Cmd.Result l = ItEnv.vsys("list");
        assertEquals(0, l.exit(), l::toString);
        assertFalse(l.out().contains(name), "list no longer shows " + name + ": " + l.out());
        Cmd.Result s = ItEnv.vsys("status", name);
        assertEquals(ExitCodes.NO_SUCH, s.exit(), s::toString);
    }

    static String osReleaseId(Path f) {
        try {
            return Files.readAllLines(f).stream().filter(l -> l.startsWith("ID="))
                    .map(l -> l.substring(3).replace("\"", "")).findFirst().orElse("");
        } catch (IOException e) {
            throw new AssertionError("cannot read " + f + ": " + e, e);
        }
    }

}
