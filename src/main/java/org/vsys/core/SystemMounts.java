package org.vsys.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vsys.base.AtomicFile;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.SystemRecord;
import org.vsys.linux.Errno;
import org.vsys.linux.Posix;
import org.vsys.linux.PosixException;
import org.vsys.mount.MountTable;
import org.vsys.mount.UnmountPlan;

/** The mounts of one system on the host: where they go, taking them down, and their helper daemons. */
public final class SystemMounts {
    private final Installation inst;
    private final String name;
    private final Debug debug;
    /** The record when the system has a persistent layer (its root file system is then at R/.lower/NAME), else null. */
    private final SystemRecord layered;
    /** Where the record puts the tree: true R/.private/NAME, false R/NAME, null (no record) whichever exists. */
    private final Boolean restricted;

    public SystemMounts(Installation inst, String name, Debug debug) {
        this.inst = inst;
        this.name = name;
        this.debug = debug;
        this.layered = null;
        this.restricted = null;
    }

    /** The mounts of the system of {@code rec}, with its layer if it has one. */
    public SystemMounts(Installation inst, SystemRecord rec, Debug debug) {
        this.inst = inst;
        this.name = rec.name();
        this.debug = debug;
        this.layered = rec.layered() ? rec : null;
        this.restricted = rec.restricted();
    }

    public Path dir() {
        return restricted == null ? inst.systemDir(name) : inst.systemDir(name, restricted);
    }

    /** Where {@code fs} is mounted: R/NAME/PATH; the root file system of a layered system at R/.lower/NAME. */
    public Path target(FsEntry fs) {
        if (fs.path().equals("/")) {
            return layered != null ? new Layer(inst, name).lowerMount() : dir();
        }
        return dir().resolve(fs.path().substring(1));
    }

