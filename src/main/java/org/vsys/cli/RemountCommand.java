package org.vsys.cli;

import java.util.List;
import java.util.concurrent.Callable;

import org.vsys.core.Remount;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "remount", usageHelpWidth = 100,
        description = "Mount again every filesystem of NAME that is not mounted or does not respond, then prepare its view again.")
final class RemountCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "NAME", description = "The system.")
    String name;

    @Option(names = "--timeout", paramLabel = "SEC", description = "Wait at most SEC seconds for a server (default: ${DEFAULT-VALUE}).")
    int timeout = 10;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("remount");
        List<String> redone = new Remount(main.installation, main.debugSink()).run(name, timeout, 2000);
        main.out.println(name + ": " + (redone.isEmpty() ? "all filesystems healthy; view prepared again"
                : "mounted again: " + String.join(" ", redone)));
        return 0;
    }
}
