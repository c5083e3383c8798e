package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vsys.testing.Rig;
import org.vsys.testing.Cmd;

/**
 * {@code kill -9} of vsys at every step of create, alias, unalias, destroy, restore and remount
 * (VSYS_PAUSE_AT stops it there, then SIGKILL), then the next command: the state must be
 * consistent (no orphan mount, no record without its mounts, links only for live records), the
 * interrupted operation finished or undone, and the trees unchanged.
 */
@Tag("root")
class CrashIT {
    static Path tree;
    static Path tree2;
    static Map<Path, String> before;
    static int runs;

    @BeforeAll
    static void setUp() throws Exception {
        Rig.setUp();
        tree = Rig.tree("crash1");
        tree2 = Rig.tree("crash2");
        before = Rig.hashes(List.of(tree, tree2));
    }

    @AfterEach
    void each() {
        Rig.cleanAll();
        Rig.assertConsistent("after cleanup");
        assertEquals(before, Rig.hashes(List.of(tree, tree2)), "the trees are byte for byte what they were");
    }

    @AfterAll
    static void tearDown() {
        if (Rig.inst == null) {
            return;
        }
        System.err.println("CrashIT: " + runs + " kill -9 runs");
        Rig.removeTree(tree);
        Rig.removeTree(tree2);
    }

    static Path work(String step) throws Exception {
        Path d = Files.createTempDirectory("vsys-crash-" + step + "-");
        d.toFile().deleteOnExit();
        return d;
    }

    static void killAt(String step, String... args) throws Exception {
        Path d = work(step);
        Process p = Rig.pauseAt(step, d, args);
        Rig.kill9(p);
        runs++;
        Files.deleteIfExists(d.resolve("out"));
        Files.deleteIfExists(d.resolve("err"));
        Files.deleteIfExists(d);
    }

    static void assertAbsent(String name) {
        assertFalse(Files.exists(Rig.R.resolve("etc/systems").resolve(name)), name + " record");
        assertFalse(Files.exists(Rig.R.resolve(name), LinkOption.NOFOLLOW_LINKS), name + " directory");
        assertFalse(Files.exists(Rig.R.resolve("bin").resolve(name), LinkOption.NOFOLLOW_LINKS), name + " link");
    }

    static String launch(String name) {
        Cmd.Result r = Cmd.of(Rig.R.resolve("bin").resolve(name).toString(), "cat", "/etc/os-release").dir(Path.of("/")).timeoutSeconds(60).mergeErr().run();
        return r.exit() + " " + r.out().strip();
    }

    @ParameterizedTest
    @ValueSource(strings = {"create.start", "create.record", "create.dir", "create.mounted", "create.prepared", "create.linked"})
    void createKilled(String step) throws Exception {
        killAt(step, "create", "cr1", "dir:" + tree, "--mount", "/opt=" + tree2.resolve("data"), "--rw", "/opt");
        // the next command: a create of the same name undoes the half-made one and succeeds
        Cmd.Result r = Rig.vsys("create", "cr1", "dir:" + tree2);
        assertEquals(0, r.exit(), r.toString());
        Rig.assertConsistent("after create killed at " + step + " and a new create");
        assertEquals("0 ID=vsys-rel-crash2", launch("cr1"));
        assertEquals(0, Rig.vsys("check").exit(), () -> Rig.vsys("check").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"create.record", "create.mounted", "create.linked"})
    void createKilledThenCheckRepair(String step) throws Exception {
        Rig.vsysOk("create", "cr0", "dir:" + tree);
        killAt(step, "create", "cr2", "dir:" + tree, "--mount", "/opt=" + tree2.resolve("data"));
        Cmd.Result c = Rig.vsys("check");
        assertEquals(13, c.exit(), c.toString());
        assertTrue(c.out().contains("cr2: interrupted create (state=creating)"), c.out());
        Cmd.Result fix = Rig.vsys("check", "--repair");
        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(fix.out().contains("cr2: interrupted create (state=creating); repaired: rolled back"), fix.out());
        assertAbsent("cr2");
        Rig.assertConsistent("after check --repair");
        assertEquals("0 ID=vsys-rel-crash1", launch("cr0"), "the other system is untouched");
    }

