package org.vsys.cli;

import java.io.PrintWriter;
import java.util.List;

import org.vsys.base.ExitCode;
import org.vsys.core.Listing;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list",
        description = "List systems and aliases from the records: NAME, TYPE (system or alias), SOURCE of /, STATE.")
final class ListCommand extends VsysCommand {

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    int execute() throws Exception {
        return list(installation(), out(), json);
    }

    /** Prints the rows; exit 13 (after printing) when a record is corrupt. */
    static int list(Installation installation, PrintWriter out, boolean json) throws VsysException {
        List<Listing.Row> rows = Listing.rows(installation);
        if (json) {
            StringBuilder b = new StringBuilder(64 + rows.size() * 64);
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
            out.println(b);
        } else {
            Table t = new Table("NAME", "TYPE", "SOURCE", "STATE").atLeast(1, 6);
            for (Listing.Row r : rows) {
                t.add(r.name(), r.type(), r.source(),
                        r.type().equals("alias") ? r.state() + " (alias of " + r.system() + ")" : r.state());
            }
            out.print(t.render());
        }
        out.flush();
        for (Listing.Row r : rows) {
            if (r.problem() != null) {
                throw new VsysException(ExitCode.CORRUPT, r.name(), r.problem());
            }
        }
        return 0;
    }
}
