package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.vsys.config.Names;
import org.vsys.base.ExitCode;
import org.vsys.config.Lock;
import org.vsys.core.Records;
import org.vsys.core.ViewHelper;
import org.vsys.base.VsysException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Shows the host's current passwd, group, hosts, resolv.conf and localtime again in running
 * systems. Tools such as useradd replace those files (a new inode), and a bind mount keeps
 * showing the file it was made from; vsys-view refresh binds the new ones inside each prepared
 * namespace, so commands already running see the change too. OS/lib/systemd/vsys-refresh.path
 * runs it whenever one of those files changes.
 */
@Command(mixinStandardHelpOptions = true, name = "refresh", usageHelpWidth = 100,
        description = "Show the host's current passwd, group, hosts, resolv.conf and localtime in NAME "
                + "(every system when no NAME is given), also to commands already running there.")
final class RefreshCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0..*", arity = "0..*", paramLabel = "NAME", description = "Systems to refresh (default: all).")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        main.requireRoot("refresh");
        Records records = new Records(main.installation);
        records.ensureLayout();
        ViewHelper view = new ViewHelper(main.installation, main.debugSink());
        view.requirePresent("refresh");
        for (String n : names) {
            Names.check(n);
        }
        try (Lock lock = Lock.take(main.installation.lockFile(), Lock.defaultTimeoutSeconds())) {
            List<String> todo = names.isEmpty() ? records.systemNames() : names;
            for (String n : todo) {
                if (records.system(n) == null) {
                    throw new VsysException(records.aliasExists(n) ? ExitCode.USAGE : ExitCode.NO_SUCH, n,
                            records.aliasExists(n) ? "is an alias; refresh its system" : "no such system");
                }
            }
            for (String n : todo) {
                view.run(n, "refresh", n);
                main.out.println(n + ": host files shown again");
            }
        }
        return 0;
    }
}
