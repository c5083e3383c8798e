package org.vsys.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.IntSupplier;

/**
 * Where things are (docs/DESIGN.md "Paths"): the OS root R from the system property
 * {@code vsys.root} (default {@code /OS}) and the helper directory LIBEXEC from
 * {@code vsys.libexec} (default {@code /usr/local/lib/vsys}).
 */
public final class Installation {
    public static final String DEFAULT_ROOT = "/OS";
    public static final String DEFAULT_LIBEXEC = "/usr/local/lib/vsys";

    private final Path root;
    private final Path libexec;
    private final IntSupplier euid;

    public Installation(Path root, Path libexec, IntSupplier euid) {
        this.root = canonical(root);
        this.libexec = libexec.toAbsolutePath().normalize();
        this.euid = euid;
    }

    public static Installation fromSystemProperties() {
        return new Installation(Path.of(System.getProperty("vsys.root", DEFAULT_ROOT)),
                Path.of(System.getProperty("vsys.libexec", DEFAULT_LIBEXEC)), Installation::procEuid);
    }

    /** The root as the kernel names it in mountinfo: symlinks in it resolved when it exists. */
    private static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }

    /** The effective uid from /proc/self/status, without loading any native code. */
    public static int procEuid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    return Integer.parseInt(f[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    public int euid() {
        return euid.getAsInt();
    }

    public Path root() {
        return root;
    }

    public Path libexec() {
        return libexec;
    }

    public Path viewHelper() {
        return libexec.resolve("vsys-view");
    }

    public Path etc() {
        return root.resolve("etc");
    }

    /**
     * The vsys.conf in use: {@link #confFile()}, or when that does not exist the
     * {@code R/etc/vsys.conf} of an older install (as the C programs read it).
     */
    public Path conf() {
        Path p = confFile();
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? p : oldConf();
    }

    /**
     * Where the admin's vsys.conf belongs: the system property {@code vsys.conf}, else
     * {@code /etc/vsys/vsys.conf} for the root {@code /OS} and {@code R/etc/vsys.conf} for any
     * other root (a test suite's private one), as native/Makefile compiles it.
     */
    public Path confFile() {
        String p = System.getProperty("vsys.conf");
        if (p != null && !p.isEmpty()) {
            return Path.of(p);
        }
        return root.toString().equals(DEFAULT_ROOT) ? Path.of("/etc/vsys/vsys.conf") : oldConf();
    }

    /** {@code R/etc/vsys.conf}: where installs before 2026-12 kept vsys.conf. */
    public Path oldConf() {
        return etc().resolve("vsys.conf");
    }

    public Path systems() {
        return etc().resolve("systems");
    }

    public Path aliases() {
        return etc().resolve("aliases");
    }

    public Path lockFile() {
        return etc().resolve(".lock");
    }

    public Path bin() {
        return root.resolve("bin");
    }

    public Path launcher() {
        return bin().resolve("bin");
    }

    public Path link(String name) {
        return bin().resolve(name);
    }

    public Path systemRecord(String name) {
        return systems().resolve(name);
    }

    public Path aliasRecord(String name) {
        return aliases().resolve(name);
    }

    /**
     * Where the system's tree is mounted on the host: {@code R/.private/NAME} when that directory
     * exists (a restricted system, docs/DESIGN.md "Restricted systems"), else {@code R/NAME}. Code
     * that holds the record uses {@link #systemDir(String, boolean)}.
     */
    public Path systemDir(String name) {
        Path p = privateDir(name);
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? p : openDir(name);
    }

    /** The mount point the record calls for: {@code R/.private/NAME} if restricted, else {@code R/NAME}. */
    public Path systemDir(String name, boolean restricted) {
        return restricted ? privateDir(name) : openDir(name);
    }

    /** {@code R/NAME}: an open system's tree (readable by every user, the seed's path). */
    public Path openDir(String name) {
        return root.resolve(name);
    }

    /** {@code R/.private}: root's 0700 directory holding the restricted systems' trees. */
    public Path privateRoot() {
        return root.resolve(".private");
    }

    /** {@code R/.private/NAME}: a restricted system's tree (users= or groups= set). */
    public Path privateDir(String name) {
        return privateRoot().resolve(name);
    }

    public Path nsDir() {
        return root.resolve(".ns");
    }

    public Path nsFile(String name) {
        return nsDir().resolve(name);
    }

    /**
     * Where {@code vsys-view prepare} puts the system's tree in the kmod link mode (link=kmod):
     * {@code R/.root/.os/NAME} for an open system; for a restricted one (its {@code R/.private/NAME}
     * exists) {@code R/.root/.vsys/os/NAME/root}, behind the module's gate (docs/DESIGN.md).
     */
    public Path kmodTree(String name) {
        if (Files.exists(privateDir(name), LinkOption.NOFOLLOW_LINKS)) {
            return root.resolve(".root").resolve(".vsys").resolve("os").resolve(name).resolve("root");
        }
        return root.resolve(".root").resolve(".os").resolve(name);
    }

    /** The kmod link mode's table of linked processes ("TGID NAME UID" lines) in the vsyslink mount. */
    public Path kmodProcs() {
        return root.resolve(".root").resolve(".vsys").resolve("procs");
    }

    public Path stateDir() {
        return root.resolve(".state");
    }

    public Path pidFile(String name) {
        return stateDir().resolve(name + ".pid");
    }

    public Path logFile(String name) {
        return stateDir().resolve(name + ".log");
    }

    /**
     * The control socket of the ssh under the sshfs of an ssh:// system's root (ssh's
     * ControlPath): a snapshot runs its remote commands through that connection.
     */
    public Path sshControl(String name) {
        return stateDir().resolve(name + ".ssh");
    }
}
