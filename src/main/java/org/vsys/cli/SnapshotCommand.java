package org.vsys.cli;

import java.io.PrintWriter;

import org.vsys.layer.Snapshots;
import org.vsys.store.Commit;
import org.vsys.store.Store;

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
        Snapshots snapshots = new Snapshots(installation(), debug());
        if (list) {
            Store store = Store.of(installation());
            for (Snapshots.Entry e : snapshots.list(name)) {
                Commit c = e.commit();
                String parent = !c.hasParent() ? "-" : c.parent.substring(0, 12) + (store.has(c.parent, Store.COMMIT) ? "" : " (not in the store)");
                out().println(e.id() + "  " + c.time + "  " + c.files + " files  " + c.bytes + " bytes  parent " + parent
                        + (e.inUse() ? "  (in use)" : ""));
            }
            return 0;
        }
        return take(snapshots, out(), name, withLayer);
    }

    /** {@code vsys snapshot NAME} (also Main's fast path, without the picocli model): takes one, prints its summary. */
    static int take(org.vsys.config.Installation inst, org.vsys.base.Debug debug, PrintWriter out, String name, boolean withLayer)
            throws org.vsys.base.VsysException {
        return take(new Snapshots(inst, debug), out, name, withLayer);
    }

    private static int take(Snapshots snapshots, PrintWriter out, String name, boolean withLayer) throws org.vsys.base.VsysException {
        PrintWriter progress = System.console() != null ? new PrintWriter(System.err, true) : null;
        Snapshots.Taken t = snapshots.take(name, withLayer, progress);
        out.println(t.result().summary(t.system()));
        return 0;
    }
}
