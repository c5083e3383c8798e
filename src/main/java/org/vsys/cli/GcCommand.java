package org.vsys.cli;

import java.util.concurrent.Callable;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Lock;
import org.vsys.core.Gc;
import org.vsys.layer.Views;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "gc", usageHelpWidth = 100,
        description = {"Remove from the store what no commit, no system's view and no running process needs.",
            "Checkouts still used by running processes, and everything they reach, are kept."})
final class GcCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--keep", paramLabel = "N", description = "Keep only each system's last N commits (and the one it runs from).")
    Integer keep;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("gc");
        if (keep != null && keep < 1) {
            throw new VsysException(ExitCode.USAGE, "gc", "--keep must be at least 1");
        }
        Views views = new Views(main.installation, main.debugSink());
        if (!views.store().exists()) {
            main.out.println("gc: no store");
            return 0;
        }
        Gc.Result r;
        try (Lock lock = views.store().lock()) {
            r = new Gc(views.store()).run(views.commitsInView(), keep);
        }
        main.out.println("gc: kept " + r.keptCommits + " commits, " + r.keptCheckouts + " checkouts (" + r.inUse.size()
                + " in use by processes), " + r.keptObjects + " objects; removed " + r.droppedCommits + " commits from refs, "
                + r.removedCheckouts + " checkouts, " + r.removedObjects + " objects (" + r.removedBytes + " bytes), "
                + r.removedContentLinks + " index links, " + r.removedTemps + " temporary files");
        return 0;
    }
}
