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

    /**
     * {@code onDemand}: a system served to autofs ({@link Automap}), state "on demand, mounted" or
     * "on demand, not mounted"; it has no view or link of its own, and not mounted is healthy.
     */
    public record SystemState(String name, String state, List<FsState> filesystems, boolean namespace,
            boolean link, boolean launcher, List<Processes.Holder> processes, String problem, boolean onDemand) {
        public SystemState(String name, String state, List<FsState> filesystems, boolean namespace,
                boolean link, boolean launcher, List<Processes.Holder> processes, String problem) {
            this(name, state, filesystems, namespace, link, launcher, processes, problem, false);
        }

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
                Automap.Entry e = Automap.read(inst, sys);
                if (e == null) {
                    throw new VsysException(ExitCode.NO_SUCH, name, "no such system or alias");
                }
                return onDemand(inst, List.of(e), timeoutMillis);
            }
            recs.add(r);
        } else {
            for (String n : records.systemNames()) {
                recs.add(records.system(n));
            }
        }
        List<SystemState> out = check(inst, recs, timeoutMillis);
        if (name == null) {
            List<Automap.Entry> served = new ArrayList<>();
            for (Automap.Entry e : Automap.all(inst).values()) {
                if (!records.systemExists(e.name())) {
                    served.add(e);
                }
            }
            if (!served.isEmpty()) {
                out = new ArrayList<>(out);
                out.addAll(onDemand(inst, served, timeoutMillis));
                out.sort((a, b) -> a.name().compareTo(b.name()));
            }
        }
        return out;
    }

    /**
     * The states of systems served on demand: from the mount table only, never a path under
     * {@code R/.auto} that is not mounted (looking one up makes autofs mount it, through its
     * server). A mounted one is probed like any mount (a child {@code stat -f} killed at the
     * bound); not mounted is healthy ("on demand, not mounted").
     */
    static List<SystemState> onDemand(Installation inst, List<Automap.Entry> entries, long timeoutMillis) {
        MountTable table = MountTable.read();
        List<List<MountTable.Mount>> mounts = new ArrayList<>();
        List<Object[]> probes = new ArrayList<>();
        for (Automap.Entry e : entries) {
            List<MountTable.Mount> ms = new ArrayList<>();
            for (MountTable.Mount m : table.atOrUnder(Automap.mountPoint(inst, e).toString())) {
                if (!m.fsType().equals("autofs")) {
                    ms.add(m); // an autofs offset trigger of a multi-mount is not a filesystem of the system
                }
            }
            Object[] ps = new Object[ms.size()];
            for (int k = 0; k < ps.length; k++) {
                String mp = ms.get(k).mountPoint();
                ps[k] = LOCAL_TYPES.contains(ms.get(k).fsType()) ? (Object) localProbe(mp) : probe(mp);
            }
            mounts.add(ms);
            probes.add(ps);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        boolean launcher = Files.exists(inst.launcher(), LinkOption.NOFOLLOW_LINKS);
        List<SystemState> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Automap.Entry e = entries.get(i);
            String top = Automap.mountPoint(inst, e).toString();
            List<FsState> fss = new ArrayList<>();
            String problem = null;
            for (int k = 0; k < mounts.get(i).size(); k++) {
                MountTable.Mount m = mounts.get(i).get(k);
                Object p = probes.get(i)[k];
                Boolean responsive = p instanceof Boolean b ? b : p == null ? Boolean.FALSE : await((Process) p, deadline);
                String path = m.mountPoint().equals(top) ? "/" : m.mountPoint().substring(top.length());
                fss.add(new FsState(path, path.equals("/") ? e.sourceOrLocation() : m.source(), m.mountPoint(), true,
                        m.fsType(), responsive));
                if (problem == null && !responsive) {
                    problem = path + " is not responding (statfs failed or took more than " + timeoutMillis + " ms)";
                }
            }
            boolean mounted = !fss.isEmpty();
            if (!mounted) {
                fss.add(new FsState("/", e.sourceOrLocation(), top, false, null, null));
            }
            List<Processes.Holder> holders = mounted ? Processes.usingDir(Path.of(top)) : List.of();
            out.add(new SystemState(e.name(), mounted ? "on demand, mounted" : "on demand, not mounted", fss, false,
                    Links.isOurs(inst.link(e.name())), launcher, holders, problem, true));
        }
        return out;
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
