package org.vsys.mount;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

/**
 * A remote tree over SSH with sshfs, started as a plain child in its own session ({@code setsid
 * sshfs -f}), so vsys knows its pid and can stop it after the unmount (sshfs does not always exit
 * by itself). Host keys are checked ({@code StrictHostKeyChecking=yes}) and nothing prompts
 * ({@code BatchMode=yes}).
 */
public final class SshfsTransport implements Transport {

    /** The sshfs options of TESTBED.md; ro/rw, suid/dev and the ssh options are added per fs. */
    static final String BASE_OPTIONS = "allow_other,default_permissions,no_contain_symlinks,reconnect,"
            + "ServerAliveInterval=15,ServerAliveCountMax=3,BatchMode=yes,StrictHostKeyChecking=yes";

    @Override
    public void check(FsEntry fs, MountContext ctx) throws VsysException {
        String what = ctx.system();
        if (ChildProcess.which("sshfs") == null) {
            throw new VsysException(ExitCode.UNSUPPORTED, what, "sshfs is not installed (apt-get install sshfs)");
        }
        if (!new File("/dev/fuse").exists()) {
            throw new VsysException(ExitCode.UNSUPPORTED, what, "no /dev/fuse: this kernel has no FUSE (modprobe fuse)");
        }
        for (String key : new String[] {"identity", "known_hosts"}) {
            String f = fs.option(key);
            if (f != null && !Files.isRegularFile(Path.of(f))) {
                throw new VsysException(ExitCode.BAD_SOURCE, what, key + " file " + f + " does not exist");
            }
        }
        resolve(fs.source(), ctx);
    }

