package org.vsys.cli;

import java.util.List;

import org.vsys.core.Check;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check",
        description = {
            "Verify the installation and the state: the launcher (root, mode 4755), the record files (owner, mode, format), "
                    + "interrupted operations, filesystems and views of every system, mounts and directories under /OS that belong "
                    + "to no record, launcher links without records and records without links, and that no restricted system's "
                    + "tree is in reach of other users (R/.private root's and 0700, no R/.private/X without a record). One line "
                    + "per problem; exit 15 when a restricted tree's problem is left, else 13 when any is left.",
            "With --repair, interrupted operations are finished or undone and what is safe is repaired: stray mounts are "
                    + "unmounted, empty stray directories removed, links made or removed. It never deletes a file."})
final class CheckCommand extends VsysCommand {

    @Option(names = "--repair", description = "Repair what is safe to repair and report each action.")
    boolean repair;

    @Override
    int execute() throws Exception {
        List<Check.Finding> findings = new Check(installation(), debug()).run(repair);
        int left = 0;
        for (Check.Finding f : findings) {
            out().println(f.line());
            if (f.left()) {
                left++;
            }
        }
        if (findings.isEmpty()) {
            out().println("no problems found");
        }
        out().flush();
        if (left > 0) {
            throw new VsysException(Check.exitCode(findings), "check", left + " problem(s)" + (repair ? " left after repair" : "")
                    + (repair ? "" : "; 'vsys check --repair' fixes what is safe to fix"));
        }
        return 0;
    }
}
