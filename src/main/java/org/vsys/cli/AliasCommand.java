package org.vsys.cli;


import org.vsys.config.AliasRecord;
import org.vsys.core.Aliases;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "alias", aliases = "-a",
        description = "Make ALIAS a second name of the system NAME, with its own launcher link /OS/bin/ALIAS.")
final class AliasCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "ALIAS", description = "The new name.")
    String alias;

    @Parameters(index = "1", paramLabel = "NAME", description = "An existing system (or alias of one).")
    String name;

    @Override
    int execute() throws Exception {
        AliasRecord r = new Aliases(installation()).alias(alias, name);
        out().println(r.name() + ": alias of " + r.system());
        return 0;
    }
}
