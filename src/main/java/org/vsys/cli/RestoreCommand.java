package org.vsys.cli;

import java.util.List;

import org.vsys.base.ExitCode;
import org.vsys.core.Restore;
import org.vsys.base.VsysException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "restore",
        description = {
            "Re-establish every recorded system after a reboot or a lost mount: finish interrupted operations, mount what is "
                    + "not mounted or not responding, prepare the view again where needed, make missing launcher links.",
            "A system that is whole is left untouched, so a second run changes nothing. One line per system; "
                    + "the exit status is not 0 when any system could not be restored."})
final class RestoreCommand extends VsysCommand {

    @Option(names = "--timeout", paramLabel = "SEC", description = "Wait at most SEC seconds for a server (default: ${DEFAULT-VALUE}).")
    int timeout = 10;

    @Override
    int execute() throws Exception {
        if (timeout < 1 || timeout > 3600) {
            throw new VsysException(ExitCode.USAGE, "--timeout", "must be between 1 and 3600 seconds");
        }
        List<Restore.Outcome> outcomes = new Restore(installation(), debug()).run(timeout, 2000);
        VsysException first = null;
        int failed = 0;
        for (Restore.Outcome o : outcomes) {
            out().println(o.line());
            if (!o.ok()) {
                failed++;
                if (first == null) {
                    first = o.failure();
                }
            }
        }
        if (outcomes.isEmpty()) {
            out().println("no systems recorded");
        }
        out().flush();
        if (first != null) {
            throw new VsysException(first.exitCode(), "restore", failed + " of " + outcomes.size() + " not restored (first: "
                    + first.what() + ": " + first.why() + ")");
        }
        return 0;
    }
}
