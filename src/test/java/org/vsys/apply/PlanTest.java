package org.vsys.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

/** The plan of every kind of change, against records in a private root (nothing mounted: no root needed). */
class PlanTest {
    @TempDir
    Path tmp;
    Path decl;
    Path srcA;
    Path srcB;
    Installation inst;
    Records records;

    @BeforeEach
    void setUp() throws Exception {
        decl = Files.createDirectory(tmp.resolve("systems.d"));
        srcA = Files.createDirectories(tmp.resolve("trees/a"));
        srcB = Files.createDirectories(tmp.resolve("trees/b"));
        inst = new Installation(tmp.resolve("OS"), tmp.resolve("libexec"), () -> 0);
        records = new Records(inst);
        records.ensureLayout();
    }

    String here() {
        return SystemRecord.declaredIn(decl.toString());
    }

    void declare(String name, String text) throws Exception {
        Files.writeString(decl.resolve(name + ".conf"), text);
    }

    SystemRecord record(String name, Path src, String users, String origin) throws Exception {
        SystemRecord r = new SystemRecord(name, SystemRecord.State.READY, SystemRecord.now(),
                List.of(new FsEntry("/", SourceUrl.parse("dir:" + src), List.of("ro"))), false, users, "", false,
                SystemRecord.DEFAULT_HOSTFILES, null, origin);
        records.write(r);
        return r;
    }

    Plan plan() throws Exception {
        return Plan.compute(inst, Declarations.read(decl), Debug.off());
    }

    static List<String> steps(Plan p) {
        List<String> out = new ArrayList<>();
        for (Plan.Step s : p.steps()) {
            out.add(s.kind().word() + " " + s.name() + (s.recreate() ? " (recreate)" : ""));
        }
        return out;
    }

