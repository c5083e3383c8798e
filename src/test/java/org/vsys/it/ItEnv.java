package org.vsys.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * What the integration tests need from the machine, and the commands they drive. They run as
 * root against the installed vsys ({@code VSYS_IT_VSYS}, default /usr/local/bin/vsys), the
 * installed launcher /OS/bin/bin and the unprivileged users that test.sh creates. A missing
 * requirement skips a test on a workstation and fails it under CI=true.
 */
final class ItEnv {
    private ItEnv() {
    }

    static final Path R = Paths.get("/OS");
    static final boolean CI = "true".equals(System.getenv("CI"));
    static final String VSYS = env("VSYS_IT_VSYS", "/usr/local/bin/vsys");
    static final String USER = env("VSYS_IT_USER", "vsys-it");
    static final String USER2 = env("VSYS_IT_USER2", "vsys-it2");
    static final String GROUP = env("VSYS_IT_GROUP", "vsys-itg");
    static final String REMOTE = env("VSYS_IT_REMOTE", "it");
    static final Path BASEDIR = Paths.get(System.getProperty("vsys.basedir", System.getProperty("user.dir")));

    static String env(String k, String def) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? def : v;
    }

    /** Skip (workstation) or fail (CI=true) unless cond holds. */
    static void require(boolean cond, String what) {
        if (cond) {
            return;
        }
        if (CI) {
            fail("integration test requirement missing under CI=true: " + what);
        }
        Assumptions.abort("requirement missing: " + what);
    }

    static boolean isRoot() {
        return "0".equals(Cmd.of("id", "-u").run().out().strip());
    }

    /** Root, the installed vsys and launcher, the test users. */
    static void requireInstalled() {
        require(isRoot(), "the integration tests run as root");
        require(Files.isExecutable(Paths.get(VSYS)), VSYS + " is installed (./install.sh)");
        Path launcher = R.resolve("bin/bin");
        require(Files.isRegularFile(launcher), launcher + " is installed (./install.sh)");
        require(Cmd.of("id", "-u", USER).run().exit() == 0, "user " + USER + " exists (test.sh creates it)");
    }

    static String uid(String user) {
        return Cmd.of("id", "-u", user).ok().strip();
    }

    /** vsys as root. */
    static Cmd.Result vsys(String... args) {
        List<String> a = new ArrayList<>();
        a.add(VSYS);
        a.addAll(Arrays.asList(args));
        return Cmd.of(a).run();
    }

    /** vsys as root; must exit 0. */
    static String vsysOk(String... args) {
        Cmd.Result r = vsys(args);
        if (r.exit() != 0) {
            throw new AssertionError("vsys failed: " + r);
        }
        return r.out();
    }

    /** Removes a system if it exists (cleanup: never fails, tries --force after a plain destroy). */
    static void destroyQuietly(String name) {
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

    static void unaliasQuietly(String alias) {
        if (Files.exists(R.resolve("etc/aliases").resolve(alias))) {
            vsys("unalias", alias);
        }
    }

    /** The launcher path of a system or alias. */
    static String launcher(String name) {
        return R.resolve("bin").resolve(name).toString();
    }

    /** Whether this kernel has an NFS client. */
    static boolean kernelHasNfs() {
        try {
            return Files.readAllLines(Paths.get("/proc/filesystems")).stream()
                    .anyMatch(l -> l.matches(".*\\snfs4?$"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Whether process pid is in another mount namespace than this JVM (it entered a system). */
    static boolean inOtherMountNamespace(long pid) {
        try {
            return !Files.readSymbolicLink(Paths.get("/proc/" + pid + "/ns/mnt"))
                    .equals(Files.readSymbolicLink(Paths.get("/proc/self/ns/mnt")));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
