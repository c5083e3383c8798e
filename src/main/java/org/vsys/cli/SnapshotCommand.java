package org.vsys.cli;

import java.io.PrintWriter;

import org.vsys.layer.Snapshots;

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

    @Option(names = "--list", description = "List the system's commits, newest first, instead of taking one.")
    boolean list;

    @Option(names = "--with-layer", description = "A layered system: commit its tree with the layer's changes (R/NAME as the system sees it); "
            + "the commit's parent is the commit the layer lies over (else the latest).")
    boolean withLayer;

    @Override
    int execute() throws Exception {
        Snapshots snapshots = new Snapshots(installation(), debug());
        if (list) {
            for (Snapshots.Entry e : snapshots.list(name)) {
                out().println(e.id() + "  " + e.commit().time + "  " + e.commit().files + " files  " + e.commit().bytes + " bytes"
                        + (e.inUse() ? "  (in use)" : ""));
            }
            return 0;
        }
        PrintWriter progress = System.console() != null ? new PrintWriter(System.err, true) : null;
        Snapshots.Taken t = snapshots.take(name, withLayer, progress);
        out().println(t.result().summary(t.system()));
        return 0;
    }
}