    Plan.Step step(Plan p, String name) {
        return p.steps().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void onDemandIsServedLeftChangedAndUnserved() throws Exception {
        declare("od", "source=dir:" + srcA + "\nmode=on-demand\n");
        record("was", srcA, "", here());
        declare("was", "source=dir:" + srcA + "\nmode=on-demand\n");
        record("hand", srcA, "", null);
        declare("hand", "source=dir:" + srcA + "\nmode=on-demand\n");
        Plan p = plan();
        assertEquals(List.of("conflict hand", "serve od", "remove was", "serve was"), steps(p));
        assertEquals("-fstype=bind,ro,nosuid,nodev :" + srcA, step(p, "od").system());
        OnDemand.serve(inst, "od", here(), "dir:" + srcA, step(p, "od").system(),
                OnDemand.record(Declaration.read(decl.resolve("od.conf")), here()), false, null);
        OnDemand.serve(inst, "other", "declared:/elsewhere", "dir:/x", "-fstype=bind,ro :/x",
                "version=1\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), false, null);
        assertEquals("leave od", steps(plan()).get(1));
        // a change the launcher alone reads (hostfiles=) rewrites the on-demand record
        declare("od", "source=dir:" + srcA + "\nmode=on-demand\nhostfiles=passwd\n");
        Plan.Step changed = plan().steps().stream().filter(s -> s.name().equals("od")).findFirst().orElseThrow();
        assertEquals("serve od", changed.kind().name().toLowerCase() + " od");
        assertTrue(changed.detail().startsWith("on demand, record changed: "), changed.detail());
        // users= also moves it to R/.private/.auto: its entry changes
        declare("od", "source=dir:" + srcA + "\nmode=on-demand\nusers=alice\n");
        changed = plan().steps().stream().filter(s -> s.name().equals("od")).findFirst().orElseThrow();
        assertTrue(changed.detail().startsWith("on demand, entry changed: "), changed.detail());
        Files.delete(inst.etc().resolve("ondemand/od"));
        declare("od", "source=dir:" + srcA + "\nmode=on-demand\n");
        assertEquals("serve od", steps(plan()).get(1), "an entry without its record is served again");
        declare("od", "source=dir:" + srcB + "\nmode=on-demand\n");
        assertEquals("serve od", steps(plan()).get(1));
        Files.delete(decl.resolve("od.conf"));
        List<String> after = steps(plan());
        assertTrue(after.contains("unserve od"), after.toString());
        assertFalse(after.contains("unserve other"), after.toString());
        assertTrue(Files.readString(inst.etc().resolve("auto.vsys")).contains(inst.root() + "/.auto program:"));
        assertTrue(Files.readString(inst.etc().resolve("auto.vsys")).contains(" --timeout=300 --negative-timeout=5\n"),
                "a removed entry is forgotten by the daemon's map cache within 5 s");
    }

    @Test
    void onDemandAliasesAreMadeAndRemoved() throws Exception {
        declare("od", "source=dir:" + srcA + "\nmode=on-demand\naliases=od2\n");
        Plan p = plan();
        assertEquals(List.of("serve od", "alias od2"), steps(p));
        assertEquals("od", step(p, "od2").system());
    }

    @Test
    void createWhatIsMissing() throws Exception {
        declare("web", "source=dir:" + srcA + "\naliases=www\n");
        Plan p = plan();
        assertEquals(List.of("create web", "alias www"), steps(p));
        SystemRecord d = step(p, "web").desired();
        assertEquals(here(), d.origin());
        assertEquals("dir:" + srcA, d.root().source().toString());
        assertEquals(List.of("ro"), d.root().options());
    }

    @Test
    void optionChangeAndSourceChangeRecreateAccessChangeRewrites() throws Exception {
        record("opt", srcA, "", here());
        record("src", srcA, "", here());
        record("acc", srcA, "", here());
        declare("opt", "source=dir:" + srcA + "\noptions=rw\n");
        declare("src", "source=dir:" + srcB + "\n");
        declare("acc", "source=dir:" + srcA + "\nusers=root\n");
        Plan p = plan();
        assertEquals(List.of("change acc", "change opt (recreate)", "change src (recreate)"), steps(p));
        assertEquals("options of /: ro -> rw (taken down and created again)", step(p, "opt").detail());
        assertEquals("source of /: dir:" + srcA + " -> dir:" + srcB + " (taken down and created again)", step(p, "src").detail());
        assertEquals("users: '' -> 'root'", step(p, "acc").detail());
    }

    @Test
    void declaredAndWholeIsLeftButUnmountedIsRemounted() throws Exception {
        record("web", srcA, "", here());
        declare("web", "source=dir:" + srcA + "\n");
        Plan p = plan();
        // nothing is mounted in the private root: the record is right, the mounts are not
        assertEquals(List.of("remount web"), steps(p));
        assertEquals("not mounted: /", step(p, "web").detail());
        assertTrue(!p.nothingToDo());
    }

    @Test
    void removedWhenNoLongerDeclaredButHandMadeLeftAlone() throws Exception {
        record("old", srcA, "", here());
        record("hand", srcA, "", null);
        Plan p = plan();
        assertEquals(List.of("remove old"), steps(p));
    }

    @Test
    void systemsDeclaredInAnotherDirectoryAreNotRemoved() throws Exception {
        record("elsewhere", srcA, "", SystemRecord.declaredIn("/etc/vsys/systems.d"));
        records.write(new AliasRecord("elsewhere-alias", "elsewhere", SystemRecord.declaredIn("/etc/vsys/systems.d")));
        assertEquals(List.of(), steps(plan()));
        declare("elsewhere", "source=dir:" + srcA + "\n");
        Plan p = plan();
        assertEquals(List.of("change elsewhere"), steps(p), "taken over by the directory that declares it now");
        assertEquals("origin: declared:/etc/vsys/systems.d -> declared:" + decl, step(p, "elsewhere").detail());
    }

    @Test
    void aHandMadeSystemThatIsDeclaredIsTakenOver() throws Exception {
        record("hand", srcA, "", null);
        declare("hand", "source=dir:" + srcA + "\n");
        Plan p = plan();
        assertEquals(List.of("change hand"), steps(p));
        assertEquals("made by hand: now declared (origin=declared:" + decl + ")", step(p, "hand").detail());
    }

    @Test
    void aBadDeclarationKeepsItsSystem() throws Exception {
        record("web", srcA, "", here());
        declare("web", "source=dir:" + srcA + "\nbogus=1\n");
        declare("db", "source=dir:" + tmp.resolve("nonexistent") + "\n");
        Plan p = plan();
        assertEquals(List.of(), steps(p), "neither removed nor created");
        assertEquals(2, p.problems().size(), p.problems().toString());
        assertTrue(p.problems().get(0).startsWith(decl.resolve("web.conf") + ":2: unknown key"), p.problems().toString());
        assertTrue(p.problems().get(1).startsWith(decl.resolve("db.conf") + ":1: dir:"), p.problems().toString());
    }

    @Test
    void aliasesAddedAndRemovedHandMadeAliasesKept() throws Exception {
        record("web", srcA, "", here());
        records.write(new AliasRecord("old-alias", "web", here()));
        records.write(new AliasRecord("hand-alias", "web"));
        declare("web", "source=dir:" + srcA + "\naliases=new-alias\n");
        Plan p = plan();
        assertEquals(List.of("remount web", "alias new-alias", "unalias old-alias"), steps(p));
    }

    @Test
    void aDeclaredNameTakenByAnAliasIsAConflict() throws Exception {
        record("web", srcA, "", null);
        records.write(new AliasRecord("db", "web"));
        declare("db", "source=dir:" + srcA + "\n");
        Plan p = plan();
        assertEquals(List.of("conflict db"), steps(p));
    }
}
