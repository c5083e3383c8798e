package org.vsys.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

/**
 * The kernel NFS client through {@code mount -t nfs} (mount.nfs). Options are the global
 * {@code nfs.options} of vsys.conf, overridden by the filesystem's own, plus ro/rw and
 * nosuid,nodev unless asked; the NFS version is negotiated by mount.nfs unless {@code vers=} is set.
 */
public final class NfsTransport implements Transport {

    /** Checks the kernel and the tools before anything changes (exit 9 with what to do). */
    public static void checkSupport(String system) throws VsysException {
        if (!kernelHasNfs()) {
            throw new VsysException(ExitCode.UNSUPPORTED, system,
                    "this kernel has no NFS client (nfs missing from /proc/filesystems); load it with 'modprobe nfs' "
                            + "or boot a kernel with CONFIG_NFS_FS");
        }
        if (ChildProcess.which("mount.nfs") == null) {
            throw new VsysException(ExitCode.UNSUPPORTED, system, "mount.nfs is not installed (apt-get install nfs-common)");
        }
    }

    static boolean kernelHasNfs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/filesystems"), StandardCharsets.UTF_8)) {
                String fs = line.substring(line.indexOf('\t') + 1).trim();
                if (fs.equals("nfs") || fs.equals("nfs4")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        // not loaded yet: mount.nfs loads the module itself if modprobe can find it
        try {
            return ChildProcess.run(List.of("modprobe", "-n", "-q", "nfs"), 3000).ok();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The server's export list ({@code showmount -e --no-headers}), bounded in time: exit 7 for an
     * unknown host, 8 when the server does not answer.
     */
    public static List<String> exports(String host, MountContext ctx) throws VsysException {
        if (ChildProcess.which("showmount") == null) {
            throw new VsysException(ExitCode.UNSUPPORTED, host, "showmount is not installed (apt-get install nfs-common)");
        }
        resolve(host, ctx);
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(List.of("showmount", "-e", "--no-headers", host), ctx.timeoutMillis());
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, host, "cannot run showmount: " + e.getMessage(), e);
        }
        if (r.timedOut()) {
            throw new VsysException(ExitCode.UNREACHABLE, host,
                    "no answer to showmount -e within " + ctx.timeoutSeconds() + " s");
        }
        if (r.status() != 0) {
            String why = r.lastLine();
            if (why.contains("Unknown host") || why.contains("unknown host")) {
                throw new VsysException(ExitCode.BAD_SOURCE, host, "unknown host");
            }
            throw new VsysException(ExitCode.UNREACHABLE, host, "cannot list exports: " + why);
        }
        return parseExports(r.out());
    }

