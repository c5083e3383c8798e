package org.vsys.cli;


import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.core.Gc;
import org.vsys.layer.Views;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gc",
        description = {"Remove from the store what no commit, no system's view and no running process needs.",
            "Checkouts still used by running processes, and everything they reach, are kept."})
final class GcCommand extends VsysCommand {

    @Option(names = "--keep", paramLabel = "N", description = "Keep only each system's last N commits (and the one it runs from).")
    Integer keep;

    @Override
    int execute() throws Exception {
        if (keep != null && keep < 1) {
            throw new VsysException(ExitCode.USAGE, "gc", "--keep must be at least 1");
        }
        Gc.Result r = new Views(installation(), debug()).gc(keep);
        if (r == null) {
            out().println("gc: no store");
            return 0;
        }
        out().println("gc: kept " + r.keptCommits + " commits, " + r.keptCheckouts + " checkouts (" + r.inUse.size()
                + " in use by processes), " + r.keptObjects + " objects; removed " + r.droppedCommits + " commits from refs, "
                + r.removedCheckouts + " checkouts, " + r.removedObjects + " objects (" + r.removedBytes + " bytes), "
                + r.removedContentLinks + " index links, " + r.removedTemps + " temporary files");
        return 0;
    }
}
