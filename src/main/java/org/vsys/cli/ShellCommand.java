package org.vsys.cli;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "shell", usageHelpWidth = 100,
        description = {"Start your shell inside the system NAME through the launcher (the same as /OS/bin/NAME); exits with its status.",
                "Without NAME: the system $VSYS names, else the first line of ~/.vsys, else default= of vsys.conf (the launcher chooses, as pam_vsys(8) does)."})
final class ShellCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "A system or alias (default: $VSYS, ~/.vsys, default=).")
    String name;

    @Override
    public Integer call() throws Exception {
        // no root check: the setuid launcher authorizes the caller itself (users=/groups=)
        if (name == null) {
            return RunCommand.launchSelected(main.installation, List.of());
        }
        return RunCommand.launch(main.installation, name, List.of());
    }
}