    /** Export paths from showmount output, one export per line: {@code /path  client,client}. */
    public static List<String> parseExports(String out) {
        List<String> paths = new ArrayList<>();
        for (String line : out.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || !l.startsWith("/")) {
                continue;
            }
            int sp = l.indexOf(' ');
            int tab = l.indexOf('\t');
            int end = sp < 0 ? tab : (tab < 0 ? sp : Math.min(sp, tab));
            String p = end < 0 ? l : l.substring(0, end);
            if (!paths.contains(p)) {
                paths.add(p);
            }
        }
        return paths;
    }

    /** Global defaults overridden by per-filesystem options; hard/soft and X/noX replace each other. */
    public static String options(FsEntry fs, String globalDefaults) {
        Map<String, String> m = new LinkedHashMap<>();
        add(m, fs.readOnly() ? "ro" : "rw");
        add(m, fs.suid() ? "suid" : "nosuid");
        add(m, fs.dev() ? "dev" : "nodev");
        if (globalDefaults != null && !globalDefaults.isEmpty()) {
            for (String o : globalDefaults.split(",")) {
                if (!o.isEmpty() && !isAccess(o)) {
                    add(m, o);
                }
            }
        }
        for (String o : fs.transportOptions()) {
            add(m, o);
        }
        return String.join(",", m.values());
    }

    private static boolean isAccess(String o) {
        return o.equals("ro") || o.equals("rw") || o.equals("suid") || o.equals("nosuid") || o.equals("dev")
                || o.equals("nodev");
    }

    private static void add(Map<String, String> m, String opt) {
        String key = opt.contains("=") ? opt.substring(0, opt.indexOf('=')) : opt;
        if (key.equals("soft") || key.equals("hard") || key.equals("softerr")) {
            key = "hard";
        } else if (key.equals("rw")) {
            key = "ro";
        } else if (key.startsWith("no") && !opt.contains("=")) {
            key = key.substring(2);
        }
        if (key.equals("nfsvers") || key.equals("vers")) {
            key = "vers";
        }
        m.put(key, opt); // an override keeps the place of what it replaces
    }

    static boolean isVersion3(String opts) {
        return hasOption(opts, "vers=3") || hasOption(opts, "nfsvers=3") || hasOption(opts, "v3");
    }

    static boolean hasOption(String opts, String o) {
        for (String x : opts.split(",")) {
            if (x.equals(o)) {
                return true;
            }
        }
        return false;
    }

    /**
     * NFSv3 locks go through the server's lock manager (NLM). A server without one accepts the
     * mount, and then the first flock or fcntl lock (dpkg, git, make) hangs on a hard mount. So
     * when version 3 is asked for and neither lock nor nolock is given, ask the server's rpcbind
     * (bounded) whether it offers nlockmgr, and add nolock (locks then stay local) when it does not.
     * NFSv4 carries locking in the protocol and needs none of this.
     */
    static String withLockDefault(String opts, String host, MountContext ctx) {
        if (!isVersion3(opts) || hasOption(opts, "nolock") || hasOption(opts, "lock")
                || ChildProcess.which("rpcinfo") == null) {
            return opts;
        }
        try {
            ChildProcess.Result r = ChildProcess.run(List.of("rpcinfo", "-T", "tcp", host, "nlockmgr"),
                    ctx.timeoutMillis());
            if (!r.timedOut() && r.status() != 0) {
                ctx.debug(host + " offers no NFS lock manager (nlockmgr): adding nolock");
                return opts + ",nolock";
            }
        } catch (IOException e) {
            ctx.debug("rpcinfo: " + e.getMessage());
        }
        return opts;
    }

    static String spec(SourceUrl s) {
        return s.hostForPath() + ":" + s.path();
    }

    @Override
    public void check(FsEntry fs, MountContext ctx) throws VsysException {
        checkSupport(ctx.system());
        resolve(fs.source().host(), ctx);
    }

    /** Bounded host name lookup: unknown is exit 7, no answer in time exit 8. */
    static void resolve(String host, MountContext ctx) throws VsysException {
        if (host.indexOf(':') >= 0 || host.matches("[0-9.]+")) {
            return;
        }
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(List.of("getent", "ahosts", host), ctx.timeoutMillis());
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, host, "cannot run getent: " + e.getMessage(), e);
        }
        if (r.timedOut()) {
            throw new VsysException(ExitCode.UNREACHABLE, host, "host name lookup did not answer within " + ctx.timeoutSeconds() + " s");
        }
        if (r.status() != 0) {
            throw new VsysException(ExitCode.BAD_SOURCE, host, "unknown host");
        }
    }

    @Override
    public long mount(FsEntry fs, Path target, MountContext ctx) throws VsysException {
        // mount(8) mounts by path: the path must be the directory vsys made, reached without
        // following any symlink (a symlink put in its place would redirect the mount onto the host)
        try {
            org.vsys.linux.Posix posix = org.vsys.linux.Posix.get();
            posix.close(posix.openDirectoryNoFollow(target.toString()));
        } catch (org.vsys.linux.PosixException e) {
            throw new VsysException(ExitCode.UNSAFE, target.toString(),
                    "mount point not reachable without following a symlink: " + e.reason(), e);
        }
        String opts = withLockDefault(options(fs, ctx.config().nfsOptions()), fs.source().host(), ctx);
        List<String> cmd = List.of("mount", "-t", "nfs", "-o", opts, spec(fs.source()), target.toString());
        ctx.debug(String.join(" ", cmd));
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(cmd, ctx.timeoutMillis());
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, target.toString(), "cannot run mount: " + e.getMessage(), e);
        }
        String what = fs.source().toString();
        if (r.timedOut()) {
            // the killed mount.nfs may still have completed: the caller's rollback unmounts what is there
            String hint = isVersion3(opts) && !hasOption(opts, "nolock")
                    ? " (NFSv3 locking needs rpc.statd on this machine: is rpcbind running? or add nolock)" : "";
            throw new VsysException(ExitCode.UNREACHABLE, what,
                    "mount did not complete within " + ctx.timeoutSeconds() + " s" + hint);
        }
        if (r.status() != 0) {
            String why = r.lastLine();
            String low = why.toLowerCase(java.util.Locale.ROOT);
            ExitCode code = ExitCode.MOUNT_FAILED;
            if (low.contains("no such file") || low.contains("access denied") || low.contains("not exported")
                    || low.contains("failed to resolve") || low.contains("invalid")) {
                code = ExitCode.BAD_SOURCE;
            } else if (low.contains("timed out") || low.contains("refused") || low.contains("unreachable")
                    || low.contains("no route")) {
                code = ExitCode.UNREACHABLE;
            }
            throw new VsysException(code, what, why.isEmpty() ? "mount failed with status " + r.status() : why);
        }
        return 0;
    }
}
