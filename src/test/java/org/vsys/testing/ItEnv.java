package org.vsys.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What the integration tests need from the machine, and the commands they drive. They run as
 * root against the installed vsys ({@code VSYS_IT_VSYS}, default /usr/local/bin/vsys), the
 * installed launcher /OS/bin/bin and the unprivileged users that test.sh creates. A missing
 * requirement skips a test on a workstation and fails it under CI=true.
 */
public final class ItEnv {
    private ItEnv() {
    }

    public static final Path R = Paths.get("/OS");
    public static final boolean CI = "true".equals(System.getenv("CI"));
    public static final String VSYS = env("VSYS_IT_VSYS", "/usr/local/bin/vsys");
    public static final String USER = env("VSYS_IT_USER", "vsys-it");
    public static final String USER2 = env("VSYS_IT_USER2", "vsys-it2");
    public static final String GROUP = env("VSYS_IT_GROUP", "vsys-itg");
    public static final String REMOTE = env("VSYS_IT_REMOTE", "it");
    public static final Path BASEDIR = Paths.get(System.getProperty("vsys.basedir", System.getProperty("user.dir")));

    public static String env(String k, String def) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? def : v;
    }

    /** Skip (workstation) or fail (CI=true) unless cond holds. */
    public static void require(boolean cond, String what) {
        if (cond) {
            return;
        }
        if (CI) {
            fail("integration test requirement missing under CI=true: " + what);
        }
        Assumptions.abort("requirement missing: " + what);
    }

    public static boolean isRoot() {
        return "0".equals(Cmd.of("id", "-u").run().out().strip());
    }

    /** Root, the installed vsys and launcher, the test users. */
    public static void requireInstalled() {
        require(isRoot(), "the integration tests run as root");
        require(Files.isExecutable(Paths.get(VSYS)), VSYS + " is installed (./install.sh)");
        Path launcher = R.resolve("bin/bin");
        require(Files.isRegularFile(launcher), launcher + " is installed (./install.sh)");
        require(Cmd.of("id", "-u", USER).run().exit() == 0, "user " + USER + " exists (test.sh creates it)");
    }

    public static String uid(String user) {
        return Cmd.of("id", "-u", user).ok().strip();
    }

    /** vsys as root. */
    public static Cmd.Result vsys(String... args) {
        List<String> a = new ArrayList<>();
        a.add(VSYS);
        a.addAll(Arrays.asList(args));
        return Cmd.of(a).timeoutSeconds(600).run();
    }

    /** vsys as root; must exit 0. */
    public static String vsysOk(String... args) {
        Cmd.Result r = vsys(args);
        if (r.exit() != 0) {
            throw new AssertionError("vsys failed: " + r);
        }
        return r.out();
    }

    /** Root, the installed vsys with 'snapshot' and the launcher (the store's tests: no test users). */
    public static void requireRootAndVsys() {
        require(isRoot(), "root");
        require(Files.isExecutable(Paths.get(VSYS)), VSYS + " is installed");
        require(Files.isRegularFile(R.resolve("bin/bin")), "the launcher is installed");
        Cmd.Result h = vsys("snapshot", "--help");
        require(h.exit() == 0, "the installed vsys has 'snapshot' (./install.sh)");
    }

    /** Starts vsys with VSYS_PAUSE_AT=step, waits until it says it paused there, and kills it with SIGKILL. */
    public static void killAt(String step, String... args) throws Exception {
        List<String> a = new ArrayList<>();
        a.add(VSYS);
        a.addAll(Arrays.asList(args));
        Path e = Files.createTempFile("kill", ".err");
        Process p = Cmd.of(a).dir(Paths.get("/")).env("VSYS_PAUSE_AT", step).start(Paths.get("/dev/null"), e);
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
            Cmd.of("kill", "-9", Long.toString(p.pid())).run();
            p.waitFor(30, TimeUnit.SECONDS);
        } finally {
            Files.deleteIfExists(e);
        }
    }

    /** Removes a system if it exists (cleanup: never fails, tries --force after a plain destroy). */
    public static void destroyQuietly(String name) {
        if (!Files.exists(R.resolve("etc/systems").resolve(name))) {
            return;
        }
        Cmd.Result r = vsys("destroy", name);
        if (r.exit() != 0) {
            r = vsys("destroy", "--force", name);
        }
        if (r.exit() != 0) {
            System.err.println("cleanup: could not destroy " + name + ": " + r);
        }
    }

    public static void unaliasQuietly(String alias) {
        if (Files.exists(R.resolve("etc/aliases").resolve(alias))) {
            vsys("unalias", alias);
        }
    }

    /** The launcher path of a system or alias. */
    public static String launcher(String name) {
        return R.resolve("bin").resolve(name).toString();
    }

    /** Whether this kernel has an NFS client. */
    public static boolean kernelHasNfs() {
        try {
            return Files.readAllLines(Paths.get("/proc/filesystems")).stream()
                    .anyMatch(l -> l.matches(".*\\snfs4?$"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Whether process pid is in another mount namespace than this JVM (it entered a system). */
    public static boolean inOtherMountNamespace(long pid) {
        try {
            return !Files.readSymbolicLink(Paths.get("/proc/" + pid + "/ns/mnt"))
                    .equals(Files.readSymbolicLink(Paths.get("/proc/self/ns/mnt")));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    public static void assertOneErrorLine(Cmd.Result r) {
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), () -> "exactly one line on stderr: " + r);
        assertTrue(lines.get(0).startsWith("vsys: "), () -> "the line starts with 'vsys: ': " + r);
    }

    public static String[] concat(String[] a, String[] b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    public static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
