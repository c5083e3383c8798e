package org.vsys.cli;

import java.util.concurrent.Callable;

import org.vsys.config.AliasRecord;
import org.vsys.core.Aliases;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "alias", aliases = "-a", usageHelpWidth = 100,
        description = "Make ALIAS a second name of the system NAME, with its own launcher link /OS/bin/ALIAS.")
final class AliasCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "ALIAS", description = "The new name.")
    String alias;

    @Parameters(index = "1", paramLabel = "NAME", description = "An existing system (or alias of one).")
    String name;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("alias");
        AliasRecord r = new Aliases(main.installation).alias(alias, name);
        main.out.println(r.name() + ": alias of " + r.system());
        return 0;
    }
}
