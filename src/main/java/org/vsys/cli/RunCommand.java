package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;

import org.vsys.core.Launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "run",
        description = "Run CMD inside the system NAME through the launcher (the same as /OS/bin/NAME CMD...); exits with its status.")
final class RunCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "A system or alias.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Override
    boolean rootOnly() {
        return false;
    }

    @Override
    int execute() throws Exception {
        return Launcher.enter(installation(), name, command);
    }
}
