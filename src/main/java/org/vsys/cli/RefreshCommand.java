package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;

import org.vsys.core.Refresh;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code vsys refresh [NAME...]}: {@link Refresh}, one line per system refreshed. */
@Command(name = "refresh",
        description = "Show the host's current passwd, group, hosts, resolv.conf and localtime in NAME "
                + "(every system when no NAME is given), also to commands already running there.")
final class RefreshCommand extends VsysCommand {
    @Parameters(index = "0..*", arity = "0..*", paramLabel = "NAME", description = "Systems to refresh (default: all).")
    List<String> names = new ArrayList<>();

    @Override
    int execute() throws Exception {
        new Refresh(installation(), debug()).run(names, n -> out().println(n + ": host files shown again"));
        return 0;
    }
}
