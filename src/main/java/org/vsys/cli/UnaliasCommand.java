package org.vsys.cli;


import org.vsys.core.Aliases;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "unalias", description = "Remove the alias ALIAS and its launcher link. The system stays.")
final class UnaliasCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "ALIAS", description = "The alias to remove.")
    String alias;

    @Override
    int execute() throws Exception {
        new Aliases(installation()).unalias(alias);
        return 0;
    }
}
