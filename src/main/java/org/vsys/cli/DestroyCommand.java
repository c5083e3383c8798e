package org.vsys.cli;


import org.vsys.core.Destroy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "destroy", aliases = "-d",
        description = {
            "Take the system NAME down: unmount its filesystems (deepest first), remove its launcher links, aliases and records, and rmdir /OS/NAME.",
            "It never deletes a file and never recurses into a directory. While a process uses the system it refuses and changes nothing."})
final class DestroyCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system to destroy (not an alias).")
    String name;

    @Option(names = "--force", description = "Go on although processes use the system: busy mounts are detached lazily (MNT_DETACH).")
    boolean force;

    @Option(names = "--remove-layer", description = "Also remove the system's persistent layer /OS/.layer/NAME (kept otherwise), "
            + "unless processes still run on it.")
    boolean removeLayer;

    @Override
    int execute() throws Exception {
        java.util.List<org.vsys.core.Processes.Holder> left = new Destroy(installation(), debug()).run(name, force);
        if (!left.isEmpty()) {
            // --force detaches, it never kills: say who keeps running on the old tree
            err().println("vsys: " + name + ": destroyed; still running on its detached filesystems (not killed): "
                    + org.vsys.core.Processes.describe(left));
            err().flush();
        }
        if (removeLayer) {
            if (!left.isEmpty()) {
                err().println("vsys: " + name + ": layer kept: processes still run on it");
                err().flush();
                return 0;
            }
            long n = new org.vsys.layer.Layers(installation(), debug()).removeLayer(name);
            if (n > 0) {
                out().println(name + ": layer removed (" + n + " entries)");
            }
        }
        return 0;
    }
}
