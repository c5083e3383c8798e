package org.vsys.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.cli.Main;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.base.Debug;
import org.vsys.config.Installation;
import org.vsys.core.Records;
import org.vsys.core.Recovery;

/**
 * Recovery of what a killed vsys left, on a scratch root without mounts (no root needed): an
 * interrupted create is undone, an interrupted destroy completed, alias links made, links without
 * records and temporary files removed; and the command-line rules of restore and check.
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

    record Out(int code, String out, String err) {
    }

    Out run(Installation i, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(i, new PrintWriter(o, true), new PrintWriter(e, true), args);
        return new Out(code, o.toString(), e.toString());
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
            Out r = run(user, a);
            assertEquals(6, r.code(), r.err());
            assertEquals(1, r.err().strip().split("\n").length, r.err());
            assertTrue(r.err().startsWith("vsys: " + a[0] + ": must be run as root"), r.err());
        }
    }

    @Test
    void checkReportsAMissingLauncherAndHelper() throws Exception {
        Out r = run(inst, "check");
        assertEquals(13, r.code(), r.err());
        assertTrue(r.out().contains("the launcher is not installed"), r.out());
        assertTrue(r.out().contains("the view helper is missing"), r.out());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        Out h = run(inst, "check", "--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("--repair"));
        Out rh = run(inst, "restore", "--help");
        assertTrue(rh.out().contains("--timeout"));
    }
}
