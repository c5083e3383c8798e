package org.vsys.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.vsys.cli.Main;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.SystemRecord;
import org.vsys.config.Installation;
import org.vsys.core.Links;
import org.vsys.core.Records;
import org.vsys.core.SystemMounts;
import org.vsys.base.VsysException;
import org.vsys.base.Debug;
import org.vsys.mount.MountTable;

/**
 * The test bed of the reliability suite: a private OS root {@code /var/lib/vsys-rel/OS} with its
 * own vsys-view and launcher built for it (so the suite never touches /OS, which other people's
 * systems may be using), small local trees, a fake home and host files to hash, vsys run in this
 * JVM or as a separate JVM (to be killed), and the consistency rules every scenario ends with.
 */
public final class Rig {
    public static final Path BASE = Path.of("/var/lib/vsys-rel");
    public static final Path R = BASE.resolve("OS");
    public static final Set<String> INFRA = Set.of("bin", "etc", ".root", ".ns", ".var", ".state");
    public static Path project;
    public static Path libexec;
    public static Installation inst;
    public static java.nio.channels.FileLock suiteLock;

    private Rig() {
    }

    /** Skip (workstation) or fail (CI=true) unless cond holds. */
    public static void require(boolean cond, String what) {
        ItEnv.require(cond, what);
    }

