package org.vsys.cli;

import java.util.concurrent.Callable;

import org.vsys.core.Aliases;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "unalias", usageHelpWidth = 100, description = "Remove the alias ALIAS and its launcher link. The system stays.")
final class UnaliasCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "ALIAS", description = "The alias to remove.")
    String alias;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("unalias");
        new Aliases(main.installation).unalias(alias);
        return 0;
    }
}
