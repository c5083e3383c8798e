package org.vsys.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.core.Listing;
import org.vsys.base.VsysException;

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
        return list(main.installation, main.out, json);
    }

    /** {@code vsys list [--json]}: prints the rows; exit 13 (after printing) when a record is corrupt. */
    static int list(Installation installation, PrintWriter out, boolean json) throws VsysException {
        Main.requireRoot(installation, "list");
        List<Listing.Row> rows = Listing.rows(installation);
        StringBuilder b = new StringBuilder(64 + rows.size() * 64);
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
            out.println(b);
        } else {
            int wn = 4;
            int ws = 6;
            for (Listing.Row r : rows) {
                wn = Math.max(wn, r.name().length());
                ws = Math.max(ws, r.source().length());
            }
            // what String.format("%-WNs  %-6s  %-WSs  %s%n", ...) printed, without java.util.Formatter
            String nl = System.lineSeparator();
            row(b, wn, ws, "NAME", "TYPE", "SOURCE", "STATE", nl);
            for (Listing.Row r : rows) {
                String state = r.type().equals("alias") ? r.state() + " (alias of " + r.system() + ")" : r.state();
                row(b, wn, ws, r.name(), r.type(), r.source(), state, nl);
            }
            out.print(b);
        }
        out.flush();
        for (Listing.Row r : rows) {
            if (r.problem() != null) {
                throw new VsysException(ExitCode.CORRUPT, r.name(), r.problem());
            }
        }
        return 0;
    }

    private static void row(StringBuilder b, int wn, int ws, String name, String type, String source, String state,
            String nl) {
        pad(b, name, wn).append("  ");
        pad(b, type, 6).append("  ");
        pad(b, source, ws).append("  ").append(state).append(nl);
    }

    /** {@code %-Ws}: s, then spaces up to W chars (none when s is longer). */
    static StringBuilder pad(StringBuilder b, String s, int width) {
        b.append(s);
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
        return b;
    }
}
