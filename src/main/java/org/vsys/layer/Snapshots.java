package org.vsys.layer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.SystemRecord;
import org.vsys.core.Layer;
import org.vsys.core.Snapshot;
import org.vsys.mount.MountTable;
import org.vsys.store.Commit;

/**
 * A system's snapshots, the use case of {@code vsys snapshot}: take one of its tree into the
 * store (after the checks: the system is ready, its source is mounted), or list its commits.
 */
public final class Snapshots {
    private final Installation inst;
    private final Views views;

    public Snapshots(Installation inst, Debug debug) {
        this.inst = inst;
        this.views = new Views(inst, debug);
    }

    /** One commit of a system: its id, the commit, and whether the system runs from it. */
    public record Entry(String id, Commit commit, boolean inUse) {
    }

    /** A snapshot taken: the system's name and what the store did. */
    public record Taken(String system, Snapshot.Result result) {
    }

    /** The system's commits, newest first. */
    public List<Entry> list(String name) throws VsysException {
        SystemRecord rec = views.system(name);
        String cur = views.currentCommit(rec);
        try {
            List<String> cs = views.store().commits(rec.name());
            List<Entry> out = new ArrayList<>(cs.size());
            for (int i = cs.size() - 1; i >= 0; i--) {
                out.add(new Entry(cs.get(i), views.store().commit(cs.get(i)), cs.get(i).equals(cur)));
            }
            return out;
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, rec.name(), "cannot read its commits: " + e.getMessage(), e);
        }
    }

    /**
     * Commits the system's current tree: a ready system whose source is mounted (a layered
     * system's own source at R/.lower/NAME, or with {@code withLayer} R/NAME as the system sees it,
     * the commit's parent then being the commit the layer lies over). {@code progress}: where the
     * ticker goes, or null. Threads: the system property vsys.snapshotThreads, else cores + 1.
     */
    public Taken take(String name, boolean withLayer, PrintWriter progress) throws VsysException {
        SystemRecord rec = views.system(name);
        if (rec.state() != SystemRecord.State.READY) {
            throw new VsysException(ExitCode.CORRUPT, name, "state is " + rec.state().word());
        }
        if (withLayer && !rec.layered()) {
            throw new VsysException(ExitCode.USAGE, name, "has no layer; --with-layer applies to a system made with --layer persistent");
        }
        // a layered system's own source is at R/.lower/NAME; R/NAME is the overlay (tree + layer)
        Path src = rec.layered() && !withLayer ? new Layer(inst, rec.name()).lowerMount() : inst.systemDir(rec.name());
        if (!MountTable.read().isMountPoint(src.toString())) {
            throw new VsysException(ExitCode.UNHEALTHY, name, src + " is not mounted (see 'vsys status', 'vsys remount')");
        }
        String base = withLayer ? views.currentCommit(rec) : null;
        int threads = Integer.getInteger("vsys.snapshotThreads", Math.max(2, Runtime.getRuntime().availableProcessors() + 1));
        // an ssh:// system's tree is walked and read on the remote, through its sshfs's ssh (RemoteTree)
        org.vsys.core.RemoteTree remote = withLayer ? null : org.vsys.core.RemoteTree.of(inst, rec, src);
        Snapshot.Result r = new Snapshot(views.store()).withParent(base).withRemote(remote).run(rec.name(), src,
                rec.root().source().toString(), threads, progress);
        return new Taken(rec.name(), r);
    }
}
