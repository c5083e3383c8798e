package org.vsys.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.vsys.store.Views;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "rollback", usageHelpWidth = 100,
        description = "Run the system from the parent of the commit it runs from (like 'vsys switch NAME PARENT').")
final class RollbackCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "NAME", description = "The system.")
    String name;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("rollback");
        Views views = new Views(main.installation, main.debugSink());
        String sys = views.system(name).name();
        String target = views.rollbackTarget(sys);
        Path dir = views.switchTo(sys, target, true);
        main.out.println(sys + ": rolled back to commit " + target + " (" + dir + ")");
        return 0;
    }
}