    @ParameterizedTest
    @ValueSource(strings = {"destroy.start", "destroy.marked", "destroy.released", "destroy.unmounted", "destroy.unlinked",
        "destroy.removed"})
    void destroyKilled(String step) throws Exception {
        Rig.vsysOk("create", "de1", "dir:" + tree, "--mount", "/opt=" + tree2.resolve("data"));
        Rig.vsysOk("alias", "de1a", "de1");
        Rig.vsysOk("create", "de2", "dir:" + tree2);
        killAt(step, "destroy", "de1");
        // the next command: another system's alias; it completes the interrupted destroy first
        Cmd.Result r = Rig.vsysProc(Map.of(), "alias", "de2a", "de2");
        assertEquals(0, r.exit(), r.toString());
        if (step.equals("destroy.start")) {
            assertTrue(r.err().isEmpty(), "nothing to recover: " + r.err());
            assertEquals("0 ID=vsys-rel-crash1", launch("de1a"), "a destroy killed before its first change changed nothing");
            Rig.vsysOk("destroy", "de1");
        } else if (!step.equals("destroy.removed")) {
            assertTrue(r.err().contains("vsys: de1: interrupted destroy (state=destroying): completed"), r.toString());
        }
        assertAbsent("de1");
        assertFalse(Files.exists(Rig.R.resolve("etc/aliases/de1a")));
        Rig.assertConsistent("after destroy killed at " + step);
        assertEquals("0 ID=vsys-rel-crash2", launch("de2a"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"alias.start", "alias.record", "unalias.start"})
    void aliasKilled(String step) throws Exception {
        Rig.vsysOk("create", "al1", "dir:" + tree);
        if (step.startsWith("unalias")) {
            Rig.vsysOk("alias", "al1a", "al1");
            killAt(step, "unalias", "al1a");
        } else {
            killAt(step, "alias", "al1a", "al1");
        }
        Cmd.Result r = Rig.vsys("create", "al2", "dir:" + tree2);
        assertEquals(0, r.exit(), r.toString());
        Rig.assertConsistent("after alias killed at " + step);
        if (step.equals("alias.start")) {
            assertFalse(Files.exists(Rig.R.resolve("etc/aliases/al1a")));
        } else {
            // the record was written: the alias is completed (or the unalias undone), link and all
            assertEquals("0 ID=vsys-rel-crash1", launch("al1a"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"restore.start", "restore.unmounted", "restore.mounted", "restore.prepared", "restore.linked"})
    void restoreKilled(String step) throws Exception {
        Rig.vsysOk("create", "rt1", "dir:" + tree, "--mount", "/opt=" + tree2.resolve("data"));
        Rig.vsysOk("create", "rt2", "dir:" + tree2);
        RestoreIT.simulateReboot(List.of("rt1", "rt2"));
        Files.delete(Rig.R.resolve("bin/rt1"));
        killAt(step, "restore");
        if (!step.equals("restore.start")) {
            Cmd.Result c = Rig.vsys("check");
            assertTrue(c.out().contains("rt1: interrupted restore or remount"), c.out());
        }
        Cmd.Result r = Rig.vsys("restore");
        assertEquals(0, r.exit(), r.toString());
        Rig.assertConsistent("after restore killed at " + step + " and a second restore");
        assertEquals("0 ID=vsys-rel-crash1", launch("rt1"));
        assertEquals("0 ID=vsys-rel-crash2", launch("rt2"));
        Cmd.Result again = Rig.vsys("restore");
        assertEquals("rt1: ok, nothing to do\nrt2: ok, nothing to do", again.out().strip());
    }

    @ParameterizedTest
    @ValueSource(strings = {"remount.unmounted"})
    void remountKilled(String step) throws Exception {
        Rig.vsysOk("create", "rm1", "dir:" + tree, "--mount", "/opt=" + tree2.resolve("data"));
        Cmd.of("umount", Rig.R.resolve("rm1/opt").toString()).timeoutSeconds(30).mergeErr().ok();
        killAt(step, "remount", "rm1");
        Cmd.Result c = Rig.vsys("check");
        assertEquals(13, c.exit(), "a killed remount leaves a ready system with a lost mount: check sees it: " + c);
        assertTrue(c.out().contains("rm1: interrupted restore or remount"), c.out());
        assertTrue(c.out().contains("rm1: filesystems not mounted: /opt"), c.out());
        // the next command finishes the remount
        Cmd.Result r = Rig.vsysProc(Map.of(), "alias", "rm1a", "rm1");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("vsys: rm1: interrupted restore or remount: completed: mounted /opt, view prepared"), r.err());
        Rig.assertConsistent("after remount killed at " + step + " and the next command");
    }
}
