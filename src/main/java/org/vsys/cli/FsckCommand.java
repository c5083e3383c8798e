package org.vsys.cli;

import org.vsys.base.ExitCode;
import org.vsys.store.Fsck;
import org.vsys.store.Store;

import picocli.CommandLine.Command;

@Command(name = "fsck",
        description = {"Verify every object of the store against its hash (content and metadata) and that every commit "
                + "and checkout names only objects that exist.", "Prints each damaged object; exit 13 when there is damage."})
final class FsckCommand extends VsysCommand {

    @Override
    int execute() throws Exception {
        Fsck.Result r = new Fsck(Store.of(installation())).runLocked();
        if (r == null) {
            out().println("fsck: no store");
            return 0;
        }
        for (String d : r.damage) {
            err().println("vsys: fsck: damaged: " + d);
        }
        out().println("fsck: " + r.objects.get() + " objects (" + r.bytes.get() + " bytes) verified, " + r.commits
                + " commits checked" + (r.parentless > 0 ? " (" + r.parentless + " without their parent in the store: pulled alone)" : "")
                + ", " + r.damage.size() + " damaged" + (r.leftovers > 0 ? ", " + r.leftovers
                + " temporary files of an interrupted run (removed by the next snapshot or gc)" : ""));
        return r.clean() ? 0 : ExitCode.CORRUPT.code();
    }
}
