package org.vsys.cli;

import java.util.List;

import org.vsys.core.Launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "shell",
        description = {"Start your shell inside the system NAME through the launcher (the same as /OS/bin/NAME); exits with its status.",
                "Without NAME: the system $VSYS names, else the first line of ~/.vsys, else default= of vsys.conf (the launcher chooses, as pam_vsys(8) does)."})
final class ShellCommand extends VsysCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "A system or alias (default: $VSYS, ~/.vsys, default=).")
    String name;

    @Override
    boolean rootOnly() {
        return false;
    }

    @Override
    int execute() throws Exception {
        return name == null ? Launcher.enterSelected(installation(), List.of()) : Launcher.enter(installation(), name, List.of());
    }
}
