package org.vsys.store;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/** Processes for the store's integration tests (root, installed vsys: VSYS_IT_VSYS, default /usr/local/bin/vsys). */
final class Sh {
    static final Path R = Paths.get("/OS");
    static final boolean CI = "true".equals(System.getenv("CI"));
    static final String VSYS = env("VSYS_IT_VSYS", "/usr/local/bin/vsys");
    static final Path BASEDIR = Paths.get(System.getProperty("vsys.basedir", System.getProperty("user.dir")));

    record Result(List<String> argv, int exit, String out, String err) {
        @Override
        public String toString() {
            return String.join(" ", argv) + "\n  exit " + exit + "\n  stdout: " + out.strip() + "\n  stderr: " + err.strip();
        }
    }

    private Sh() {
    }

    static String env(String k, String def) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? def : v;
    }

    static void require(boolean cond, String what) {
        if (!cond) {
            if (CI) {
                fail("integration test requirement missing under CI=true: " + what);
            }
            Assumptions.abort("requirement missing: " + what);
        }
    }

    static void requireRootAndVsys() {
        require("0".equals(run("id", "-u").out().strip()), "root");
        require(Files.isExecutable(Paths.get(VSYS)), VSYS + " is installed");
        require(Files.isRegularFile(R.resolve("bin/bin")), "the launcher is installed");
        Result h = run(VSYS, "snapshot", "--help");
        require(h.exit() == 0, "the installed vsys has 'snapshot' (./install.sh)");
    }

    static Result run(String... argv) {
        return run(Map.of(), 600, argv);
    }

    static Result run(Map<String, String> env, int timeoutSeconds, String... argv) {
        try {
            Path o = Files.createTempFile("sh", ".out");
            Path e = Files.createTempFile("sh", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(o.toFile()).redirectError(e.toFile())
                        .redirectInput(new File("/dev/null")).directory(new File("/"));
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
                int code = p.isAlive() ? -1 : p.exitValue();
                return new Result(Arrays.asList(argv), code, Files.readString(o, StandardCharsets.UTF_8),
                        Files.readString(e, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(o);
                Files.deleteIfExists(e);
            }
        } catch (IOException | InterruptedException x) {
            throw new AssertionError("cannot run " + Arrays.toString(argv) + ": " + x, x);
        }
    }

    static Result vsys(String... args) {
        List<String> a = new ArrayList<>();
        a.add(VSYS);
        a.addAll(Arrays.asList(args));
        return run(a.toArray(new String[0]));
    }

    static String vsysOk(String... args) {
        Result r = vsys(args);
        if (r.exit() != 0) {
            throw new AssertionError("vsys failed: " + r);
        }
        return r.out();
    }

    /** Starts vsys with VSYS_PAUSE_AT=step, waits until it says it paused there, and kills it with SIGKILL. */
    static void killAt(String step, String... args) throws Exception {
        List<String> a = new ArrayList<>();
        a.add(VSYS);
        a.addAll(Arrays.asList(args));
        Path e = Files.createTempFile("kill", ".err");
        ProcessBuilder pb = new ProcessBuilder(a).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(e.toFile())
                .directory(new File("/"));
        pb.environment().put("VSYS_PAUSE_AT", step);
        Process p = pb.start();
        long deadline = System.nanoTime() + 300_000_000_000L;
        try {
            while (!Files.readString(e).contains("paused at " + step)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("vsys never paused at " + step + ": " + Files.readString(e));
                }
                Thread.sleep(50);
            }
            // the JVM is the child of the shell wrapper (exec: same pid)
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            run("kill", "-9", Long.toString(p.pid()));
            p.waitFor(30, TimeUnit.SECONDS);
        } finally {
            Files.deleteIfExists(e);
        }
    }

    static void destroyQuietly(String name) {
        if (Files.exists(R.resolve("etc/systems").resolve(name))) {
            Result r = vsys("destroy", name);
            if (r.exit() != 0) {
                vsys("destroy", "--force", name);
            }
        }
    }
}
