package org.vsys.cli;

import java.nio.file.Path;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.layer.Views;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "switch",
        description = {"Run the system from a read-only checkout of one of its commits, or from its live mount.",
            "Atomic for new launches; processes already running keep the tree they started with."})
final class SwitchCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "COMMIT", description = "A commit id or a unique prefix of it.")
    String commit;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Which which;

    static final class Which {
        @Option(names = "--snapshot", required = true, description = "The system's latest commit.")
        boolean snapshot;

        @Option(names = "--live", required = true, description = "The live mount R/NAME again.")
        boolean live;
    }

    @Override
    int execute() throws Exception {
        int given = (commit != null ? 1 : 0) + (which != null ? 1 : 0);
        if (given != 1) {
            throw new VsysException(ExitCode.USAGE, "switch", "give exactly one of COMMIT, --snapshot, --live");
        }
        Views views = new Views(installation(), debug());
        String sys = views.system(name).name();
        String target = null;
        if (commit != null) {
            target = views.resolve(sys, commit);
        } else if (which.snapshot) {
            target = views.latest(sys);
        }
        Path dir = views.switchTo(sys, target, true);
        out().println(sys + ": " + (dir == null ? "runs from its live mount" : "runs from commit " + target + " (" + dir
                + "; checkout " + views.lastCheckoutMillis() + " ms)"));
        org.vsys.layer.Merge.Result m = views.lastMerge();
        if (m != null) {
            for (org.vsys.layer.Merge.Conflict c : m.conflicts) {
                out().println(sys + ": conflict " + c);
            }
            out().println(sys + ": layer merged: " + m.conflicts.size() + " conflicts, " + m.keptLocal + " local entries kept, "
                    + m.dropped + " dropped for upstream's");
        }
        return 0;
    }
}
