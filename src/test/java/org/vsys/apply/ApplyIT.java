package org.vsys.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
import org.junit.jupiter.params.provider.ValueSource;
import org.vsys.testing.Cmd;
import org.vsys.testing.Rig;

/**
 * {@code vsys apply} against the private root of the reliability suite, with real mounts and
 * views: every kind of change, a busy system left, hand-made systems left alone, kill -9 at each
 * step followed by a converging apply, and two applies at once.
 */
@Tag("root")
class ApplyIT {
    static Path treeA;
    static Path treeB;
    static Map<Path, String> before;
    Path decl;

    @BeforeAll
    static void setUp() throws Exception {
        Rig.setUp();
        treeA = Rig.tree("applyA");
        treeB = Rig.tree("applyB");
        before = Rig.hashes(List.of(treeA, treeB));
    }

    @BeforeEach
    void dir() throws Exception {
        decl = Files.createTempDirectory("vsys-apply-decl-");
    }

    @AfterEach
    void each() throws Exception {
        // entries of on-demand systems a failed test left (never one that autofs has mounted)
        Path automap = Rig.R.resolve("etc/automap");
        if (Files.isDirectory(automap)) {
            for (File f : automap.toFile().listFiles()) {
                if (f.getName().startsWith("ap-") && !isMounted(Rig.R.resolve(".auto/" + f.getName()))) {
                    Files.delete(f.toPath());
                }
            }
        }
        for (String d : List.of("etc/ondemand", ".var")) {
            File[] left = Rig.R.resolve(d).toFile().listFiles();
            for (File f : left == null ? new File[0] : left) {
                if (f.getName().startsWith("ap-") && !Files.exists(automap.resolve(f.getName()))) {
                    Cmd.of("rm", "-rf", "--one-file-system", f.getPath()).run();
                }
            }
        }
        Rig.cleanAll();
        // this test's stamp of apply's quick check (one per declarations directory)
        Files.deleteIfExists(Stamp.file(Rig.inst, decl));
        Rig.assertConsistent("after cleanup");
        assertEquals(before, Rig.hashes(List.of(treeA, treeB)), "the trees are byte for byte what they were");
        for (File f : decl.toFile().listFiles()) {
            Files.delete(f.toPath());
        }
        Files.delete(decl);
    }

    @AfterAll
    static void tearDown() {
        if (Rig.inst == null) {
            return;
        }
        Rig.removeTree(treeA);
        Rig.removeTree(treeB);
    }

    void declare(String name, String text) throws Exception {
        Files.writeString(decl.resolve(name + ".conf"), text);
    }

    Cmd.Result apply(String... more) {
        String[] args = new String[2 + more.length + 1];
        args[0] = "apply";
        args[1] = "--dir";
        args[2] = decl.toString();
        System.arraycopy(more, 0, args, 3, more.length);
        return Rig.vsys(args);
    }

    /** An apply of the declarations paused at {@code step} and killed there (kill -9). */
    void killedAt(String step) throws Exception {
        Path d = Files.createTempDirectory("vsys-apply-kill-");
        Process p = Rig.pauseAt(step, d, "apply", "--dir", decl.toString());
        Rig.kill9(p);
        Files.deleteIfExists(d.resolve("out"));
        Files.deleteIfExists(d.resolve("err"));
        Files.delete(d);
    }

    Cmd.Result applyOk() {
        Cmd.Result r = apply();
        assertEquals(0, r.exit(), r.toString());
        return r;
    }

    static String launch(String name, String... cmd) {
        String[] argv = new String[cmd.length + 1];
        argv[0] = Rig.R.resolve("bin").resolve(name).toString();
        System.arraycopy(cmd, 0, argv, 1, cmd.length);
        Cmd.Result r = Cmd.of(argv).dir(Path.of("/")).timeoutSeconds(60).mergeErr().run();
        return r.exit() + " " + r.out().strip();
    }

    static String osRelease(String name) {
        return launch(name, "cat", "/etc/os-release");
    }

