package org.vsys.core;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.Names;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountTable;

/**
 * {@code vsys status}: per filesystem whether it is mounted (from mountinfo, touching nothing) and
 * whether it answers ({@code stat -f} in child processes, all at once, killed at the bound, never
 * waited for after it; a file system on a local disk or in memory is checked in this process, see
 * {@link #LOCAL_TYPES}), plus the prepared namespace, the launcher link and the processes inside.
 */
public final class Health {

    public record FsState(String path, String source, String mountPoint, boolean mounted, String fsType,
            Boolean responsive) {
        public boolean healthy() {
            return mounted && Boolean.TRUE.equals(responsive);
        }
    }

    public record SystemState(String name, String state, List<FsState> filesystems, boolean namespace,
            boolean link, boolean launcher, List<Processes.Holder> processes, String problem) {
        public boolean healthy() {
            return problem == null;
        }
    }

    private Health() {
    }

    /**
     * {@code vsys status [NAME]}: the state of the system NAME names (a system or an alias of
     * one), or of every system when NAME is null.
     */
    public static List<SystemState> check(Installation inst, String name, long timeoutMillis) throws VsysException {
        Records records = new Records(inst);
        List<SystemRecord> recs = new ArrayList<>();
        if (name != null) {
            Names.check(name);
            String sys = name;
            AliasRecord a = records.alias(name);
            if (a != null) {
                sys = a.system();
            }
            SystemRecord r = records.system(sys);
            if (r == null) {
                throw new VsysException(ExitCode.NO_SUCH, name, "no such system or alias");
            }
            recs.add(r);
        } else {
            for (String n : records.systemNames()) {
                recs.add(records.system(n));
            }
        }
        return check(inst, recs, timeoutMillis);
    }

    /**
     * The filesystems of {@code rec} to mount again (restore, remount), in record order: those that
     * are not mounted or do not answer in {@code st}, and those that sat on one of them.
     */
    public static List<FsEntry> toRedo(SystemRecord rec, SystemState st) {
        List<FsEntry> redo = new ArrayList<>();
        for (int i = 0; i < rec.filesystems().size(); i++) {
            FsEntry fs = rec.filesystems().get(i);
            boolean bad = !st.filesystems().get(i).healthy();
            for (FsEntry r : redo) {
                if (r.path().equals("/") || fs.path().startsWith(r.path() + "/")) {
                    bad = true; // it sat on a filesystem that is redone
                }
            }
            if (bad) {
                redo.add(fs);
            }
        }
        return redo;
    }

    public static SystemState check(Installation inst, SystemRecord rec, long timeoutMillis) {
        return check(inst, List.of(rec), timeoutMillis).get(0);
    }

