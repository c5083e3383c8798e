package org.vsys.cli;

import java.io.PrintWriter;
import java.util.List;

import org.vsys.base.ExitCode;
import org.vsys.core.Health;
import org.vsys.core.Processes;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status",
        description = {
            "Check NAME (or every system): each filesystem mounted and responding within the bound, the view prepared, "
                    + "the launcher link in place, and the processes inside.",
            "The checks run in child processes killed at the bound, so a dead server cannot hang vsys. Exit 12 when unhealthy."})
final class StatusCommand extends VsysCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "A system or alias (default: all systems).")
    String name;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SEC", description = "Seconds a filesystem has to respond (default: ${DEFAULT-VALUE}).")
    double timeout = DEFAULT_TIMEOUT;

    static final double DEFAULT_TIMEOUT = 2;

    @Override
    int execute() throws Exception {
        return status(installation(), out(), name, json, timeout);
    }

    /** Prints the states, then exit 12 if a system is unhealthy. */
    static int status(Installation installation, PrintWriter out, String name, boolean json, double timeout)
            throws VsysException {
        if (!(timeout > 0 && timeout <= 600)) {
            throw new VsysException(ExitCode.USAGE, "--timeout", "must be more than 0 and at most 600 seconds");
        }
        List<Health.SystemState> states = Health.check(installation, name, (long) (timeout * 1000));
        print(out, json, states);
        for (Health.SystemState s : states) {
            if (!s.healthy()) {
                throw new VsysException(ExitCode.UNHEALTHY, s.name(), s.problem());
            }
        }
        return 0;
    }

    private static void print(PrintWriter out, boolean json, List<Health.SystemState> states) {
        StringBuilder b = new StringBuilder(256 + states.size() * 256);
        if (json) {
            b.append('[');
            for (int i = 0; i < states.size(); i++) {
                Health.SystemState s = states.get(i);
                b.append(i == 0 ? "\n" : ",\n").append("  {\"name\": ").append(Json.str(s.name()))
                        .append(", \"state\": ").append(Json.str(s.state()))
                        .append(", \"healthy\": ").append(s.healthy())
                        .append(", \"on_demand\": ").append(s.onDemand())
                        .append(", \"problem\": ").append(Json.str(s.problem()))
                        .append(", \"namespace\": ").append(s.namespace())
                        .append(", \"link\": ").append(s.link())
                        .append(", \"launcher\": ").append(s.launcher())
                        .append(", \"filesystems\": [");
                for (int k = 0; k < s.filesystems().size(); k++) {
                    Health.FsState f = s.filesystems().get(k);
                    b.append(k == 0 ? "" : ", ").append("{\"path\": ").append(Json.str(f.path()))
                            .append(", \"source\": ").append(Json.str(f.source()))
                            .append(", \"mountpoint\": ").append(Json.str(f.mountPoint()))
                            .append(", \"mounted\": ").append(f.mounted())
                            .append(", \"fstype\": ").append(Json.str(f.fsType()))
                            .append(", \"responsive\": ").append(f.responsive() == null ? "null" : f.responsive().toString())
                            .append('}');
                }
                b.append("], \"processes\": [");
                for (int k = 0; k < s.processes().size(); k++) {
                    Processes.Holder h = s.processes().get(k);
                    b.append(k == 0 ? "" : ", ").append("{\"pid\": ").append(h.pid())
                            .append(", \"command\": ").append(Json.str(h.command()))
                            .append(", \"how\": ").append(Json.str(h.how())).append('}');
                }
                b.append("]}");
            }
            b.append(states.isEmpty() ? "]" : "\n]");
            out.println(b);
            return;
        }
        String nl = System.lineSeparator();
        for (Health.SystemState s : states) {
            b.append(s.name()).append(": ").append(s.state()).append(", ")
                    .append(s.healthy() ? "healthy" : "UNHEALTHY: " + s.problem()).append('\n');
            if (s.onDemand()) {
                for (Health.FsState f : s.filesystems()) {
                    b.append("  ");
                    Table.pad(b, f.path(), 12).append(' ');
                    Table.pad(b, f.source(), 40).append(' ');
                    Table.pad(b, f.mounted() ? "mounted" : "not mounted", 12).append(' ')
                            .append(f.responsive() == null ? "-" : f.responsive() ? "responsive" : "NOT RESPONDING").append(nl);
                }
                String at = s.filesystems().stream().filter(f -> f.path().equals("/")).map(Health.FsState::mountPoint)
                        .findFirst().orElse(s.filesystems().get(0).mountPoint());
                b.append("  served to autofs at ").append(at).append(", ").append(s.processes().size()).append(" process(es) inside\n");
                for (Processes.Holder h : s.processes()) {
                    b.append("    ").append(h).append('\n');
                }
                continue;
            }
            for (Health.FsState f : s.filesystems()) {
                // String.format("  %-12s %-40s %-12s %s%n", ...) without java.util.Formatter
                b.append("  ");
                Table.pad(b, f.path(), 12).append(' ');
                Table.pad(b, f.source(), 40).append(' ');
                Table.pad(b, f.mounted() ? "mounted" : "NOT MOUNTED", 12).append(' ')
                        .append(f.responsive() == null ? "-" : f.responsive() ? "responsive" : "NOT RESPONDING")
                        .append(nl);
            }
            b.append("  view ").append(s.namespace() ? "prepared" : "NOT PREPARED")
                    .append(", launcher link ").append(s.link() ? "ok" : "MISSING")
                    .append(", launcher ").append(s.launcher() ? "installed" : "not installed")
                    .append(", ").append(s.processes().size()).append(" process(es) inside\n");
            for (Processes.Holder h : s.processes()) {
                b.append("    ").append(h).append('\n');
            }
        }
        out.print(b);
        out.flush();
    }
}