    /**
     * A nested mount point must already be a real directory in the mounted tree, reached without
     * following any symlink (a symlink in a remote tree must never redirect a mount onto the host).
     */
    public void checkMountPoint(FsEntry fs) throws VsysException {
        Path p = dir();
        for (Path part : Path.of(fs.path().substring(1))) {
            p = p.resolve(part);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw new VsysException(ExitCode.BAD_SOURCE, name,
                        "mount point " + fs.path() + " does not exist in the system's tree (" + p + ")");
            }
            if (a.isSymbolicLink()) {
                throw new VsysException(ExitCode.UNSAFE, name,
                        "mount point " + fs.path() + " goes through a symlink in the system's tree (" + p + ")");
            }
            if (!a.isDirectory()) {
                throw new VsysException(ExitCode.BAD_SOURCE, name, "mount point " + fs.path() + " is not a directory (" + p + ")");
            }
        }
    }

    /** True if anything is mounted at or under the system's directory. */
    public boolean anyMounted() {
        return !MountTable.read().atOrUnder(dir().toString()).isEmpty();
    }

    /**
     * Unmounts everything at or under {@code under} (a directory of this system), children first.
     * Without {@code detach} a busy mount stops it with exit 11 naming the holder; with it, the
     * tops of the mounted subtrees are detached lazily (MNT_DETACH takes every child along), so
     * that no path under a possibly dead NFS mount is ever looked up.
     */
    public void unmountAll(String under, boolean detach) throws VsysException {
        Posix posix = Posix.get();
        for (int round = 0; round < 8; round++) {
            MountTable table = MountTable.read();
            List<MountTable.Mount> plan = detach ? UnmountPlan.tops(table, under) : UnmountPlan.of(table, under);
            if (plan.isEmpty()) {
                return;
            }
            for (MountTable.Mount m : plan) {
                String mp = m.mountPoint();
                try {
                    posix.umount2(mp, Posix.UMOUNT_NOFOLLOW | (detach ? Posix.MNT_DETACH : 0));
                    debug.line((detach ? "detached " : "unmounted ") + mp + " (" + m.fsType() + ")");
                } catch (PosixException e) {
                    if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                        continue; // already gone (propagation, or a parent went first): the next round re-reads
                    }
                    if (e.errno() == Errno.EBUSY) {
                        List<Processes.Holder> h = Processes.using(inst, name);
                        throw new VsysException(ExitCode.BUSY, name, "cannot unmount " + mp + ": busy"
                                + (h.isEmpty() ? "" : ": " + Processes.describe(h)) + "; use --force to detach it lazily");
                    }
                    throw new VsysException(ExitCode.MOUNT_FAILED, name, "cannot unmount " + mp + ": " + e.reason(), e);
                }
            }
        }
        if (!MountTable.read().atOrUnder(under).isEmpty()) {
            throw new VsysException(ExitCode.MOUNT_FAILED, name, "mounts remain under " + under + " after 8 rounds of unmounting");
        }
    }

    /** Helper daemons recorded in {@code R/.state/<name>.pid}: mount point to pid, in file order. */
    public Map<String, Long> helpers() {
        Map<String, Long> out = new LinkedHashMap<>();
        Path f = inst.pidFile(name);
        try {
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                return out;
            }
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                int sp = line.lastIndexOf(' ');
                if (sp > 0) {
                    try {
                        out.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
                    } catch (NumberFormatException e) {
                        // skip a damaged line
                    }
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    public void writeHelpers(Map<String, Long> helpers) throws VsysException {
        Path f = inst.pidFile(name);
        try {
            if (helpers.isEmpty()) {
                // no helper left: its pid file, its log (sshfs's own output) and its ssh's control socket go with it
                Files.deleteIfExists(f);
                Files.deleteIfExists(inst.logFile(name));
                Files.deleteIfExists(inst.sshControl(name));
                return;
            }
            Files.createDirectories(inst.stateDir());
            StringBuilder b = new StringBuilder();
            helpers.forEach((mp, pid) -> b.append(mp).append(' ').append(pid).append('\n'));
            AtomicFile.write(f, b.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, f.toString(), "cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * Stops a recorded helper if that pid is still the sshfs we started for {@code mountPoint}
     * (its command line names both), SIGTERM then SIGKILL after one second.
     */
    public void stopHelper(String mountPoint, long pid) {
        Optional<ProcessHandle> ph = ProcessHandle.of(pid);
        if (ph.isEmpty() || !ph.get().isAlive()) {
            return;
        }
        String cmdline;
        try {
            cmdline = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return;
        }
        if (cmdline.isEmpty()) {
            debug.line("sshfs pid " + pid + " has exited");
            return; // a zombie waiting for its parent: nothing to stop
        }
        List<String> args = List.of(cmdline.split("\0"));
        if (args.stream().noneMatch(a -> a.endsWith("sshfs")) || !args.contains(mountPoint)) {
            debug.line("pid " + pid + " is no longer our sshfs; left alone");
            return;
        }
        ProcessHandle h = ph.get();
        h.destroy();
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (h.isAlive() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (h.isAlive()) {
            h.destroyForcibly();
        }
        debug.line("stopped sshfs pid " + pid);
    }

    public void stopHelpers() {
        for (Map.Entry<String, Long> e : helpers().entrySet()) {
            stopHelper(e.getKey(), e.getValue());
        }
    }

    /**
     * Makes the (empty) mount point {@link #dir()}, mode 0755; for a restricted system first
     * {@code R/.private}, root's, mode 0700 (refused when something else is there).
     */
    public void makeDir() throws VsysException {
        Path d = dir();
        try {
            if (d.getParent().equals(inst.privateRoot())) {
                Path p = inst.privateRoot();
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        || (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0) {
                    throw new VsysException(ExitCode.UNSAFE, p.toString(), "is not a directory of root's; left alone");
                }
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            }
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, d.toString(), "cannot create: " + e.getMessage(), e);
        }
    }

    /**
     * Puts the tree where the record calls for ({@link #dir()}) when it is mounted at the other
     * place ({@code R/NAME} against {@code R/.private/NAME}): users= or groups= were set or cleared.
     * A recursive bind at the new place first, then the old one detached and its directory removed
     * (rmdir); each step is checked against the mount table, so a later run finishes an interrupted
     * one. Helpers (sshfs) keep serving the moved mounts. Returns true if anything changed.
     */
    public boolean place() throws VsysException {
        if (restricted == null) {
            return false;
        }
        Path want = dir();
        Path other = inst.systemDir(name, !restricted);
        if (!Files.exists(other, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        MountTable table = MountTable.read();
        Posix posix = Posix.get();
        if (table.isMountPoint(other.toString())) {
            if (!table.isMountPoint(want.toString())) {
                if (!Files.exists(want, LinkOption.NOFOLLOW_LINKS)) {
                    makeDir();
                }
                Steps.reach("place.dir");
                try {
                    posix.mount(other.toString(), want.toString(), null, Posix.MS_BIND | Posix.MS_REC, null);
                } catch (PosixException e) {
                    throw new VsysException(ExitCode.MOUNT_FAILED, name, "cannot bind " + other + " on " + want + ": " + e.reason(), e);
                }
                debug.line("bound " + other + " on " + want);
            }
            Steps.reach("place.bound");
            try {
                posix.umount2(other.toString(), Posix.UMOUNT_NOFOLLOW | Posix.MNT_DETACH);
            } catch (PosixException e) {
                throw new VsysException(ExitCode.MOUNT_FAILED, name, "cannot detach " + other + ": " + e.reason(), e);
            }
            debug.line("detached " + other);
        }
        Steps.reach("place.detached");
        if (!MountTable.read().isMountPoint(other.toString())) {
            try {
                posix.rmdir(other.toString());
            } catch (PosixException e) {
                throw new VsysException(ExitCode.UNSAFE, other.toString(), "cannot remove: " + e.reason() + "; left in place for the admin");
            }
        }
        return true;
    }

    /** Removes the system's directory: rmdir only, and only when nothing is mounted on it. */
    public void removeDir() throws VsysException {
        Path d = dir();
        if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            throw new VsysException(ExitCode.UNSAFE, d.toString(), "is not a directory; left alone");
        }
        if (MountTable.read().isMountPoint(d.toString())) {
            throw new VsysException(ExitCode.MOUNT_FAILED, d.toString(), "still a mount point; not removed");
        }
        try {
            Posix.get().rmdir(d.toString());
        } catch (PosixException e) {
            if (e.errno() == Errno.ENOTEMPTY || e.errno() == Errno.EEXIST) {
                throw new VsysException(ExitCode.UNSAFE, d.toString(),
                        "not empty after unmounting (files were written under the mount point); left in place for the admin");
            }
            throw new VsysException(ExitCode.INTERNAL, d.toString(), "rmdir failed: " + e.reason(), e);
        }
    }

    /**
     * Removes the view's per-system {@code R/.var/<name>/tmp} and {@code R/.var/<name>} when they are
     * empty (rmdir only: files users left in the system's /var/tmp stay, and so do the directories).
     */
    public void removeLocalTmpIfEmpty() {
        Path var = inst.root().resolve(".var").resolve(name);
        for (Path d : List.of(var.resolve("tmp"), var)) {
            try {
                Posix.get().rmdir(d.toString());
            } catch (PosixException e) {
                debug.line("left " + d + ": " + e.reason());
            }
        }
    }

    /**
     * Mounts the filesystems of {@code redo} (in record order) again: first each is taken down,
     * deepest first and lazily, its sshfs helper stopped (for the root file system of a layered
     * system, the overlay at R/NAME first), then step {@code unmountedStep} is reached, then each
     * is mounted anew (the overlay right after the root file system) and {@code mounted} told.
     * The helper pid file follows every change, so a kill at any point leaves it true.
     */
    public void remount(List<FsEntry> redo, org.vsys.mount.MountContext ctx, String unmountedStep,
            java.util.function.Consumer<FsEntry> mounted) throws VsysException {
        boolean root = redo.stream().anyMatch(f -> f.path().equals("/"));
        remount(redo, root && layered != null, ctx, unmountedStep, () -> { }, mounted);
    }

    /** Something done while a layered system's overlay is down (reset, the swap of a switch). */
    @FunctionalInterface
    public interface WhileDown {
        void run() throws VsysException;
    }

    /**
     * Takes down the overlay of a layered system with the file systems mounted on it, runs
     * {@code whileDown}, then mounts the overlay of {@code rec} (its layer as it is now: a new
     * generation or lower tree) and those file systems again. The root file system stays mounted.
     */
    public void remountLayer(SystemRecord rec, org.vsys.mount.MountContext ctx, WhileDown whileDown) throws VsysException {
        if (!rec.layered()) {
            throw new IllegalArgumentException(name + " has no layer");
        }
        List<FsEntry> nested = new ArrayList<>(rec.filesystems().subList(1, rec.filesystems().size()));
        new SystemMounts(inst, rec, debug).remount(nested, true, ctx, "layer.unmounted", whileDown, fs -> { });
    }

    private void remount(List<FsEntry> redo, boolean overlay, org.vsys.mount.MountContext ctx, String unmountedStep,
            WhileDown whileDown, java.util.function.Consumer<FsEntry> mounted) throws VsysException {
        Map<String, Long> helpers = new LinkedHashMap<>(helpers());
        for (int i = redo.size() - 1; i >= 0; i--) {
            if (overlay && redo.get(i).path().equals("/")) {
                unmountAll(dir().toString(), true);
            }
            String mp = target(redo.get(i)).toString();
            unmountAll(mp, true);
            Long pid = helpers.remove(mp);
            if (pid != null) {
                stopHelper(mp, pid);
            }
        }
        if (overlay) {
            unmountAll(dir().toString(), true);
        }
        writeHelpers(helpers);
        Steps.reach(unmountedStep);
        whileDown.run();
        Layer layer = new Layer(inst, name);
        boolean overlayUp = !overlay;
        for (FsEntry fs : redo) {
            if (!overlayUp && !fs.path().equals("/")) {
                layer.mount(layered, debug);
                overlayUp = true;
            }
            if (!fs.path().equals("/")) {
                checkMountPoint(fs);
            } else if (layered != null) {
                layer.makeLowerMount();
            }
            Path target = target(fs);
            long pid = org.vsys.mount.Transport.of(fs.source().kind()).mount(fs, target, ctx);
            if (pid > 0) {
                helpers.put(target.toString(), pid);
                writeHelpers(helpers);
            }
            mounted.accept(fs);
        }
        if (!overlayUp) {
            layer.mount(layered, debug);
        }
    }

    public List<String> helperMountPoints() {
        return new ArrayList<>(helpers().keySet());
    }
}
