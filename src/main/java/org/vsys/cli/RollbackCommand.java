package org.vsys.cli;

import java.nio.file.Path;

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
        Views views = new Views(installation(), debug());
        String sys = views.system(name).name();
        org.vsys.config.SystemRecord rec = views.system(sys);
        if (rec.layered() && rec.layer().prev() != null) {
            // a layered system returns to the generation its last switch left, with that generation's lower tree
            String prev = rec.layer().prev();
            String commit = org.vsys.config.SystemRecord.LayerSpec.commitOf(prev);
            Path dir = views.switchTo(sys, commit, true, prev);
            out().println(sys + ": rolled back to " + (commit == null ? "its live mount" : "commit " + commit + " (" + dir + ")")
                    + " with the layer as it was (generation " + prev + ")");
            return 0;
        }
        String target = views.rollbackTarget(sys);
        Path dir = views.switchTo(sys, target, true);
        out().println(sys + ": rolled back to commit " + target + " (" + dir + ")");
        return 0;
    }
}
