package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.base.Debug;
import org.vsys.config.Installation;
import org.vsys.core.Records;
import org.vsys.core.Recovery;
import org.vsys.testing.Cmd;
import org.vsys.testing.Rig;

/**
 * Recovery of what a killed vsys left, on a scratch root without mounts (no root needed): an
 * interrupted create is undone, an interrupted destroy completed, alias links made, links without
 * records and temporary files removed; the command-line rules of restore and check; and what check says of
 * restricted systems' trees (exit 15).
 */
class RecoveryTest {
    @TempDir
    Path tmp;
    Installation inst;
    Records records;

    @BeforeEach
    void setUp() throws Exception {
        Path root = tmp.resolve("OS");
        inst = new Installation(root, tmp.resolve("libexec-missing"), () -> 0);
        records = new Records(inst);
        records.ensureLayout();
    }

    SystemRecord record(String name, SystemRecord.State state) throws Exception {
        SystemRecord r = new SystemRecord(name, state, SystemRecord.now(),
                List.of(new FsEntry("/", SourceUrl.parse("dir:/usr"), List.of("ro"))), false, "", "", false,
                SystemRecord.DEFAULT_HOSTFILES);
        records.write(r);
        return r;
    }

    Cmd.Result run(Installation i, String... args) {
        return Rig.vsysAt(i, args);
    }

