package org.vsys.cli;

import java.nio.file.Path;

import org.vsys.config.Names;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.core.Publish;
import org.vsys.store.Store;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "publish",
        description = {"Lay out the commits of NAME in DIR as plain files (refs, commit and tree objects, file contents by hash) "
                + "for any web server to serve to 'vsys pull'.", "Incremental: files already in DIR are not copied again; "
                + "the ref is written last."})
final class PublishCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system (ref) whose commits are published.")
    String name;

    @Parameters(index = "1", paramLabel = "DIR", description = "The directory to lay them out in (made when missing).")
    String dir;

    @Override
    int execute() throws Exception {
        String sys = Names.check(name);
        Path d = Path.of(dir);
        if (!d.isAbsolute()) {
            throw new VsysException(ExitCode.USAGE, dir, "not an absolute path");
        }
        Store store = Store.of(installation());
        if (!store.exists()) {
            throw new VsysException(ExitCode.NO_SUCH, sys, "has no snapshot to publish (no store)");
        }
        if (d.normalize().startsWith(store.dir().normalize())) {
            throw new VsysException(ExitCode.USAGE, dir, "is inside the store");
        }
        Publish.Result r = new Publish(store, d).run(sys);
        out().println("publish: " + sys + ": " + r.commits + " commits in " + d + ": " + r.copied + " files copied (" + r.copiedBytes
                + " bytes, " + r.deltas + " tree deltas), " + r.present + " already there");
        return 0;
    }
}
