package org.vsys.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one process runner of the tests: argv, optional cwd, environment (added to, trimmed, or the
 * plain login-like one of another user), stdin, a timeout; stdout and stderr captured through
 * files (or stderr merged into stdout). A process that outlives its timeout is killed with its
 * descendants and fails the test.
 */
public final class Cmd {
    /** The outcome of a finished command (a process, or vsys run in this JVM). */
    public record Result(List<String> argv, int exit, String out, String err, Duration took) {
        /** stderr lines that are not blank. */
        public List<String> errLines() {
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
    private final Set<String> unset = new LinkedHashSet<>();
    private boolean clearEnv;
    private boolean mergeErr;
    private String stdin;
    private Duration timeout = Duration.ofSeconds(180);

    private Cmd(List<String> argv) {
        this.argv.addAll(argv);
    }

    public static Cmd of(String... argv) {
        return new Cmd(Arrays.asList(argv));
    }

    public static Cmd of(List<String> argv) {
        return new Cmd(argv);
    }

    /** As the test user: setpriv to its uid, gid and supplementary groups, with a plain login-like environment. */
    public static Cmd asUser(String user, String... argv) {
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

    private static final Map<String, String> GIDS = new ConcurrentHashMap<>();

    /** The user's primary gid, numeric (its group may not be named after it). */
    public static String primaryGid(String user) {
        return GIDS.computeIfAbsent(user, u -> Cmd.of("id", "-g", u).ok().strip());
    }

    /** As the test user through sh -c. */
    public static Cmd shAsUser(String user, String script) {
        return asUser(user, "sh", "-c", script);
    }

    public Cmd dir(Path d) {
        this.dir = d == null ? null : d.toFile();
        return this;
    }

    public Cmd env(String k, String v) {
        env.put(k, v);
        return this;
    }

    public Cmd env(Map<String, String> vars) {
        env.putAll(vars);
        return this;
    }

    /** Leaves variable k out of the environment the process inherits. */
    public Cmd unsetEnv(String k) {
        unset.add(k);
        return this;
    }

    /** stderr into the same file as stdout ({@link Result#out()}), in the order written. */
    public Cmd mergeErr() {
        this.mergeErr = true;
        return this;
    }

    public Cmd stdin(String s) {
        this.stdin = s;
        return this;
    }

    public Cmd timeout(Duration d) {
        this.timeout = d;
        return this;
    }

    public Cmd timeoutSeconds(long s) {
        return timeout(Duration.ofSeconds(s));
    }

    /** The argv as one line, for messages. */
    public String line() {
        return String.join(" ", argv);
    }

    private ProcessBuilder builder() {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (dir != null) {
            pb.directory(dir);
        }
        if (clearEnv) {
            pb.environment().clear();
        }
        unset.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        pb.redirectErrorStream(mergeErr);
        if (stdin == null) {
            pb.redirectInput(new File("/dev/null"));
        }
        return pb;
    }

    private Process started(ProcessBuilder pb) throws IOException {
        Process p = pb.start();
        if (stdin != null) {
            try (var os = p.getOutputStream()) {
                os.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the command did not read all of it: its business
            }
        }
        return p;
    }

    /** Runs to the end (or kills it with its descendants at the timeout and fails). */
    public Result run() {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("vsys-test-out", ".txt");
            err = Files.createTempFile("vsys-test-err", ".txt");
            long t0 = System.nanoTime();
            ProcessBuilder pb = builder().redirectOutput(out.toFile());
            if (!mergeErr) {
                pb.redirectError(err.toFile());
            }
            Process p = started(pb);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + line()
                        + "\n  stdout: " + text(out) + "\n  stderr: " + text(err));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            return new Result(List.copyOf(argv), p.exitValue(), text(out), text(err), took);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + line() + ": " + e, e);
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

    /** A captured stream as text: UTF-8, bytes that are not UTF-8 replaced (a test may feed vsys such bytes). */
    private static String text(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }

    /** Runs and requires exit 0; returns stdout. */
    public String ok() {
        Result r = run();
        if (r.exit() != 0) {
            throw new AssertionError("command failed: " + r);
        }
        return r.out();
    }

    /** Starts it in the background, output to the given files (err ignored with {@link #mergeErr()}). */
    public Process start(Path out, Path err) {
        ProcessBuilder pb = builder().redirectOutput(out.toFile());
        if (!mergeErr) {
            pb.redirectError(err.toFile());
        }
        return start(pb);
    }

    /** Starts it in the background, its output discarded. */
    public Process start() {
        return start(builder().redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD));
    }

    private Process start(ProcessBuilder pb) {
        try {
            return started(pb);
        } catch (IOException e) {
            throw new AssertionError("cannot start " + line() + ": " + e, e);
        }
    }
}
