package org.vsys.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

import org.vsys.config.SystemRecord;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.mount.MountTable;
import org.vsys.store.Commit;
import org.vsys.store.Store;
import org.vsys.core.Snapshot;
import org.vsys.layer.Views;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "snapshot",
        description = {"Copy the system's current tree (from its mounted source) into the store R/.store as a new commit.",
            "Incremental: only files whose size or mtime changed are read again; a file whose owner, mode or "
                    + "extended attributes alone changed is rebuilt from the store. Progress on a terminal."})
final class SnapshotCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system.")
    String name;

    @Option(names = "--list", description = "List the system's commits, newest first, each with its parent (the commit it "
            + "was taken after; '(not in the store)' for a commit pulled alone), instead of taking one.")
    boolean list;

    @Option(names = "--with-layer", description = "A layered system: commit its tree with the layer's changes (R/NAME as the system sees it); "
            + "the commit's parent is the commit the layer lies over (else the latest).")
    boolean withLayer;

    @Override
    int execute() throws Exception {
        Views views = new Views(installation(), debug());
        SystemRecord rec = views.system(name);
        if (list) {
            list(views, rec);
            return 0;
        }
        if (rec.state() != SystemRecord.State.READY) {
            throw new VsysException(ExitCode.CORRUPT, name, "state is " + rec.state().word());
        }
        if (withLayer && !rec.layered()) {
            throw new VsysException(ExitCode.USAGE, name, "has no layer; --with-layer applies to a system made with --layer persistent");
        }
        // a layered system's own source is at R/.lower/NAME; R/NAME is the overlay (tree + layer)
        Path src = rec.layered() && !withLayer ? new org.vsys.core.Layer(installation(), rec.name()).lowerMount()
                : installation().systemDir(rec.name());
        if (!MountTable.read().isMountPoint(src.toString())) {
            throw new VsysException(ExitCode.UNHEALTHY, name, src + " is not mounted (see 'vsys status', 'vsys remount')");
        }
        String base = withLayer ? views.currentCommit(rec) : null;
        PrintWriter progress = System.console() != null ? new PrintWriter(System.err, true) : null;
        int threads = Integer.getInteger("vsys.snapshotThreads", Math.max(2, Runtime.getRuntime().availableProcessors() + 1));
        Snapshot.Result r = new Snapshot(views.store()).withParent(base).run(rec.name(), src,
                rec.root().source().toString(), threads, progress);
        out().println(r.summary(rec.name()));
        return 0;
    }

    private void list(Views views, SystemRecord rec) throws VsysException {
        String cur = views.currentCommit(rec);
        try {
            List<String> cs = views.store().commits(rec.name());
            for (int i = cs.size() - 1; i >= 0; i--) {
                Commit c = views.store().commit(cs.get(i));
                String parent = !c.hasParent() ? "-" : c.parent.substring(0, 12) + (views.store().has(c.parent, Store.COMMIT) ? "" : " (not in the store)");
                out().println(cs.get(i) + "  " + c.time + "  " + c.files + " files  " + c.bytes + " bytes  parent " + parent
                        + (cs.get(i).equals(cur) ? "  (in use)" : ""));
            }
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, rec.name(), "cannot read its commits: " + e.getMessage(), e);
        }
    }
}
