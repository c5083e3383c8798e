package org.vsys.cli;

import java.util.List;

import org.vsys.core.Remount;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "remount",
        description = "Mount again every filesystem of NAME that is not mounted or does not respond, then prepare its view again.")
final class RemountCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system.")
    String name;

    @Option(names = "--timeout", paramLabel = "SEC", description = "Wait at most SEC seconds for a server (default: ${DEFAULT-VALUE}).")
    int timeout = 10;

    @Override
    int execute() throws Exception {
        List<String> redone = new Remount(installation(), debug()).run(name, timeout, 2000);
        out().println(name + ": " + (redone.isEmpty() ? "all filesystems healthy; view prepared again"
                : "mounted again: " + String.join(" ", redone)));
        return 0;
    }
}