    public static List<SystemState> check(Installation inst, List<SystemRecord> recs, long timeoutMillis) {
        MountTable table = MountTable.read();
        // one index of the table for every look-up below (MountTable.at scans it: at 1000 systems,
        // 2000 look-ups of 2000 lines); the last mount at a point wins, as in MountTable.at
        Map<String, MountTable.Mount> at = new HashMap<>(table.mounts().size() * 2);
        for (MountTable.Mount m : table.mounts()) {
            at.put(m.mountPoint(), m);
        }
        // start every responsiveness probe first, then collect: the bound is for all of them together
        List<String[]> targets = new ArrayList<>(recs.size());
        List<Object[]> probes = new ArrayList<>(recs.size());
        for (SystemRecord rec : recs) {
            SystemMounts sm = new SystemMounts(inst, rec, Debug.off());
            String[] mps = new String[rec.filesystems().size()];
            Object[] ps = new Object[mps.length];
            for (int k = 0; k < mps.length; k++) {
                mps[k] = sm.target(rec.filesystems().get(k)).toString();
                MountTable.Mount m = at.get(mps[k]);
                ps[k] = m == null ? null : LOCAL_TYPES.contains(m.fsType()) ? (Object) localProbe(mps[k]) : probe(mps[k]);
            }
            targets.add(mps);
            probes.add(ps);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        List<String> names = new ArrayList<>();
        for (SystemRecord rec : recs) {
            names.add(rec.name());
        }
        List<List<Processes.Holder>> holders = Processes.using(inst, names);
        boolean launcher = Files.exists(inst.launcher(), LinkOption.NOFOLLOW_LINKS);
        List<SystemState> out = new ArrayList<>();
        for (int i = 0; i < recs.size(); i++) {
            SystemRecord rec = recs.get(i);
            List<FsState> fss = new ArrayList<>();
            String problem = null;
            for (int k = 0; k < rec.filesystems().size(); k++) {
                FsEntry fs = rec.filesystems().get(k);
                String mp = targets.get(i)[k];
                MountTable.Mount m = at.get(mp);
                Boolean responsive = null;
                Object p = probes.get(i)[k];
                if (p instanceof Boolean b) {
                    responsive = b;
                } else if (p != null) {
                    responsive = await((Process) p, deadline);
                }
                boolean mounted = m != null;
                if (k == 0 && rec.layered() && !new Layer(inst, rec.name()).mounted(table, rec)) {
                    mounted = false; // the root file system of a layered system is whole with its overlay at R/NAME only
                }
                FsState st = new FsState(fs.path(), fs.source().toString(), mp, mounted, m == null ? null : m.fsType(),
                        responsive);
                fss.add(st);
                if (problem == null && !st.mounted()) {
                    problem = fs.path() + " is not mounted";
                } else if (problem == null && !st.healthy()) {
                    problem = fs.path() + " is not responding (statfs failed or took more than " + timeoutMillis + " ms)";
                }
            }
            // the prepared view: the namespace bind (link=namespace) or the tree registered with the
            // vsyslink module (link=kmod)
            boolean ns = at.get(inst.nsFile(rec.name()).toString()) != null
                    || at.get(inst.kmodTree(rec.name()).toString()) != null;
            boolean link = Links.isOurs(inst.link(rec.name()));
            if (problem == null && rec.state() != SystemRecord.State.READY) {
                problem = "state is " + rec.state().word();
            }
            if (problem == null && !ns) {
                problem = "view not prepared (vsys remount " + rec.name() + ")";
            }
            if (problem == null && !link) {
                problem = "launcher link " + inst.link(rec.name()) + " missing";
            }
            out.add(new SystemState(rec.name(), rec.state().word(), fss, ns, link, launcher,
                    holders.get(i), problem));
        }
        return out;
    }

    /**
     * File systems on a local disk or in memory: their statfs answers from the kernel's own data
     * and cannot wait for a server, so they are checked here, in this process, instead of by a
     * child {@code stat -f} each (at 1000 local-tree systems, 1000 child processes were nearly all
     * of {@code vsys status}'s time). Everything else (nfs, nfs4, fuse.*, cifs, overlay, which
     * may sit on a remote, and any type not listed) keeps its child probe killed at the bound.
     */
    static final Set<String> LOCAL_TYPES = Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "vfat", "exfat",
            "tmpfs", "jfs", "reiserfs", "bcachefs");

    /** The in-process check of a local mount point: it answers (its root can be stat'ed as a directory). */
    static boolean localProbe(String mountPoint) {
        try {
            return Files.readAttributes(Path.of(mountPoint), BasicFileAttributes.class).isDirectory();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Process probe(String mountPoint) {
        try {
            ProcessBuilder pb = new ProcessBuilder("stat", "-f", "-c", "%T", mountPoint);
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            return pb.start();
        } catch (IOException e) {
            return null;
        }
    }

    /** True if the probe ended well before the deadline; a late probe is killed and not waited for. */
    static boolean await(Process p, long deadline) {
        long sleep = 1;
        while (p.isAlive()) {
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                return false;
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                return false;
            }
            sleep = Math.min(sleep * 2, 10);
        }
        return p.exitValue() == 0;
    }
}