    /** Builds the helpers for the private root (make caches them) and makes the root's layout. */
    public static synchronized void setUp() throws Exception {
        require(Installation.procEuid() == 0, "the reliability tests run as root");
        project = Path.of(System.getProperty("vsys.basedir", ".")).toAbsolutePath();
        require(Files.exists(project.resolve("native/Makefile")), "native/ sources");
        require(Files.isExecutable(Path.of("/bin/busybox")), "a static busybox at /bin/busybox");
        if (inst != null) {
            return;
        }
        libexec = project.resolve("target/it-reliability");
        Files.createDirectories(libexec);
        Files.createDirectories(BASE);
        Files.setPosixFilePermissions(BASE, PosixFilePermissions.fromString("rwxr-xr-x"));
        // one suite at a time on this machine (the private root is shared by path): held until exit
        suiteLock = java.nio.channels.FileChannel.open(BASE.resolve(".suite.lock"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE).lock();
        Cmd.of("make", "-s", "-C", project.resolve("native").toString(), "B=" + libexec, "VSYS_ROOT=" + R,
                libexec.resolve("vsys-view").toString(), libexec.resolve("vsys-launcher").toString()).timeoutSeconds(300).mergeErr().ok();
        for (Path d : List.of(R, R.resolve("bin"), R.resolve("etc"))) {
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        installLauncher();
        inst = new Installation(R, libexec, Installation::procEuid);
        cleanAll();
    }

    public static void installLauncher() throws IOException {
        Path l = R.resolve("bin/bin");
        Path tmp = R.resolve("bin/.bin.new");
        Files.copy(libexec.resolve("vsys-launcher"), tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Cmd.of("chmod", "4755", tmp.toString()).timeoutSeconds(30).mergeErr().ok();
        Files.move(tmp, l, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Takes down every system of the private root and repairs the rest; fails if anything stays. */
    public static void cleanAll() {
        Records recs = new Records(inst);
        for (String a : recs.aliasNames()) {
            vsys("unalias", a);
        }
        for (String n : recs.systemNames()) {
            Cmd.Result r = vsys("destroy", "--force", n);
            if (r.exit() != 0) {
                System.err.println("cleanup: destroy " + n + ": " + r);
            }
        }
        vsys("check", "--repair");
        List<String> left = new ArrayList<>();
        for (MountTable.Mount m : MountTable.read().atOrUnder(R.toString())) {
            String rest = m.mountPoint().equals(R.toString()) ? "" : m.mountPoint().substring(R.toString().length() + 1);
            String top = rest.split("/")[0];
            if (!INFRA.contains(top) && !top.startsWith(".")) {
                left.add(m.mountPoint());
            }
        }
        if (!left.isEmpty()) {
            // last resort for a test that failed half way: lazily detach what is left (never rm)
            for (int i = left.size() - 1; i >= 0; i--) {
                Cmd.of("umount", "-l", left.get(i)).timeoutSeconds(30).mergeErr().run();
            }
            vsys("check", "--repair");
        }
    }

    // ---- running vsys -------------------------------------------------------------------

    /** vsys in this JVM (Main.run with the private installation). */
    public static Cmd.Result vsys(String... args) {
        return vsysAt(inst, args);
    }

    /** vsys in this JVM (Main.run) with installation i. */
    public static Cmd.Result vsysAt(Installation i, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long t0 = System.nanoTime();
        int code = Main.run(i, new PrintWriter(out, true), new PrintWriter(err, true), args);
        List<String> argv = new ArrayList<>(List.of("vsys"));
        argv.addAll(List.of(args));
        return new Cmd.Result(argv, code, out.toString(), err.toString(), Duration.ofNanos(System.nanoTime() - t0));
    }

    public static Cmd.Result vsysOk(String... args) {
        Cmd.Result r = vsys(args);
        assertEquals(0, r.exit(), () -> "vsys " + String.join(" ", args) + ": " + r);
        return r;
    }

    /** The command line of vsys as a separate JVM for the private root. */
    public static List<String> vsysCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dvsys.root=" + R, "-Dvsys.libexec=" + libexec, "-Dvsys.lockTimeout=120", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** mainClass (vsys's or a test driver's) as a separate JVM for the private root, without this JVM's pause and fault hooks. */
    public static Cmd javaCmd(String mainClass, String... args) {
        return Cmd.of(vsysCommand(mainClass, args)).unsetEnv("VSYS_PAUSE_AT").unsetEnv("VSYS_FAULT_AT");
    }

    /** Starts vsys as its own process; output to files in dir. */
    public static Process start(Map<String, String> env, Path out, Path err, String... args) throws IOException {
        return javaCmd("org.vsys.cli.Main", args).env(env).start(out, err);
    }

    /** vsys as its own process, to the end. */
    public static Cmd.Result vsysProc(Map<String, String> env, String... args) throws Exception {
        return javaCmd("org.vsys.cli.Main", args).env(env).timeoutSeconds(180).run();
    }

    /**
     * Starts vsys with VSYS_PAUSE_AT=step and waits until it says it paused there. Returns the
     * process (paused) or null when it ended before reaching the step (its output in the message).
     */
    public static Process pauseAt(String step, Path dir, String... args) throws Exception {
        Path o = dir.resolve("out");
        Path e = dir.resolve("err");
        Process p = start(Map.of("VSYS_PAUSE_AT", step), o, e, args);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(e) && Files.readString(e).contains("vsys: paused at " + step)) {
                return p;
            }
            if (!p.isAlive()) {
                fail("vsys " + String.join(" ", args) + " ended (exit " + p.exitValue() + ") before pausing at " + step
                        + ": " + Files.readString(e).strip());
            }
            Thread.sleep(20);
        }
        p.destroyForcibly().waitFor();
        fail("vsys " + String.join(" ", args) + " did not reach " + step + " in 120 s");
        return null;
    }

    /** SIGKILL to vsys alone (as {@code kill -9 PID}): the helpers it started (sshfs) live on. */
    public static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    // ---- trees --------------------------------------------------------------------------

    /**
     * A small OS tree (static busybox, os-release, data files) made fresh under BASE. Its files are
     * owned by root; {@code data/} has a few files of each kind to hash.
     */
    public static Path tree(String label) throws IOException {
        Path t = BASE.resolve("trees").resolve(label);
        if (Files.exists(t, LinkOption.NOFOLLOW_LINKS)) {
            removeTree(t);
        }
        Files.createDirectories(t);
        Files.setPosixFilePermissions(BASE.resolve("trees"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String d : List.of("bin", "etc", "usr/bin", "usr/tmp", "var/tmp", "tmp", "home", "proc", "dev", "sys", "run",
                "root", "opt", "srv", "mnt", "data/sub")) {
            Files.createDirectories(t.resolve(d));
        }
        for (String d : List.of("tmp", "var/tmp", "usr/tmp")) {
            Files.setPosixFilePermissions(t.resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        Files.copy(Path.of("/bin/busybox"), t.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String a : List.of("sh", "cat", "echo", "sleep", "true", "ls", "pwd", "id", "env", "touch", "rm")) {
            Files.createSymbolicLink(t.resolve("bin").resolve(a), Path.of("busybox"));
        }
        Files.writeString(t.resolve("etc/os-release"), "ID=vsys-rel-" + label + "\n");
        Files.writeString(t.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(t.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(t.resolve("data/a.txt"), "alpha " + label + "\n");
        Files.write(t.resolve("data/sub/b.bin"), new byte[] {0, 1, 2, 3, (byte) 0xff});
        Files.createSymbolicLink(t.resolve("data/rel-link"), Path.of("a.txt"));
        return t;
    }

    /** Two fresh trees for one test class, with their hashes taken before it runs. */
    public record TwoTrees(Path first, Path second, Map<Path, String> before) {
    }

    /** The set-up of a test class on two trees: the private root, then {@code LABEL1} and {@code LABEL2}. */
    public static TwoTrees setUpTwoTrees(String label) throws Exception {
        setUp();
        Path a = tree(label + "1");
        Path b = tree(label + "2");
        return new TwoTrees(a, b, hashes(List.of(a, b)));
    }

    /**
     * The tear-down that goes with {@link #setUpTwoTrees}: every system made is removed, records,
     * links and mounts agree, the trees are byte for byte what they were, and they are removed.
     */
    public static void tearDownTwoTrees(TwoTrees trees, String when) {
        if (inst == null || trees == null) {
            return;
        }
        cleanAll();
        assertConsistent(when);
        assertEquals(trees.before(), hashes(List.of(trees.first(), trees.second())), "the trees are byte for byte what they were");
        removeTree(trees.first());
        removeTree(trees.second());
    }

    /** rm -rf of a test tree, refusing if anything is mounted in it, never crossing filesystems. */
    public static void removeTree(Path t) {
        for (MountTable.Mount m : MountTable.read().atOrUnder(t.toString())) {
            fail("not removing " + t + ": " + m.mountPoint() + " is mounted in it");
        }
        Cmd.of("rm", "-rf", "--one-file-system", t.toString()).timeoutSeconds(60).mergeErr().run();
    }

    // ---- hashes -------------------------------------------------------------------------

    /**
     * SHA-256 over a whole tree: per entry (sorted, symlinks not followed, not descending into
     * other mounts) its relative path, type, mode, uid, gid, size, and content or link target.
     */
    public static String hash(Path root) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            List<Path> paths;
            try (Stream<Path> s = Files.walk(root)) {
                paths = s.sorted().toList();
            }
            byte[] buf = new byte[1 << 16];
            for (Path p : paths) {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
                String type = Files.isSymbolicLink(p) ? "l" : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "d"
                        : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? "f" : "o";
                String head = root.relativize(p) + "\0" + type + "\0" + Integer.toOctalString((Integer) a.get("mode")) + "\0"
                        + a.get("uid") + "\0" + a.get("gid") + "\0" + (type.equals("d") ? 0 : a.get("size")) + "\0";
                md.update(head.getBytes(StandardCharsets.UTF_8));
                if (type.equals("l")) {
                    md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
                } else if (type.equals("f")) {
                    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                        for (int n; (n = in.read(buf)) > 0;) {
                            md.update(buf, 0, n);
                        }
                    }
                }
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new AssertionError("cannot hash " + root + ": " + e, e);
        }
    }

    /** Hashes of several trees, by path. */
    public static Map<Path, String> hashes(List<Path> roots) {
        Map<Path, String> m = new LinkedHashMap<>();
        for (Path p : roots) {
            m.put(p, hash(p));
        }
        return m;
    }

    // ---- consistency --------------------------------------------------------------------

    /**
     * What must hold whenever no vsys runs: every record ready with all its filesystems mounted,
     * its view prepared and its link; aliases of existing systems with links; links only for
     * records; no mount, directory or ns bind under R that no record accounts for; no temporary file.
     */
    public static List<String> inconsistencies() {
        List<String> out = new ArrayList<>();
        Records recs = new Records(inst);
        MountTable table = MountTable.read();
        List<String> systems = recs.systemNames();
        for (String n : systems) {
            try {
                SystemRecord r = recs.system(n);
                if (r.state() != SystemRecord.State.READY) {
                    out.add(n + ": state " + r.state().word());
                }
                SystemMounts sm = new SystemMounts(inst, r, Debug.off());
                Path other = inst.systemDir(n, !r.restricted());
                if (Files.exists(other, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(n + ": " + other + " exists (its tree belongs at " + sm.dir() + ")");
                }
                for (FsEntry fs : r.filesystems()) {
                    if (table.at(sm.target(fs).toString()) == null) {
                        out.add(n + ": " + fs.path() + " not mounted");
                    }
                }
                if (table.at(inst.nsFile(n).toString()) == null) {
                    out.add(n + ": no prepared view");
                }
                if (!Links.isOurs(inst.link(n))) {
                    out.add(n + ": no launcher link");
                }
            } catch (VsysException e) {
                out.add(n + ": " + e.why());
            }
        }
        for (String a : recs.aliasNames()) {
            try {
                AliasRecord ar = recs.alias(a);
                if (!systems.contains(ar.system())) {
                    out.add(a + ": alias of missing " + ar.system());
                }
                if (!Links.isOurs(inst.link(a))) {
                    out.add(a + ": alias without link");
                }
            } catch (VsysException e) {
                out.add(a + ": " + e.why());
            }
        }
        for (String e : list(R.resolve("bin"))) {
            if (!e.equals("bin") && !recs.systemExists(e) && !recs.aliasExists(e)) {
                out.add("link " + e + " without a record");
            }
        }
        for (String e : list(R)) {
            if (!INFRA.contains(e) && !e.startsWith(".") && !systems.contains(e)) {
                out.add(R.resolve(e) + " without a record");
            }
        }
        for (String e : list(R.resolve(".private"))) {
            if (!systems.contains(e) && !e.equals(".auto")) {
                out.add(R.resolve(".private").resolve(e) + " without a record");
            }
        }
        for (String e : list(R.resolve(".ns"))) {
            if (!systems.contains(e)) {
                out.add("view " + e + " without a record");
            }
        }
        for (String d : List.of("etc/systems", "etc/aliases", ".state")) {
            for (String e : list(R.resolve(d))) {
                if (e.contains(".tmp.")) {
                    out.add("temporary file " + d + "/" + e);
                }
            }
        }
        for (MountTable.Mount m : table.atOrUnder(R.toString())) {
            if (m.mountPoint().equals(R.toString())) {
                continue;
            }
            String rest = m.mountPoint().substring(R.toString().length() + 1);
            String top = rest.split("/")[0];
            if (!INFRA.contains(top) && !top.startsWith(".") && !systems.contains(top)) {
                out.add("mount " + m.mountPoint() + " (" + m.fsType() + ") without a record");
            }
            if (top.equals(".ns") && rest.contains("/") && !systems.contains(rest.substring(4))) {
                out.add("ns mount " + m.mountPoint() + " without a record");
            }
        }
        return out;
    }

    public static void assertConsistent(String when) {
        List<String> p = inconsistencies();
        if (!p.isEmpty()) {
            fail(when + ": inconsistent state: " + String.join("; ", p));
        }
    }

    public static List<String> list(Path dir) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.equals(".lock")) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        out.sort(null);
        return out;
    }

    /** What vsys's state is: directory listings, link targets, record bytes, mounts under R with ids. */
    public static String state() throws Exception {
        StringBuilder b = new StringBuilder();
        for (String d : List.of("", "bin", "etc/systems", "etc/aliases", ".ns")) {
            Path dir = d.isEmpty() ? Rig.R : Rig.R.resolve(d);
            for (String n : Rig.list(dir)) {
                Path p = dir.resolve(n);
                b.append(p);
                if (Files.isSymbolicLink(p)) {
                    b.append(" -> ").append(Files.readSymbolicLink(p));
                } else if (d.startsWith("etc/") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    b.append(' ').append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                }
                b.append('\n');
            }
        }
        String shared = Rig.R.resolve(".root") + "/";
        for (MountTable.Mount m : MountTable.read().atOrUnder(Rig.R.toString())) {
            if (m.mountPoint().startsWith(shared)) {
                continue; // the shared tree: host mounts under /home, /tmp, /dev come and go there (propagation)
            }
            b.append(m.id()).append(' ').append(m.mountPoint()).append(' ').append(m.fsType()).append('\n');
        }
        return b.toString();
    }
}