    /**
     * Bounded name check: ssh's own idea of the host name ({@code ssh -G}, so Host aliases in root's
     * ssh_config work), then {@code getent ahosts} on it. Unknown: exit 7; no answer in time: exit 8.
     */
    static void resolve(SourceUrl src, MountContext ctx) throws VsysException {
        String host = src.host();
        String real = host;
        try {
            List<String> cmd = new ArrayList<>(List.of("ssh", "-G"));
            cmd.add(host);
            ChildProcess.Result g = ChildProcess.run(cmd, 2000);
            if (g.ok()) {
                for (String line : g.out().split("\n")) {
                    if (line.startsWith("hostname ")) {
                        real = line.substring(9).trim();
                    }
                }
            }
            if (real.indexOf(':') >= 0 || real.matches("[0-9.]+")) {
                return; // an address literal
            }
            ChildProcess.Result r = ChildProcess.run(List.of("getent", "ahosts", real), ctx.timeoutMillis());
            if (r.timedOut()) {
                throw new VsysException(ExitCode.UNREACHABLE, host,
                        "host name lookup did not answer within " + ctx.timeoutSeconds() + " s");
            }
            if (r.status() != 0) {
                throw new VsysException(ExitCode.BAD_SOURCE, host, "unknown host");
            }
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, host, "cannot run ssh/getent: " + e.getMessage(), e);
        }
    }

    /** The full sshfs option string for one filesystem (control: its ssh's ControlPath, or null). */
    static String options(FsEntry fs, int timeoutSeconds, Path control) {
        StringBuilder o = new StringBuilder(fs.readOnly() ? "ro" : "rw");
        o.append(fs.suid() ? ",suid" : ",nosuid").append(fs.dev() ? ",dev" : ",nodev");
        o.append(',').append(BASE_OPTIONS).append(",ConnectTimeout=").append(timeoutSeconds);
        if (fs.option("identity") != null) {
            o.append(",IdentityFile=").append(fs.option("identity"));
        }
        if (fs.option("known_hosts") != null) {
            o.append(",UserKnownHostsFile=").append(fs.option("known_hosts"));
        }
        if (fs.source().port() != 0) {
            o.append(",port=").append(fs.source().port());
        }
        if (control != null) {
            // the master of its own socket, never a client of another's (yes, not auto)
            o.append(",ControlMaster=yes,ControlPath=").append(control);
        }
        for (String extra : fs.transportOptions()) {
            o.append(',').append(extra);
        }
        return o.toString();
    }

    static String options(FsEntry fs, int timeoutSeconds) {
        return options(fs, timeoutSeconds, null);
    }

    /** What sshfs mounts: {@code [user@]host:path}, as the mount table shows it. */
    public static String remote(SourceUrl s) {
        return (s.user() == null ? "" : s.user() + "@") + s.hostForPath() + ":" + s.path();
    }

    static List<String> command(FsEntry fs, Path target, int timeoutSeconds) {
        return command(fs, target, timeoutSeconds, null);
    }

    static List<String> command(FsEntry fs, Path target, int timeoutSeconds, Path control) {
        return List.of("setsid", "sshfs", "-f", remote(fs.source()), target.toString(), "-o", options(fs, timeoutSeconds, control));
    }

    /**
     * The control socket for the root filesystem of a system: only the root ("/") gets one (a
     * snapshot walks the root), and only when its path is short enough for a socket address with
     * the suffix ssh adds while it binds (and has no comma, sshfs's option separator).
     */
    public static Path control(FsEntry fs, Path socket) {
        String p = socket.toString();
        return fs.path().equals("/") && p.length() <= 80 && p.indexOf(',') < 0 ? socket : null;
    }

    /**
     * ssh running {@code remoteCommand} (a subsystem's name when {@code subsystem}) on the host of
     * fs with the options of its sshfs, through
     * the connection of that sshfs's ssh when {@code control} is its live socket (no new login;
     * ssh makes a connection of its own when the socket is gone).
     */
    public static List<String> sshCommand(FsEntry fs, Path control, int timeoutSeconds, boolean subsystem, String remoteCommand) {
        SourceUrl s = fs.source();
        List<String> c = new ArrayList<>(List.of("ssh", "-x", "-a", "-T", "-oClearAllForwardings=yes", "-oBatchMode=yes",
                "-oStrictHostKeyChecking=yes", "-oServerAliveInterval=15", "-oServerAliveCountMax=3", "-oConnectTimeout=" + timeoutSeconds));
        if (fs.option("identity") != null) {
            c.add("-oIdentityFile=" + fs.option("identity"));
        }
        if (fs.option("known_hosts") != null) {
            c.add("-oUserKnownHostsFile=" + fs.option("known_hosts"));
        }
        if (s.port() != 0) {
            c.add("-oPort=" + s.port());
        }
        if (control != null) {
            c.add("-oControlMaster=no");
            c.add("-oControlPath=" + control);
        }
        if (subsystem) {
            c.add("-s");
        }
        c.add("--");
        c.add((s.user() == null ? "" : s.user() + "@") + s.host());
        c.add(remoteCommand);
        return c;
    }

    @Override
    public long mount(FsEntry fs, Path target, MountContext ctx) throws VsysException {
        Path log = ctx.installation().logFile(ctx.system());
        String t = target.toString();
        // sshfs mounts by path: the path must be the directory vsys made, reached without following
        // any symlink (a symlink put in its place would redirect the mount onto the host's files)
        try {
            org.vsys.linux.Posix posix = org.vsys.linux.Posix.get();
            posix.close(posix.openDirectoryNoFollow(t));
        } catch (org.vsys.linux.PosixException e) {
            throw new VsysException(ExitCode.UNSAFE, t, "mount point not reachable without following a symlink: " + e.reason(), e);
        }
        long logStart;
        Process p;
        try {
            Path state = ctx.installation().stateDir();
            if (!Files.isDirectory(state)) {
                Files.createDirectories(state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            logStart = Files.exists(log) ? Files.size(log) : 0;
            Path control = control(fs, ctx.installation().sshControl(ctx.system()));
            if (control != null) {
                Files.deleteIfExists(control); // left by an ssh that was killed: it would keep ssh from listening
            }
            List<String> cmd = command(fs, target, ctx.timeoutSeconds(), control);
            Files.writeString(log, SshfsTransport.stamp() + " " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.redirectErrorStream(true);
            ctx.debug("starting " + String.join(" ", cmd));
            p = pb.start();
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, t, "cannot start sshfs: " + e.getMessage(), e);
        }
        // sshfs mounts first and connects after: the mount is only good once a statfs through it
        // (which needs the SFTP session) answers. A probe child does that, bounded.
        long deadline = System.nanoTime() + (ctx.timeoutSeconds() + 3) * 1_000_000_000L;
        Process probe = null;
        try {
            while (true) {
                if (probe == null) {
                    MountTable.Mount m = MountTable.read().at(t);
                    if (m != null && m.fsType().startsWith("fuse.sshfs")) {
                        ctx.debug("sshfs pid " + p.pid() + " mounted " + t + "; checking the session");
                        probe = startProbe(t);
                    }
                } else if (!probe.isAlive()) {
                    if (probe.exitValue() == 0 && p.isAlive()) {
                        ctx.debug("sshfs session up");
                        return p.pid();
                    }
                    waitFor(p, 1000);
                    throw abandon(p, t, failure(fs, t, readFrom(log, logStart), false, ctx));
                }
                if (!p.isAlive()) {
                    throw abandon(p, t, failure(fs, t, readFrom(log, logStart), false, ctx));
                }
                if (System.nanoTime() > deadline) {
                    if (probe != null) {
                        probe.destroyForcibly();
                    }
                    throw abandon(p, t, failure(fs, t, readFrom(log, logStart), true, ctx));
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw abandon(p, t, new VsysException(ExitCode.MOUNT_FAILED, t, "interrupted"));
        } catch (IOException e) {
            throw abandon(p, t, new VsysException(ExitCode.INTERNAL, t, "cannot check the mount: " + e.getMessage(), e));
        }
    }

    private static Process startProbe(String target) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("stat", "-f", "-c", "%T", target);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    private static void waitFor(Process p, long millis) {
        try {
            p.waitFor(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A failed start: stop sshfs, detach whatever it mounted, and return the error to throw. */
    private static VsysException abandon(Process p, String target, VsysException e) {
        p.destroyForcibly();
        try {
            MountTable.Mount m = MountTable.read().at(target);
            if (m != null && m.fsType().startsWith("fuse.sshfs")) {
                org.vsys.linux.Posix.get().umount2(target, org.vsys.linux.Posix.MNT_DETACH | org.vsys.linux.Posix.UMOUNT_NOFOLLOW);
            }
        } catch (java.io.IOException | RuntimeException ignored) {
            // the caller's rollback unmounts everything under the system as well
        }
        return e;
    }

    static String stamp() {
        return java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    private static String readFrom(Path log, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len <= offset) {
                return "";
            }
            byte[] b = new byte[(int) Math.min(len - offset, 16384)];
            f.seek(offset);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Maps what ssh/sshfs said to an exit code and the most telling line. */
    static VsysException failure(FsEntry fs, String target, String log, boolean timedOut, MountContext ctx) {
        String what = fs.source().toString();
        String lines = log.lines().filter(l -> !l.isBlank() && !l.startsWith("20")).reduce((a, b) -> a + "\n" + b).orElse("");
        String lower = lines.toLowerCase(Locale.ROOT);
        String last = lines.isEmpty() ? "" : lines.substring(lines.lastIndexOf('\n') + 1).strip();
        String[][] table = {
            {"host key verification failed", "7"}, {"remote host identification has changed", "7"},
            {"no ed25519 host key is known", "7"}, {"host key is known", "7"}, {"permission denied", "7"},
            {"could not resolve hostname", "7"}, {"no such file or directory", "7"}, {"not a directory", "7"},
            {"connection refused", "8"}, {"connection timed out", "8"}, {"no route to host", "8"},
            {"network is unreachable", "8"}, {"operation timed out", "8"}, {"connection closed", "8"},
            {"read: connection reset by peer", "8"},
        };
        for (String[] row : table) {
            int i = lower.indexOf(row[0]);
            if (i >= 0) {
                int ls = lines.lastIndexOf('\n', i) + 1;
                int le = lines.indexOf('\n', i);
                String line = lines.substring(ls, le < 0 ? lines.length() : le).strip();
                ExitCode code = row[1].equals("7") ? ExitCode.BAD_SOURCE : ExitCode.UNREACHABLE;
                return new VsysException(code, what, line);
            }
        }
        if (timedOut) {
            return new VsysException(ExitCode.UNREACHABLE, what,
                    "sshfs did not mount within " + (ctx.timeoutSeconds() + 3) + " s" + (last.isEmpty() ? "" : ": " + last));
        }
        return new VsysException(ExitCode.MOUNT_FAILED, what,
                "sshfs failed" + (last.isEmpty() ? "" : ": " + last) + " (log " + ctx.installation().logFile(ctx.system()) + ")");
    }
}
