package org.vsys.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real process: argv, optional cwd, env, stdin; captures stdout/stderr through files. */
final class Cmd {
    /** The outcome of a finished process. */
    record Result(List<String> argv, int exit, String out, String err, Duration took) {
        /** stderr lines that are not blank. */
        List<String> errLines() {
            List<String> l = new ArrayList<>();
            for (String s : err.split("\n")) {
                if (!s.isBlank()) {
                    l.add(s);
                }
            }
            return l;
        }

        @Override
        public String toString() {
            return String.join(" ", argv) + "\n  exit " + exit + " after " + took.toMillis() + " ms"
                    + "\n  stdout: " + out.strip().replace("\n", "\n          ")
                    + "\n  stderr: " + err.strip().replace("\n", "\n          ");
        }
    }

    private final List<String> argv = new ArrayList<>();
    private File dir;
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean clearEnv;
    private String stdin;
    private Duration timeout = Duration.ofSeconds(180);

    private Cmd(List<String> argv) {
        this.argv.addAll(argv);
    }

    static Cmd of(String... argv) {
        return new Cmd(Arrays.asList(argv));
    }

    static Cmd of(List<String> argv) {
        return new Cmd(argv);
    }

    /** As the test user: setpriv to its uid, gid and supplementary groups, with a plain login-like environment. */
    static Cmd asUser(String user, String... argv) {
        List<String> a = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + primaryGid(user),
                "--init-groups", "--"));
        a.addAll(Arrays.asList(argv));
        Cmd c = new Cmd(a);
        c.clearEnv = true;
        c.env.put("HOME", "/home/" + user);
        c.env.put("USER", user);
        c.env.put("LOGNAME", user);
        c.env.put("SHELL", "/bin/bash");
        c.env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        c.env.put("LANG", "C");
        return c;
    }

    private static final Map<String, String> GIDS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The user's primary gid, numeric (its group may not be named after it). */
    static String primaryGid(String user) {
        return GIDS.computeIfAbsent(user, u -> Cmd.of("id", "-g", u).ok().strip());
    }

    /** As the test user through sh -c. */
    static Cmd shAsUser(String user, String script) {
        return asUser(user, "sh", "-c", script);
    }

    Cmd dir(Path d) {
        this.dir = d.toFile();
        return this;
    }

    Cmd env(String k, String v) {
        env.put(k, v);
        return this;
    }

    Cmd stdin(String s) {
        this.stdin = s;
        return this;
    }

    Cmd timeout(Duration d) {
        this.timeout = d;
        return this;
    }

    ProcessBuilder builder(Path out, Path err) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (dir != null) {
            pb.directory(dir);
        }
        if (clearEnv) {
            pb.environment().clear();
        }
        pb.environment().putAll(env);
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        if (stdin == null) {
            pb.redirectInput(new File("/dev/null"));
        }
        return pb;
    }

    /** Runs to the end (or kills it at the timeout and fails). */
    Result run() {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("vsys-it-out", ".txt");
            err = Files.createTempFile("vsys-it-err", ".txt");
            long t0 = System.nanoTime();
            Process p = builder(out, err).start();
            if (stdin != null) {
                try (var os = p.getOutputStream()) {
                    os.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the command did not read all of it: its business
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", argv)
                        + "\n  stdout: " + Files.readString(out) + "\n  stderr: " + Files.readString(err));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            return new Result(List.copyOf(argv), p.exitValue(), Files.readString(out), Files.readString(err), took);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", argv) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            try {
                if (out != null) {
                    Files.deleteIfExists(out);
                }
                if (err != null) {
                    Files.deleteIfExists(err);
                }
            } catch (IOException e) {
                // best effort
            }
        }
    }

    /** Starts it in the background, output to the given files. */
    Process start(Path out, Path err) {
        try {
            Process p = builder(out, err).start();
            if (stdin != null) {
                try (var os = p.getOutputStream()) {
                    os.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            return p;
        } catch (IOException e) {
            throw new AssertionError("cannot start " + String.join(" ", argv) + ": " + e, e);
        }
    }

    /** Runs and requires exit 0; returns stdout. */
    String ok() {
        Result r = run();
        if (r.exit() != 0) {
            throw new AssertionError("command failed: " + r);
        }
        return r.out();
    }
}
