package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.vsys.mount.MountTable;
import org.vsys.testing.Rig;
import org.vsys.testing.Cmd;

/**
 * {@code vsys restore} after everything was unmounted behind vsys's back (a simulated reboot),
 * idempotence of a second run, and {@code vsys check [--repair]} on a damaged installation.
 */
@Tag("root")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreIT {
    static Rig.TwoTrees trees;
    static Path t1;
    static Path t2;

    @BeforeAll
    static void setUp() throws Exception {
        trees = Rig.setUpTwoTrees("restore");
        t1 = trees.first();
        t2 = trees.second();
    }

    @AfterAll
    static void tearDown() {
        Rig.tearDownTwoTrees(trees, "after RestoreIT");
    }

    static String launch(String name) {
        Cmd.Result r = Cmd.of(Rig.R.resolve("bin").resolve(name).toString(), "cat", "/etc/os-release").dir(Path.of("/")).timeoutSeconds(60).mergeErr().run();
        return r.exit() + " " + r.out().strip();
    }

    /** The mounts under R, with their ids: equal lists mean nothing was mounted or unmounted. */
    static List<String> mounts() {
        List<String> out = new ArrayList<>();
        String shared = Rig.R.resolve(".root") + "/";
        for (MountTable.Mount m : MountTable.read().atOrUnder(Rig.R.toString())) {
            if (!m.mountPoint().startsWith(shared + "home/") && !m.mountPoint().startsWith(shared + "tmp/")) {
                out.add(m.id() + " " + m.mountPoint() + " " + m.fsType()); // (host mounts under /home, /tmp propagate in)
            }
        }
        return out;
    }

    /** A reboot as far as vsys can tell: views released, system mounts detached, shared tree down. */
    static void simulateReboot(List<String> names) {
        for (String n : names) {
            Cmd.of(Rig.libexec.resolve("vsys-view").toString(), "release", n).timeoutSeconds(60).mergeErr().ok();
            Cmd.of("umount", "-l", Rig.R.resolve(n).toString()).timeoutSeconds(60).mergeErr().ok();
        }
        Cmd.of(Rig.libexec.resolve("vsys-view").toString(), "shared-down").timeoutSeconds(60).mergeErr().ok();
    }

    @Test
    @Order(1)
    void restoreBringsEverythingBackAndASecondRunChangesNothing() throws Exception {
        Rig.vsysOk("create", "rs1", "dir:" + t1);
        Rig.vsysOk("create", "rs2", "dir:" + t2, "--mount", "/opt=" + t1.resolve("data"), "--rw", "/opt");
        Rig.vsysOk("create", "rs3", t1.toString());
        Rig.vsysOk("alias", "rs2a", "rs2");
        Rig.assertConsistent("after create");
        assertEquals("0 ID=vsys-rel-restore1", launch("rs1"));
        assertEquals("0 ID=vsys-rel-restore2", launch("rs2a"));
        assertEquals(0, Rig.vsys("check").exit(), () -> Rig.vsys("check").toString());

        simulateReboot(List.of("rs1", "rs2", "rs3"));
        Files.delete(Rig.R.resolve("bin/rs3"));
        Files.delete(Rig.R.resolve("bin/rs2a"));
        assertFalse(Rig.inconsistencies().isEmpty());
        assertNotEquals("0 ID=vsys-rel-restore1", launch("rs1"), "the launcher cannot enter a lost system");
        Cmd.Result chk = Rig.vsys("check");
        assertEquals(13, chk.exit(), chk.toString());
        assertTrue(chk.out().contains("rs1: filesystems not mounted: /"), chk.out());
        assertTrue(chk.out().contains("rs2a: alias without its launcher link"), chk.out());
        assertEquals(1, chk.errLines().size(), chk.toString());

        Cmd.Result r = Rig.vsys("restore");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("rs1: restored: mounted /, view prepared"), r.out());
        assertTrue(r.out().contains("rs2: restored: mounted /, mounted /opt, view prepared\n"), r.out());
        assertTrue(r.out().contains("rs2a: alias without its launcher link (interrupted alias or unalias): link made"), r.out());
        assertTrue(r.out().contains("rs3: restored: mounted /, view prepared, link"), r.out());
        assertEquals(4, r.out().strip().split("\n").length, r.out());
        Rig.assertConsistent("after restore");
        assertEquals("0 ID=vsys-rel-restore1", launch("rs1"));
        assertEquals("0 ID=vsys-rel-restore2", launch("rs2a"));
        assertEquals("0 ID=vsys-rel-restore1", launch("rs3"));
        assertTrue(Files.exists(Rig.R.resolve("rs2/opt/a.txt")));

        List<String> m = mounts();
        List<String> listing = List.of(Rig.list(Rig.R).toString(), Rig.list(Rig.R.resolve("bin")).toString(),
                Rig.list(Rig.R.resolve("etc/systems")).toString(), Rig.list(Rig.R.resolve(".ns")).toString());
        String recs = Files.readString(Rig.R.resolve("etc/systems/rs2"));
        Cmd.Result again = Rig.vsys("restore");
        assertEquals(0, again.exit(), again.toString());
        assertEquals("rs1: ok, nothing to do\nrs2: ok, nothing to do\nrs3: ok, nothing to do", again.out().strip());
        assertEquals(m, mounts(), "a second restore mounts and unmounts nothing");
        assertEquals(listing, List.of(Rig.list(Rig.R).toString(), Rig.list(Rig.R.resolve("bin")).toString(),
                Rig.list(Rig.R.resolve("etc/systems")).toString(), Rig.list(Rig.R.resolve(".ns")).toString()));
        assertEquals(recs, Files.readString(Rig.R.resolve("etc/systems/rs2")));
        Cmd.Result ok = Rig.vsys("check");
        assertEquals(0, ok.exit(), ok.toString());
        assertEquals("no problems found", ok.out().strip());
    }

    @Test
    @Order(2)
    void aLostNestedMountAndARestoreInASeparateProcess() throws Exception {
        Cmd.of("umount", Rig.R.resolve("rs2/opt").toString()).timeoutSeconds(60).mergeErr().ok();
        Cmd.Result r = Rig.vsysProc(Map.of(), "restore");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("rs2: restored: mounted /opt, view prepared"), r.out());
        assertTrue(r.out().contains("rs1: ok, nothing to do"), r.out());
        Rig.assertConsistent("after restore of /opt");
    }

    @Test
    @Order(3)
    void restoreReportsASystemItCannotBringBackAndGoesOnWithTheOthers() throws Exception {
        simulateReboot(List.of("rs1", "rs2", "rs3"));
        Path moved = t2.resolveSibling("restore2.moved");
        Files.move(t2, moved);
        try {
            Cmd.Result r = Rig.vsys("restore");
            assertEquals(7, r.exit(), r.toString());
            assertTrue(r.out().contains("rs2: NOT restored: "), r.out());
            assertTrue(r.out().contains("rs1: restored"), r.out());
            assertTrue(r.out().contains("rs3: restored"), r.out());
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().startsWith("vsys: restore: 1 of 3 not restored"), r.err());
        } finally {
            Files.move(moved, t2);
        }
        Cmd.Result r = Rig.vsys("restore");
        assertEquals(0, r.exit(), r.toString());
        Rig.assertConsistent("after the second restore");
        assertEquals("0 ID=vsys-rel-restore2", launch("rs2"));
    }

    @Test
    @Order(4)
    void aRebootThatTookEveryMountUnderTheRootStaleNamespaceFilesAndAll() throws Exception {
        // as after a power cut: nothing under R is mounted, R/.ns/NAME are plain empty files
        List<String> all = new ArrayList<>();
        for (MountTable.Mount m : MountTable.read().atOrUnder(Rig.R.toString())) {
            all.add(m.mountPoint());
        }
        all.sort(java.util.Comparator.reverseOrder());
        for (String m : all) {
            Cmd.of("umount", "-l", m).timeoutSeconds(30).mergeErr().run();
        }
        assertTrue(MountTable.read().atOrUnder(Rig.R.toString()).isEmpty(), "everything under R is gone");
        assertTrue(Files.isRegularFile(Rig.R.resolve(".ns/rs1"), LinkOption.NOFOLLOW_LINKS), "a stale namespace file");
        Cmd.Result r = Rig.vsys("restore");
        assertEquals(0, r.exit(), r.toString());
        Rig.assertConsistent("after restore from nothing");
        assertEquals("0 ID=vsys-rel-restore1", launch("rs1"));
        assertEquals("0 ID=vsys-rel-restore2", launch("rs2a"));
        assertEquals("rs1: ok, nothing to do\nrs2: ok, nothing to do\nrs3: ok, nothing to do", Rig.vsys("restore").out().strip());
    }

    @Test
    @Order(5)
    void checkFindsAndRepairsWhatIsSafe() throws Exception {
        // a stray tmpfs under R, an empty stray directory, a link without record, a missing alias link
        Path stray = Rig.R.resolve("stray1");
        Files.createDirectory(stray);
        Cmd.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", stray.toString()).timeoutSeconds(30).mergeErr().ok();
        Files.createDirectory(Rig.R.resolve("empty1"));
        Files.createSymbolicLink(Rig.R.resolve("bin/ghost"), Path.of("bin"));
        Files.delete(Rig.R.resolve("bin/rs2a"));
        // a stray directory with a file in it stays (never deleted)
        Files.createDirectory(Rig.R.resolve("full1"));
        Files.writeString(Rig.R.resolve("full1/keep"), "keep\n");
        Cmd.of("chmod", "0755", Rig.R.resolve("bin/bin").toString()).timeoutSeconds(10).mergeErr().ok();
        Cmd.of("chmod", "0666", Rig.R.resolve("etc/systems/rs3").toString()).timeoutSeconds(10).mergeErr().ok();
        try {
            Cmd.Result c = Rig.vsys("check");
            assertEquals(13, c.exit(), c.toString());
            for (String s : List.of("stray1: mounts that belong to no record", "empty1: empty directory", "full1: directory",
                    "ghost: launcher link without a record", "rs2a: alias without its launcher link", "mode 4755", "rs3: system record")) {
                assertTrue(c.out().contains(s), s + " in " + c.out());
            }
            Cmd.Result fix = Rig.vsys("check", "--repair");
            assertEquals(13, fix.exit(), "the launcher, rs3's record and full1 are the admin's: " + fix);
            assertTrue(fix.out().contains("stray1: mounts that belong to no record: " + stray + " (tmpfs); repaired: unmounted"), fix.out());
            assertTrue(fix.out().contains("empty1: empty directory " + Rig.R.resolve("empty1") + " without a record; repaired: removed"), fix.out());
            assertTrue(fix.out().contains("ghost: launcher link without a record; repaired: removed"), fix.out());
            assertTrue(fix.out().contains("rs2a: alias without its launcher link (interrupted alias or unalias); repaired: link made"), fix.out());
            assertFalse(MountTable.read().isMountPoint(stray.toString()));
            assertFalse(Files.exists(Rig.R.resolve("empty1")));
            assertEquals("keep\n", Files.readString(Rig.R.resolve("full1/keep")));
            assertTrue(Files.isSymbolicLink(Rig.R.resolve("bin/rs2a")));
            assertFalse(Files.exists(Rig.R.resolve("bin/ghost"), LinkOption.NOFOLLOW_LINKS));
        } finally {
            Cmd.of("chmod", "4755", Rig.R.resolve("bin/bin").toString()).timeoutSeconds(10).mergeErr().run();
            Files.setPosixFilePermissions(Rig.R.resolve("etc/systems/rs3"), PosixFilePermissions.fromString("rw-r--r--"));
            Cmd.of("umount", stray.toString()).timeoutSeconds(10).mergeErr().run();
            Files.deleteIfExists(stray);
            Files.deleteIfExists(Rig.R.resolve("full1/keep"));
            Files.deleteIfExists(Rig.R.resolve("full1"));
        }
        assertEquals(0, Rig.vsys("check").exit(), () -> Rig.vsys("check").toString());
        Rig.assertConsistent("after check --repair");
    }
}
