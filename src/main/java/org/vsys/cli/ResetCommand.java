package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;

import org.vsys.layer.Layers;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reset",
        description = {"Drop the persistent layer's changes: all of them, or those at and below each PATH (inside the system).",
            "Refused while processes run inside unless --force; a symlink in the layer is removed, never followed."})
final class ResetCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system (made with --layer persistent).")
    String name;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PATH", description = "Absolute paths inside the system (default: everything).")
    List<String> paths = new ArrayList<>();

    @Option(names = "--force", description = "Reset even while processes run inside (they see their files change).")
    boolean force;

    @Option(names = "--timeout", paramLabel = "SEC", description = "Wait at most SEC seconds for a server when mounting again (default: ${DEFAULT-VALUE}).")
    int timeout = 10;

    @Override
    int execute() throws Exception {
        long n = new Layers(installation(), debug()).reset(name, paths, force, timeout);
        out().println(name + ": layer reset" + (paths.isEmpty() ? "" : " under " + String.join(" ", paths)) + ": " + n
                + " entries removed");
        return 0;
    }
}