    @Test
    void undoesAnInterruptedCreateAndCompletesAnInterruptedDestroy() throws Exception {
        record("half", SystemRecord.State.CREATING);
        Files.createDirectory(inst.systemDir("half"));
        Files.createSymbolicLink(inst.link("half"), Path.of("bin"));
        record("going", SystemRecord.State.DESTROYING);
        records.write(new AliasRecord("goingalias", "going"));
        Files.createSymbolicLink(inst.link("goingalias"), Path.of("bin"));
        record("fine", SystemRecord.State.READY);
        Files.createDirectory(inst.systemDir("fine"));

        List<Recovery.Action> pending = new Recovery(inst, Debug.off()).pending();
        assertEquals(List.of("half: interrupted create (state=creating)", "going: interrupted destroy (state=destroying)"),
                pending.stream().filter(a -> a.found().startsWith("interrupted")).map(Object::toString).sorted((x, y) -> y.compareTo(x))
                        .collect(Collectors.toList()));
        assertTrue(records.systemExists("half"), "pending() changes nothing");

        List<Recovery.Action> done = new Recovery(inst, Debug.off()).run();
        assertTrue(done.stream().allMatch(Recovery.Action::ok), done.toString());
        assertFalse(records.systemExists("half"));
        assertFalse(Files.exists(inst.systemDir("half"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(inst.link("half"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(records.systemExists("going"));
        assertFalse(records.aliasExists("goingalias"));
        assertFalse(Files.exists(inst.link("goingalias"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(records.systemExists("fine"), "a ready system is left alone");
        assertTrue(Files.isDirectory(inst.systemDir("fine")));
        assertTrue(new Recovery(inst, Debug.off()).run().isEmpty(), "a second run finds nothing");
    }

    @Test
    void neverTouchesAPlantedSymlinkOrAFullDirectory() throws Exception {
        record("evil", SystemRecord.State.CREATING);
        Files.createSymbolicLink(inst.systemDir("evil"), tmp);
        record("full", SystemRecord.State.DESTROYING);
        Files.createDirectory(inst.systemDir("full"));
        Files.writeString(inst.systemDir("full").resolve("keep"), "keep");
        List<Recovery.Action> done = new Recovery(inst, Debug.off()).run();
        assertEquals(2, done.stream().filter(a -> !a.ok()).count(), done.toString());
        assertTrue(Files.isSymbolicLink(inst.systemDir("evil")));
        assertTrue(records.systemExists("evil"), "the record stays so that check reports it");
        assertEquals("keep", Files.readString(inst.systemDir("full").resolve("keep")));
        assertTrue(records.systemExists("full"));
    }

    @Test
    void bringsLinksInLineWithTheRecords() throws Exception {
        record("sys", SystemRecord.State.READY);
        records.write(new AliasRecord("al", "sys"));                // alias without its link
        Files.createSymbolicLink(inst.link("ghost"), Path.of("bin")); // link without a record
        Files.createSymbolicLink(inst.link("other"), Path.of("/"));   // not ours: left alone
        Files.writeString(inst.systems().resolve(".sys.tmp.999999999"), "partial");
        records.write(new AliasRecord("dangling", "nosuch"));
        List<Recovery.Action> done = new Recovery(inst, Debug.off()).run();
        assertTrue(done.stream().allMatch(Recovery.Action::ok), done.toString());
        assertEquals("bin", Files.readSymbolicLink(inst.link("al")).toString());
        assertFalse(Files.exists(inst.link("ghost"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("/", Files.readSymbolicLink(inst.link("other")).toString());
        assertFalse(Files.exists(inst.systems().resolve(".sys.tmp.999999999")));
        assertFalse(records.aliasExists("dangling"));
    }

    @Test
    void restoreAndCheckNeedRootAndSayWhyInOneLine() {
        Installation user = new Installation(tmp.resolve("OS"), tmp.resolve("libexec-missing"), () -> 1000);
        for (String[] a : List.of(new String[] {"restore"}, new String[] {"check"}, new String[] {"check", "--repair"})) {
            Cmd.Result r = run(user, a);
            assertEquals(6, r.exit(), r.err());
            assertEquals(1, r.err().strip().split("\n").length, r.err());
            assertTrue(r.err().startsWith("vsys: " + a[0] + ": must be run as root"), r.err());
        }
    }

    @Test
    void checkReportsAMissingLauncherAndHelper() throws Exception {
        Cmd.Result r = run(inst, "check");
        assertEquals(13, r.exit(), r.err());
        assertTrue(r.out().contains("the launcher is not installed"), r.out());
        assertTrue(r.out().contains("the view helper is missing"), r.out());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        Cmd.Result h = run(inst, "check", "--help");
        assertEquals(0, h.exit());
        assertTrue(h.out().contains("--repair"));
        Cmd.Result rh = run(inst, "restore", "--help");
        assertTrue(rh.out().contains("--timeout"));
    }

    // ---- check: a restricted system's tree out of other users' reach (issue 12, finding 1): one line per
    // problem, exit 15 (UNSAFE) while one is left, 13 for the rest (here: no launcher installed)

    void restricted(String name) throws Exception {
        records.write(new SystemRecord(name, SystemRecord.State.READY, SystemRecord.now(),
                List.of(new FsEntry("/", SourceUrl.parse("dir:/usr"), List.of("ro"))), false, "root", "", false,
                SystemRecord.DEFAULT_HOSTFILES));
    }

    static List<String> lines(Cmd.Result r, String part) {
        return Arrays.stream(r.out().split("\n")).filter(l -> l.contains(part)).toList();
    }

    static void mkdir(Path d, String mode) throws Exception {
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(mode));
    }

    @Test
    void aStrayPrivateTreeIsOneLineExit15AndRepairRemovesItWhenEmpty() throws Exception {
        mkdir(inst.privateRoot(), "rwx------");
        mkdir(inst.privateDir("gone"), "rwxr-xr-x");
        Cmd.Result r = Rig.vsysAt(inst, "check");
        assertEquals(15, r.exit(), r.toString());
        List<String> l = lines(r, "gone");
        assertEquals(List.of("gone: restricted tree " + inst.privateDir("gone") + " belongs to no record (empty)"), l, r.out());
        assertTrue(r.err().startsWith("vsys: check: "), r.err());
        assertEquals(1, r.err().strip().split("\n").length, r.err());

        Cmd.Result fix = Rig.vsysAt(inst, "check", "--repair");
        assertTrue(fix.out().contains("belongs to no record (empty); repaired: removed"), fix.out());
        assertFalse(Files.exists(inst.privateDir("gone"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(13, fix.exit(), "only the missing launcher is left: " + fix);
    }

    @Test
    void aNonEmptyStrayIsLeftForTheAdmin() throws Exception {
        mkdir(inst.privateRoot(), "rwx------");
        mkdir(inst.privateDir("full"), "rwxr-xr-x");
        Files.writeString(inst.privateDir("full").resolve("f"), "x");
        Cmd.Result fix = Rig.vsysAt(inst, "check", "--repair");
        assertEquals(15, fix.exit(), fix.toString());
        assertEquals(1, lines(fix, "full: restricted tree").size(), fix.out());
        assertTrue(fix.out().contains("(not empty: left for the admin)"), fix.out());
        assertTrue(Files.exists(inst.privateDir("full").resolve("f")));
    }

    @Test
    void aReadablePrivateDirectoryIsUnsafeAndRepaired() throws Exception {
        restricted("sec");
        mkdir(inst.privateRoot(), "rwxr-xr-x");
        mkdir(inst.privateDir("sec"), "rwxr-xr-x");
        Cmd.Result r = Rig.vsysAt(inst, "check");
        assertEquals(15, r.exit(), r.toString());
        assertEquals(List.of(inst.privateRoot() + ": must be owned by root with mode 700 (is uid 0, mode 755): "
                + "the restricted systems' trees are not out of reach"), lines(r, inst.privateRoot() + ":"), r.out());

        Cmd.Result fix = Rig.vsysAt(inst, "check", "--repair");
        assertTrue(fix.out().contains("repaired: made root's, mode 0700"), fix.out());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(inst.privateRoot())));
        assertEquals(13, fix.exit(), "what is left is not a restricted tree's problem: " + fix);
    }

    @Test
    void aRestrictedRecordWithoutItsTreeIsOneLine() throws Exception {
        restricted("sec");
        Cmd.Result r = Rig.vsysAt(inst, "check");
        assertEquals(15, r.exit(), r.toString());
        List<String> l = lines(r, "sec:");
        assertEquals(List.of("sec: restricted (users=/groups=), but its tree " + inst.privateDir("sec")
                + " is missing (run vsys restore)"), l, r.out());
    }

    @Test
    void aRestrictedSystemsVarDirectoryMustBe0700() throws Exception {
        restricted("sec");
        mkdir(inst.privateRoot(), "rwx------");
        mkdir(inst.privateDir("sec"), "rwxr-xr-x");
        Path var = inst.root().resolve(".var").resolve("sec");
        mkdir(var, "rwxr-xr-x");
        Cmd.Result r = Rig.vsysAt(inst, "check");
        assertEquals(15, r.exit(), r.toString());
        assertEquals(1, lines(r, var + " (its /var/tmp's parent) must be owned by root with mode 700").size(), r.out());
        Rig.vsysAt(inst, "check", "--repair");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(var)));
    }
}
