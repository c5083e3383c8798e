package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vsys.testing.Rig;
import org.vsys.testing.Cmd;

/**
 * 100 operations from 10 parallel processes (create, alias, unalias, destroy, destroy --force,
 * restore, check --repair on overlapping names, local trees): every operation ends with an expected exit code (never 1, 13
 * or 14), and afterwards records, launcher links and the mount table agree.
 */
@Tag("root")
class ConcurrencyIT {
    static final int WORKERS = 10;
    static final int OPS = 10;
    static Rig.TwoTrees trees;
    static Path t1;
    static Path t2;

    @BeforeAll
    static void setUp() throws Exception {
        trees = Rig.setUpTwoTrees("conc");
        t1 = trees.first();
        t2 = trees.second();
    }

    @AfterAll
    static void tearDown() {
        Rig.tearDownTwoTrees(trees, "after ConcurrencyIT");
    }

    static final Map<String, Set<Integer>> ALLOWED = Map.of(
            "create", Set.of(0, 4),          // made, or the name is taken
            "alias", Set.of(0, 4, 5),        // made, taken, or no such system
            "unalias", Set.of(0, 5),
            "destroy", Set.of(0, 5),         // gone, or there was none
            "restore", Set.of(0),            // under the lock every system is whole
            "check", Set.of(0));             // and consistent

    @Test
    void hundredOperationsFromTenProcesses() throws Exception {
        Path dir = Files.createTempDirectory("vsys-conc-");
        List<Process> ps = new ArrayList<>();
        long seed = Long.getLong("vsys.concurrency.seed", System.nanoTime());
        System.err.println("ConcurrencyIT: seed " + seed);
        for (int w = 0; w < WORKERS; w++) {
            ps.add(Rig.javaCmd(Driver.class.getName(), Long.toString(seed + w), Integer.toString(OPS), t1.toString(), t2.toString())
                    .start(dir.resolve("w" + w + ".out"), dir.resolve("w" + w + ".err")));
        }
        TreeMap<String, Integer> codes = new TreeMap<>();
        List<String> bad = new ArrayList<>();
        int ops = 0;
        for (int w = 0; w < WORKERS; w++) {
            Process p = ps.get(w);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                ps.forEach(Process::destroyForcibly);
                throw new AssertionError("worker " + w + " did not finish in 300 s");
            }
            assertEquals(0, p.exitValue(), () -> "worker failed: " + read(dir.resolve("w0.err")));
            List<String> lines = Files.readAllLines(dir.resolve("w" + ps.indexOf(p) + ".out"));
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.startsWith(" ! ")) {
                    continue;
                }
                ops++;
                String[] f = l.split(" ");
                int code = Integer.parseInt(f[0]);
                codes.merge(f[1] + " " + code, 1, Integer::sum);
                if (!ALLOWED.get(f[1]).contains(code)) {
                    bad.add("worker " + w + ": " + l + (i + 1 < lines.size() && lines.get(i + 1).startsWith(" ! ") ? lines.get(i + 1) : ""));
                }
            }
        }
        System.err.println("ConcurrencyIT: " + ops + " operations: " + codes);
        assertEquals(WORKERS * OPS, ops);
        assertTrue(bad.isEmpty(), String.join("\n", bad));
        Rig.assertConsistent("after " + ops + " concurrent operations");
        Cmd.Result c = Rig.vsys("check");
        assertEquals(0, c.exit(), c.toString());
        for (String n : Rig.list(Rig.R.resolve("etc/systems"))) {
            Cmd.Result r = Cmd.of(Rig.R.resolve("bin").resolve(n).toString(), "cat", "/etc/os-release").dir(Path.of("/")).timeoutSeconds(60).mergeErr().run();
            assertEquals(0, r.exit(), n + ": " + r);
        }
        for (int w = 0; w < WORKERS; w++) {
            Files.deleteIfExists(dir.resolve("w" + w + ".out"));
            Files.deleteIfExists(dir.resolve("w" + w + ".err"));
        }
        Files.deleteIfExists(dir);
    }

    /**
     * The same, with three of the workers killed with SIGKILL at random moments: the next command
     * (here {@code check --repair}, as the admin would run it) leaves records, links and mounts in
     * agreement, and a second check finds nothing.
     */
    @Test
    void workersKilledAtRandomMomentsLeaveNothingTheNextCommandCannotMend() throws Exception {
        Path dir = Files.createTempDirectory("vsys-conc-kill-");
        long seed = System.nanoTime();
        java.util.Random rnd = new java.util.Random(seed);
        System.err.println("ConcurrencyIT (kills): seed " + seed);
        List<Process> ps = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            ps.add(Rig.javaCmd(Driver.class.getName(), Long.toString(seed + w), Integer.toString(OPS), t1.toString(), t2.toString())
                    .start());
        }
        int killed = 0;
        for (int k = 0; k < 3; k++) {
            Thread.sleep(1000 + rnd.nextInt(3000));
            Process victim = ps.get(rnd.nextInt(WORKERS));
            if (victim.isAlive()) {
                victim.destroyForcibly(); // SIGKILL to the JVM alone: helpers it started live on
                killed++;
            }
        }
        for (Process p : ps) {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                ps.forEach(Process::destroyForcibly);
                throw new AssertionError("a worker did not finish in 300 s");
            }
        }
        System.err.println("ConcurrencyIT (kills): " + killed + " workers killed");
        Cmd.Result fix = Rig.vsys("check", "--repair");
        assertEquals(0, fix.exit(), fix.toString());
        Rig.assertConsistent("after killed workers and check --repair");
        Cmd.Result again = Rig.vsys("check");
        assertEquals("no problems found", again.out().strip(), again.toString());
        Files.deleteIfExists(dir);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
