package org.vsys.cli;

import java.util.List;
import java.util.concurrent.Callable;

import org.vsys.core.ExitCode;
import org.vsys.core.Listing;
import org.vsys.core.VsysException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "list", usageHelpWidth = 100,
        description = "List systems and aliases from the records: NAME, TYPE (system or alias), SOURCE of /, STATE.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        main.requireRoot("list");
        List<Listing.Row> rows = Listing.rows(main.installation);
        StringBuilder b = new StringBuilder();
        if (json) {
            b.append('[');
            for (int i = 0; i < rows.size(); i++) {
                Listing.Row r = rows.get(i);
                b.append(i == 0 ? "\n" : ",\n").append("  {\"name\": ").append(Json.str(r.name()))
                        .append(", \"type\": ").append(Json.str(r.type()))
                        .append(", \"system\": ").append(Json.str(r.system()))
                        .append(", \"source\": ").append(Json.str(r.source()))
                        .append(", \"state\": ").append(Json.str(r.state())).append('}');
            }
            b.append(rows.isEmpty() ? "]" : "\n]");
            main.out.println(b);
        } else {
            int wn = 4;
            int ws = 6;
            for (Listing.Row r : rows) {
                wn = Math.max(wn, r.name().length());
                ws = Math.max(ws, r.source().length());
            }
            String fmt = "%-" + wn + "s  %-6s  %-" + ws + "s  %s%n";
            b.append(String.format(fmt, "NAME", "TYPE", "SOURCE", "STATE"));
            for (Listing.Row r : rows) {
                String state = r.type().equals("alias") ? r.state() + " (alias of " + r.system() + ")" : r.state();
                b.append(String.format(fmt, r.name(), r.type(), r.source(), state));
            }
            main.out.print(b);
        }
        main.out.flush();
        for (Listing.Row r : rows) {
            if (r.problem() != null) {
                throw new VsysException(ExitCode.CORRUPT, r.name(), r.problem());
            }
        }
        return 0;
    }
}
