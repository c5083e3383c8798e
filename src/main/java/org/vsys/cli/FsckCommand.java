package org.vsys.cli;

import java.util.concurrent.Callable;

import org.vsys.base.ExitCode;
import org.vsys.config.Lock;
import org.vsys.store.Fsck;
import org.vsys.store.Store;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "fsck", usageHelpWidth = 100,
        description = {"Verify every object of the store against its hash (content and metadata) and that every commit "
                + "and checkout names only objects that exist.", "Prints each damaged object; exit 13 when there is damage."})
final class FsckCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("fsck");
        Store store = Store.of(main.installation);
        Fsck.Result r;
        if (!store.exists()) {
            main.out.println("fsck: no store");
            return 0;
        }
        try (Lock lock = store.lock()) {
            r = new Fsck(store).run(Math.max(2, Runtime.getRuntime().availableProcessors()));
        }
        for (String d : r.damage) {
            main.err.println("vsys: fsck: damaged: " + d);
        }
        main.out.println("fsck: " + r.objects.get() + " objects (" + r.bytes.get() + " bytes) verified, " + r.commits
                + " commits checked, " + r.damage.size() + " damaged" + (r.leftovers > 0 ? ", " + r.leftovers
                + " temporary files of an interrupted run (removed by the next snapshot or gc)" : ""));
        return r.clean() ? 0 : ExitCode.CORRUPT.code();
    }
}
