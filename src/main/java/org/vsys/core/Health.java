package org.vsys.core;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.List;

import org.vsys.config.FsEntry;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountTable;

/**
 * {@code vsys status}: per filesystem whether it is mounted (from mountinfo, touching nothing) and
 * whether it answers ({@code stat -f} in child processes, all at once, killed at the bound, never
 * waited for after it), plus the prepared namespace, the launcher link and the processes inside.
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

    public static SystemState check(Installation inst, SystemRecord rec, long timeoutMillis) {
        return check(inst, List.of(rec), timeoutMillis).get(0);
    }

    public static List<SystemState> check(Installation inst, List<SystemRecord> recs, long timeoutMillis) {
        MountTable table = MountTable.read();
        // start every responsiveness probe first, then collect: the bound is for all of them together
        List<List<Process>> probes = new ArrayList<>();
        for (SystemRecord rec : recs) {
            SystemMounts sm = new SystemMounts(inst, rec.name(), Debug.off());
            List<Process> ps = new ArrayList<>();
            for (FsEntry fs : rec.filesystems()) {
                String mp = sm.target(fs).toString();
                ps.add(table.at(mp) == null ? null : probe(mp));
            }
            probes.add(ps);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        List<java.nio.file.Path> dirs = new ArrayList<>();
        List<java.nio.file.Path> nss = new ArrayList<>();
        for (SystemRecord rec : recs) {
            dirs.add(inst.systemDir(rec.name()));
            nss.add(inst.nsFile(rec.name()));
        }
        List<List<Processes.Holder>> holders = Processes.using(dirs, nss);
        List<SystemState> out = new ArrayList<>();
        for (int i = 0; i < recs.size(); i++) {
            SystemRecord rec = recs.get(i);
            SystemMounts sm = new SystemMounts(inst, rec.name(), Debug.off());
            List<FsState> fss = new ArrayList<>();
            String problem = null;
            for (int k = 0; k < rec.filesystems().size(); k++) {
                FsEntry fs = rec.filesystems().get(k);
                String mp = sm.target(fs).toString();
                MountTable.Mount m = table.at(mp);
                Boolean responsive = null;
                Process p = probes.get(i).get(k);
                if (p != null) {
                    responsive = await(p, deadline);
                }
                FsState st = new FsState(fs.path(), fs.source().toString(), mp, m != null, m == null ? null : m.fsType(),
                        responsive);
                fss.add(st);
                if (problem == null && !st.mounted()) {
                    problem = fs.path() + " is not mounted";
                } else if (problem == null && !st.healthy()) {
                    problem = fs.path() + " is not responding (statfs failed or took more than " + timeoutMillis + " ms)";
                }
            }
            boolean ns = table.at(inst.nsFile(rec.name()).toString()) != null;
            boolean link = Links.isOurs(inst.link(rec.name()));
            boolean launcher = Files.exists(inst.launcher(), LinkOption.NOFOLLOW_LINKS);
            if (problem == null && rec.state() != SystemRecord.State.READY) {
                problem = "state is " + rec.state().word();
            }
            if (problem == null && !ns) {
                problem = "namespace not prepared (vsys remount " + rec.name() + ")";
            }
            if (problem == null && !link) {
                problem = "launcher link " + inst.link(rec.name()) + " missing";
            }
            out.add(new SystemState(rec.name(), rec.state().word(), fss, ns, link, launcher,
                    holders.get(i), problem));
        }
        return out;
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