    void threeSystems() throws Exception {
        declare("ap-a", "source=dir:" + treeA + "\naliases=ap-a1\n");
        declare("ap-b", "source=dir:" + treeB + "\nusers=root\n");
        declare("ap-c", "source=dir:" + treeA + "\nmount=/opt dir:" + treeB.resolve("data") + " ro\n");
    }

    @Test
    void fromNothingThenNothingToDo() throws Exception {
        threeSystems();
        Cmd.Result dry = apply("--dry-run");
        assertEquals(0, dry.exit(), dry.toString());
        assertTrue(dry.out().contains("create   ap-a: / <- dir:" + treeA + " [planned]"), dry.out());
        assertTrue(new org.vsys.core.Records(Rig.inst).systemNames().isEmpty(), "a dry run changes nothing");
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("apply: 3 create, 1 alias"), r.out());
        Rig.assertConsistent("after apply");
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-a"));
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-a1"));
        assertEquals("0 ID=vsys-rel-applyB", osRelease("ap-b"));
        assertEquals("0 alpha applyB", launch("ap-c", "cat", "/opt/a.txt"));
        assertTrue(Files.readString(Rig.R.resolve("etc/systems/ap-b")).contains("\norigin=declared:" + decl + "\n"));
        assertTrue(Files.readString(Rig.R.resolve("etc/aliases/ap-a1")).contains("\norigin=declared:" + decl + "\n"));
        Cmd.Result again = applyOk();
        assertEquals("apply: nothing to do (3 systems as declared)\n", again.out());
        Cmd.Result json = apply("--json");
        assertTrue(json.out().contains("\"nothing_to_do\": true"), json.out());
    }

    @Test
    void onDemandIsServedToAutofsNotMounted() throws Exception {
        declare("ap-od", "source=dir:" + treeA + "\nmode=on-demand\n");
        declare("ap-e", "source=dir:" + treeB + "\n");
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("serve    ap-od: on demand (autofs): -fstype=bind,ro,nosuid,nodev :" + treeA), r.out());
        Path entry = Rig.R.resolve("etc/automap/ap-od");
        assertEquals("# origin=declared:" + decl + "\n# source=dir:" + treeA + "\n-fstype=bind,ro,nosuid,nodev :" + treeA + "\n",
                Files.readString(entry));
        assertFalse(Files.exists(Rig.R.resolve("etc/systems/ap-od")), "no record: nothing of it is mounted or prepared");
        assertEquals("bin", Files.readSymbolicLink(Rig.R.resolve("bin/ap-od")).toString(),
                "the launcher link: the launcher enters it through the automounter");
        assertTrue(Files.readString(Path.of("/proc/self/mountinfo")).lines().noneMatch(l -> l.contains("/ap-od ")),
                "nothing mounted for the on-demand system");
        assertTrue(Files.readString(Rig.R.resolve("etc/auto.vsys")).contains(Rig.R.resolve(".auto") + " program:"));
        assertEquals("apply: nothing to do (2 systems as declared)\n", applyOk().out());
        declare("ap-e", "source=dir:" + treeB + "\nmode=on-demand\n");
        r = applyOk();
        assertTrue(r.out().contains("remove   ap-e") && r.out().contains("serve    ap-e"), r.out());
        assertFalse(Files.exists(Rig.R.resolve("etc/systems/ap-e")), "the eager system is taken down");
        Files.delete(decl.resolve("ap-od.conf"));
        Files.delete(decl.resolve("ap-e.conf"));
        r = applyOk();
        assertTrue(r.out().contains("unserve  ap-od"), r.out());
        assertFalse(Files.exists(entry), "the entry goes with its declaration");
        assertFalse(Files.exists(Rig.R.resolve("bin/ap-od"), LinkOption.NOFOLLOW_LINKS), "and its launcher link");
    }

    /**
     * The on-demand record (R/etc/ondemand/NAME) of a restricted on-demand declaration: written by
     * serve (root's, 0644) with R/.var/NAME 0700 and its tmp 1777; the launcher refuses a user not
     * in users= before any lookup under R/.auto; a change of users= rewrites it; one changed by hand
     * is seen by the quick check and written again; vsys check reports a group-writable one;
     * unserve removes it.
     */
    @Test
    void onDemandRecordIsServedChangedCheckedAndRemoved() throws Exception {
        declare("ap-or", "source=dir:" + treeA + "\nmode=on-demand\nusers=daemon\nhostfiles=passwd\nbind=/srv/ap-or\n");
        applyOk();
        Path rec = Rig.R.resolve("etc/ondemand/ap-or");
        String t = Files.readString(rec);
        assertTrue(t.contains("\nstate=ready\n") && t.contains("\nusers=daemon\n") && t.contains("\nhostfiles=passwd\n")
                && t.contains("\nbind=/srv/ap-or\n") && t.contains("\norigin=declared:" + decl + "\n"), t);
        assertEquals(0, (int) Files.getAttribute(rec, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(0644, (int) Files.getAttribute(rec, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        assertTrue(Files.readString(Rig.R.resolve("etc/automap/ap-or")).contains("\n# access=restricted\n"),
                "served at R/.private/.auto, not at R/.auto");
        assertTrue(Files.readString(Rig.R.resolve("etc/auto.vsys")).contains("\n" + Rig.R.resolve(".private/.auto") + " program:")
                && Files.readString(Rig.R.resolve("etc/auto.vsys")).contains(" -DVSYS_AUTOMAP=restricted\n"));
        assertEquals(0700, (int) Files.getAttribute(Rig.R.resolve(".private"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        Path var = Rig.R.resolve(".var/ap-or");
        assertEquals(0700, (int) Files.getAttribute(var, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        assertEquals(01777, (int) Files.getAttribute(var.resolve("tmp"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        String refused = launch("ap-or", "true");
        assertEquals("125 vsys: ap-or: permission denied for user root", refused, "refused before any lookup under R/.auto");
        Thread.sleep(1100);
        assertEquals("apply: nothing to do (1 system as declared)\n", applyOk().out());
        declare("ap-or", "source=dir:" + treeA + "\nmode=on-demand\nusers=root\nhostfiles=passwd\nbind=/srv/ap-or\n");
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("serve    ap-or: on demand, record changed: "), r.out());
        assertTrue(Files.readString(rec).contains("\nusers=root\n"));
        assertTrue(launch("ap-or", "true").startsWith("125 vsys: ap-or: on demand, but no automounter serves "),
                "a listed user gets as far as the trigger (no autofs on this host)");
        Thread.sleep(1100);
        applyOk();
        Thread.sleep(1100);
        assertEquals("apply: nothing to do (1 system as declared)\n", applyOk().out());
        // changed by hand: the quick check sees it, the plan writes it again
        Files.writeString(rec, Files.readString(rec).replace("users=root", "users=root,daemon"));
        r = applyOk();
        assertTrue(r.out().contains("serve    ap-or: on demand, record changed: "), r.out());
        assertTrue(Files.readString(rec).contains("\nusers=root\n"));
        // group-writable: the launcher refuses it, vsys check says so, apply writes it again
        Files.setAttribute(rec, "unix:mode", 0664, LinkOption.NOFOLLOW_LINKS);
        assertTrue(launch("ap-or", "true").startsWith("125 vsys: " + rec + ": "), launch("ap-or", "true"));
        Cmd.Result c = Rig.vsys("check");
        assertEquals(13, c.exit(), c.toString());
        assertTrue(c.out().contains("ap-or: on demand, but " + rec + " is not root's or is writable by group or others"), c.out());
        r = applyOk();
        assertTrue(r.out().contains("serve    ap-or: on demand, record changed: "), r.out());
        assertEquals(0644, (int) Files.getAttribute(rec, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        // mounted at R/.private/.auto/ap-or (a bind stands in for the automounter's mount); users=
        // cleared: the system is open now, served at R/.auto, and apply unmounts it at the old place
        Path pmp = Rig.R.resolve(".private/.auto/ap-or");
        Files.createDirectories(pmp);
        assertEquals(0, Cmd.of("mount", "--bind", "-o", "ro", treeA.toString(), pmp.toString()).mergeErr().run().exit());
        try {
            Cmd.Result st = Rig.vsysOk("status", "ap-or");
            assertTrue(st.out().startsWith("ap-or: on demand, mounted, healthy\n"), st.out());
            declare("ap-or", "source=dir:" + treeA + "\nmode=on-demand\nhostfiles=passwd\nbind=/srv/ap-or\n");
            r = applyOk();
            assertTrue(r.out().contains("serve    ap-or: on demand, entry changed: "), r.out());
            assertFalse(isMounted(pmp), "unmounted where it was (R/.private/.auto)");
            assertFalse(Files.readString(Rig.R.resolve("etc/automap/ap-or")).contains("# access="));
            assertTrue(Files.readString(rec).contains("\nusers=\n"));
        } finally {
            if (isMounted(pmp)) {
                Cmd.of("umount", "-l", pmp.toString()).mergeErr().run();
            }
            Files.deleteIfExists(pmp);
        }
        Files.delete(decl.resolve("ap-or.conf"));
        r = applyOk();
        assertTrue(r.out().contains("unserve  ap-or"), r.out());
        assertFalse(Files.exists(rec), "the record goes with the entry");
        assertFalse(Files.exists(var), "and its empty R/.var/NAME");
        // a record without its entry (a serve killed between the two writes): recovery removes it
        Files.writeString(rec, "version=1\nname=ap-or\nstate=ready\n");
        Files.setAttribute(rec, "unix:mode", 0644, LinkOption.NOFOLLOW_LINKS);
        Cmd.Result c2 = Rig.vsys("check");
        assertTrue(c2.out().contains("ap-or: on-demand record " + rec + " without its autofs entry"), c2.out());
        r = applyOk();
        assertFalse(Files.exists(rec), "removed by the recovery of the next apply: " + r.out());
    }

    static boolean isMounted(Path p) {
        return org.vsys.mount.MountTable.read().isMountPoint(p.toString());
    }

    /**
     * With autofs in the path (simulated on this host, whose kernel has no autofs: a bind at
     * R/.auto/NAME, what the automounter mounts there): list and status say "on demand", an
     * alias of it too; removal of a busy one is left (exit 11, entry kept, still mounted), of an
     * idle one unmounts it and removes the entry and the alias; vsys -d does the same.
     */
    @Test
    void onDemandListStatusAndSafeRemoval() throws Exception {
        declare("ap-od", "source=dir:" + treeA + "\nmode=on-demand\naliases=ap-oda\n");
        declare("ap-od2", "source=dir:" + treeB + "\nmode=on-demand\n");
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("alias    ap-oda: -> ap-od [done]"), r.out());
        Cmd.Result l = Rig.vsysOk("list");
        assertTrue(l.out().lines().anyMatch(x -> x.matches("ap-od +system +dir:" + treeA + " +on demand, not mounted")), l.out());
        assertTrue(l.out().lines().anyMatch(x -> x.matches("ap-oda +alias +dir:" + treeA
                + " +on demand, not mounted \\(alias of ap-od\\)")), l.out());
        Cmd.Result st = Rig.vsys("status");
        assertEquals(0, st.exit(), st.toString());
        assertTrue(st.out().contains("ap-od: on demand, not mounted, healthy\n"), st.out());
        Cmd.Result js = Rig.vsysOk("status", "--json", "ap-oda");
        assertTrue(js.out().contains("\"name\": \"ap-od\", \"state\": \"on demand, not mounted\", \"healthy\": true, "
                + "\"on_demand\": true, \"problem\": null"), js.out());
        Path mp = Rig.R.resolve(".auto/ap-od");
        Files.createDirectories(mp);
        assertEquals(0, Cmd.of("mount", "--bind", "-o", "ro", treeA.toString(), mp.toString()).mergeErr().run().exit());
        try {
            st = Rig.vsysOk("status", "ap-od");
            assertTrue(st.out().startsWith("ap-od: on demand, mounted, healthy\n"), st.out());
            assertTrue(st.out().contains(" mounted      responsive"), st.out());
            Process p = Cmd.of("sleep", "60").dir(mp.resolve("etc")).start();
            try {
                Thread.sleep(300);
                Files.delete(decl.resolve("ap-od.conf"));
                r = apply();
                assertEquals(11, r.exit(), r.toString());
                assertTrue(r.out().contains("unserve  ap-od: no longer declared in " + decl
                        + " (mounted by autofs: unmounted unless in use) [left (busy): mounted by autofs and in use: pid " + p.pid()), r.out());
                assertTrue(Files.exists(Rig.R.resolve("etc/automap/ap-od")), "the entry is kept");
                assertTrue(isMounted(mp), "still mounted");
                assertTrue(Files.exists(Rig.R.resolve("etc/aliases/ap-oda")), "the alias is kept");
                Cmd.Result d = Rig.vsys("-d", "ap-od");
                assertEquals(11, d.exit(), d.toString());
                assertTrue(Files.exists(Rig.R.resolve("etc/automap/ap-od")) && isMounted(mp), "vsys -d leaves it too");
            } finally {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            Thread.sleep(200);
            r = applyOk();
            assertTrue(r.out().contains("unserve  ap-od: ") && r.out().contains("[done]"), r.out());
            assertFalse(isMounted(mp), "unmounted by apply at once");
            assertFalse(Files.exists(Rig.R.resolve("etc/automap/ap-od")), "the entry is gone");
            assertFalse(Files.exists(Rig.R.resolve("etc/aliases/ap-oda")), "and its alias");
            assertFalse(Files.exists(Rig.R.resolve("bin/ap-oda"), LinkOption.NOFOLLOW_LINKS), "and the alias's link");
        } finally {
            if (isMounted(mp)) {
                Cmd.of("umount", "-l", mp.toString()).mergeErr().run();
            }
        }
        // vsys -d of one not mounted: the entry goes, nothing under R/.auto is looked up
        Rig.vsysOk("-d", "ap-od2");
        assertFalse(Files.exists(Rig.R.resolve("etc/automap/ap-od2")));
        Cmd.Result gone = Rig.vsys("status", "ap-od2");
        assertEquals(5, gone.exit(), gone.toString());
        Files.delete(decl.resolve("ap-od2.conf"));
    }

    /**
     * The quick check of an apply with nothing to do (apply/Stamp): after a full apply that found
     * everything as declared, the next one says so from metadata alone; a mount gone, a link gone,
     * a declaration changed or a record made by hand each make it plan in full again.
     */
    @Test
    void quickCheckOfNothingToDoSeesEveryChange() throws Exception {
        declare("ap-q1", "source=dir:" + treeA + "\n");
        declare("ap-q2", "source=dir:" + treeB + "\nmount=/opt dir:" + treeA + " ro\n");
        applyOk();
        Thread.sleep(1100); // the records are older than the racy second now
        assertEquals("apply: nothing to do (2 systems as declared)\n", applyOk().out());
        Cmd.Result q = Rig.vsys("--debug", "apply", "--dir", decl.toString());
        assertEquals(0, q.exit(), q.toString());
        assertTrue(q.err().contains("apply: quick check found nothing changed"), q.err());
        assertEquals("apply: nothing to do (2 systems as declared)\n", q.out());
        // a filesystem unmounted behind vsys's back: planned, remounted
        Path opt = Rig.R.resolve("ap-q2/opt");
        assertEquals(0, Cmd.of("umount", opt.toString()).mergeErr().run().exit());
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("remount  ap-q2: not mounted: /opt [done]"), r.out());
        assertTrue(isMounted(opt));
        Thread.sleep(1100);
        applyOk();
        // the launcher link removed
        Files.delete(Rig.R.resolve("bin/ap-q1"));
        r = applyOk();
        assertTrue(r.out().contains("remount  ap-q1: launcher link"), r.out());
        Thread.sleep(1100);
        applyOk();
        assertTrue(Rig.vsys("--debug", "apply", "--dir", decl.toString()).err().contains("found nothing changed"));
        // a declaration changed (same size, new content): a change
        declare("ap-q1", "source=dir:" + treeB + "\n");
        r = applyOk();
        assertTrue(r.out().contains("change   ap-q1: source of /"), r.out());
        Thread.sleep(1100);
        applyOk();
        // a system made by hand is not this directory's: the quick check still holds
        Rig.vsysOk("create", "ap-qhand", "dir:" + treeA);
        q = Rig.vsys("--debug", "apply", "--dir", decl.toString());
        assertTrue(q.err().contains("quick check found nothing changed"), q.err());
        // a declared system destroyed by hand: planned in full, created again
        Rig.vsysOk("destroy", "ap-q2");
        q = Rig.vsys("--debug", "apply", "--dir", decl.toString());
        assertEquals(0, q.exit(), q.toString());
        assertTrue(q.err().contains("quick check says: plan"), q.err());
        assertTrue(q.out().contains("create   ap-q2: "), q.out());
    }

    @Test
    void everyKindOfChange() throws Exception {
        threeSystems();
        applyOk();
        Rig.vsysOk("create", "ap-hand", "dir:" + treeB);
        // option change (ro -> rw of /opt), source change, access change, alias removed and added,
        // one system no longer declared
        declare("ap-a", "source=dir:" + treeB + "\naliases=ap-a2\n");
        declare("ap-b", "source=dir:" + treeB + "\nusers=root,nobody\n");
        declare("ap-c", "source=dir:" + treeA + "\nmount=/opt dir:" + treeB.resolve("data") + " rw\n");
        Files.delete(decl.resolve("ap-b.conf"));
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("change   ap-a: source of /: dir:" + treeA + " -> dir:" + treeB), r.out());
        assertTrue(r.out().contains("change   ap-c: options of /opt: ro -> rw"), r.out());
        assertTrue(r.out().contains("remove   ap-b: no longer declared"), r.out());
        assertTrue(r.out().contains("alias    ap-a2: -> ap-a [done]"), r.out());
        Rig.assertConsistent("after the changes");
        assertEquals("0 ID=vsys-rel-applyB", osRelease("ap-a"));
        assertEquals("0 ID=vsys-rel-applyB", osRelease("ap-a2"));
        assertFalse(Files.exists(Rig.R.resolve("etc/aliases/ap-a1")), "the alias no longer declared is gone");
        assertFalse(Files.exists(Rig.R.resolve("etc/systems/ap-b")), "the system no longer declared is gone");
        assertEquals("0 ", launch("ap-c", "touch", "/opt/written").substring(0, 2));
        Files.delete(treeB.resolve("data/written"));
        assertEquals("0 ID=vsys-rel-applyB", osRelease("ap-hand"), "the hand-made system is left alone");
        // an access change alone rewrites the record
        declare("ap-a", "source=dir:" + treeB + "\naliases=ap-a2\nusers=nobody\n");
        Cmd.Result acc = applyOk();
        assertTrue(acc.out().contains("change   ap-a: users: '' -> 'nobody' [done]"), acc.out());
        assertEquals("125", osRelease("ap-a").substring(0, 3), "root is no longer let in");
        assertEquals("apply: nothing to do (2 systems as declared)\n", applyOk().out());
    }

    @Test
    void aBusySystemIsLeftAndRemovedOnceIdle() throws Exception {
        declare("ap-busy", "source=dir:" + treeA + "\n");
        applyOk();
        Process p = Cmd.of(Rig.R.resolve("bin/ap-busy").toString(), "sleep", "60").dir(Path.of("/")).start();
        try {
            Thread.sleep(500);
            Files.delete(decl.resolve("ap-busy.conf"));
            Cmd.Result r = apply();
            assertEquals(11, r.exit(), r.toString());
            assertTrue(r.out().contains("remove   ap-busy: no longer declared in " + decl + " [left (busy): in use: pid"), r.out());
            assertTrue(r.err().contains("vsys: ap-busy: in use: pid " + p.pid()), r.err());
            assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-busy"), "still there and whole");
            // and a source change of a busy system also leaves it
            declare("ap-busy", "source=dir:" + treeB + "\n");
            Cmd.Result c = apply();
            assertEquals(11, c.exit(), c.toString());
            assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-busy"));
            Files.delete(decl.resolve("ap-busy.conf"));
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        Thread.sleep(200);
        Cmd.Result r = applyOk();
        assertTrue(r.out().contains("remove   ap-busy: no longer declared in " + decl + " [done]"), r.out());
        Rig.assertConsistent("after the removal");
    }

    @Test
    void aBadDeclarationChangesNothingForTheOthers() throws Exception {
        declare("ap-a", "source=dir:" + treeA + "\n");
        declare("ap-b", "source=dir:" + treeB + "\n");
        applyOk();
        declare("ap-a", "source=dir:" + treeA + "\nusers=root\n");
        declare("ap-b", "source=dir:" + treeB + "\nuser=root\n");
        declare("ap-z", "source=dir:/nonexistent/tree\n");
        Cmd.Result r = apply();
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("vsys: " + decl.resolve("ap-b.conf") + ":2: unknown key 'user'\n"), r.err());
        assertTrue(r.err().contains("vsys: " + decl.resolve("ap-z.conf") + ":1: dir:/nonexistent/tree: no such directory\n"), r.err());
        assertTrue(r.out().contains("change   ap-a: users: '' -> 'root' [done]"), r.out());
        assertEquals("0 ID=vsys-rel-applyB", osRelease("ap-b"), "the system of the bad file is left as it was");
        assertFalse(Files.exists(Rig.R.resolve("ap-z"), LinkOption.NOFOLLOW_LINKS));
        Rig.assertConsistent("after a bad declaration");
    }

    @ParameterizedTest
    @ValueSource(strings = {"apply.planned", "create.record", "create.dir", "create.mounted", "create.prepared",
            "create.linked", "apply.created", "alias.record", "apply.aliased", "destroy.marked", "destroy.released",
            "destroy.unmounted", "destroy.unlinked", "apply.removed", "apply.changed"})
    void killedAtEachStepThenConverges(String step) throws Exception {
        // a removal, a source change and two creates: every step named above is reached by one apply
        declare("ap-old", "source=dir:" + treeA + "\n");
        declare("ap-chg", "source=dir:" + treeA + "\n");
        applyOk();
        Files.delete(decl.resolve("ap-old.conf"));
        declare("ap-chg", "source=dir:" + treeB + "\n");
        declare("ap-n1", "source=dir:" + treeA + "\naliases=ap-n1a\n");
        declare("ap-n2", "source=dir:" + treeB + "\n");
        killedAt(step);
        Cmd.Result r = apply();
        assertEquals(0, r.exit(), "apply after kill -9 at " + step + ": " + r);
        Rig.assertConsistent("after kill -9 at " + step + " and apply");
        assertEquals("apply: nothing to do (3 systems as declared)\n", applyOk().out(), "converged after kill at " + step);
        assertEquals("0 ID=vsys-rel-applyB", osRelease("ap-chg"));
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-n1a"));
        assertFalse(Files.exists(Rig.R.resolve("etc/systems/ap-old")));
    }

    /** What a user outside users= gets from reading {@code path} (cat as uid 65534): "code output". */
    static String readAsNobody(Path path) {
        Cmd.Result r = Cmd.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", path.toString()).timeoutSeconds(30).mergeErr().run();
        return r.exit() + " " + r.out().strip();
    }

    @Test
    void usersMovesTheTreeOutOfReachAndBack() throws Exception {
        Path open = Rig.R.resolve("ap-r");
        Path priv = Rig.R.resolve(".private").resolve("ap-r");
        declare("ap-r", "source=dir:" + treeA + "\n");
        applyOk();
        assertEquals("0 ID=vsys-rel-applyA", readAsNobody(open.resolve("etc/os-release")), "an open system: R/NAME readable");
        assertFalse(Files.exists(priv, LinkOption.NOFOLLOW_LINKS));
        declare("ap-r", "source=dir:" + treeA + "\nusers=root\n");
        assertTrue(applyOk().out().contains("change   ap-r: users"));
        assertFalse(Files.exists(open, LinkOption.NOFOLLOW_LINKS), "a restricted system has no R/NAME");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(Rig.R.resolve(".private"), LinkOption.NOFOLLOW_LINKS)));
        assertTrue(readAsNobody(priv.resolve("etc/os-release")).matches("(?s)1 .*Permission denied.*"),
                "a user outside users= cannot read R/.private/NAME");
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-r"), "the listed user (root) still runs in it");
        Rig.assertConsistent("after restricting");
        assertEquals(0, Rig.vsys("refresh", "ap-r").exit(), "prepared again from R/.private/NAME");
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-r"));
        declare("ap-r", "source=dir:" + treeA + "\n");
        applyOk();
        assertFalse(Files.exists(priv, LinkOption.NOFOLLOW_LINKS), "open again: R/.private/NAME gone");
        assertEquals("0 ID=vsys-rel-applyA", readAsNobody(open.resolve("etc/os-release")));
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-r"));
        Rig.assertConsistent("after opening");
    }

    @ParameterizedTest
    @ValueSource(strings = {"apply.access", "place.dir", "place.bound", "place.detached"})
    void killedWhileMovingThenConverges(String step) throws Exception {
        declare("ap-m", "source=dir:" + treeA + "\n");
        applyOk();
        declare("ap-m", "source=dir:" + treeA + "\ngroups=root\n");
        killedAt(step);
        Cmd.Result r = apply();
        assertEquals(0, r.exit(), "apply after kill -9 at " + step + ": " + r);
        Rig.assertConsistent("after kill -9 at " + step + " and apply");
        assertFalse(Files.exists(Rig.R.resolve("ap-m"), LinkOption.NOFOLLOW_LINKS), "no R/NAME after kill at " + step);
        assertTrue(readAsNobody(Rig.R.resolve(".private/ap-m/etc/os-release")).startsWith("1 "));
        assertEquals("0 ID=vsys-rel-applyA", osRelease("ap-m"));
    }

    @Test
    void twoAppliesAtOnce() throws Exception {
        for (int i = 0; i < 6; i++) {
            declare("ap-c" + i, "source=dir:" + (i % 2 == 0 ? treeA : treeB) + "\n");
        }
        Path d = Files.createTempDirectory("vsys-apply-two-");
        Process one = Rig.start(Map.of(), d.resolve("o1"), d.resolve("e1"), "apply", "--dir", decl.toString());
        Process two = Rig.start(Map.of(), d.resolve("o2"), d.resolve("e2"), "apply", "--dir", decl.toString());
        assertTrue(one.waitFor(180, TimeUnit.SECONDS) && two.waitFor(180, TimeUnit.SECONDS));
        String o1 = Files.readString(d.resolve("o1")) + Files.readString(d.resolve("e1"));
        String o2 = Files.readString(d.resolve("o2")) + Files.readString(d.resolve("e2"));
        assertEquals(0, one.exitValue(), o1);
        assertEquals(0, two.exitValue(), o2);
        // the lock: one made the six systems, the other found nothing to do
        assertTrue((o1.contains("apply: 6 create") && o2.contains("apply: nothing to do (6 systems"))
                || (o2.contains("apply: 6 create") && o1.contains("apply: nothing to do (6 systems")), o1 + "\n----\n" + o2);
        for (String f : List.of("o1", "e1", "o2", "e2")) {
            Files.delete(d.resolve(f));
        }
        Files.delete(d);
        Rig.assertConsistent("after two applies at once");
    }
}
