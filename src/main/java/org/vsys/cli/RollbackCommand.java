package org.vsys.cli;

import org.vsys.layer.Views;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "rollback",
        description = "Run the system from the parent of the commit it runs from (like 'vsys switch NAME PARENT').")
final class RollbackCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system.")
    String name;

    @Override
    int execute() throws Exception {
        Views.Rollback r = new Views(installation(), debug()).rollback(name);
        if (r.generation() != null) {
            out().println(r.system() + ": rolled back to " + (r.commit() == null ? "its live mount" : "commit " + r.commit() + " (" + r.dir() + ")")
                    + " with the layer as it was (generation " + r.generation() + ")");
        } else {
            out().println(r.system() + ": rolled back to commit " + r.commit() + " (" + r.dir() + ")");
        }
        return 0;
    }
}
