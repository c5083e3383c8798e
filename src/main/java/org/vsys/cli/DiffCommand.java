package org.vsys.cli;

import java.util.List;

import org.vsys.layer.Diff;
import org.vsys.layer.Layers;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff",
        description = {"What the system's persistent layer changed over its read-only tree, one line per path: "
                + "A added, M modified (content or kind), D deleted, P metadata only (owner, mode, mtime)."})
final class DiffCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system (made with --layer persistent).")
    String name;

    @Option(names = "--json", description = "One JSON object: {\"system\", \"changes\": [{\"kind\", \"path\"}]}.")
    boolean json;

    @Override
    int execute() throws Exception {
        Layers layers = new Layers(installation(), debug());
        List<Diff.Change> changes = layers.diff(name);
        if (json) {
            StringBuilder b = new StringBuilder("{\"system\":").append(Json.str(name)).append(",\"changes\":[");
            for (int i = 0; i < changes.size(); i++) {
                Diff.Change c = changes.get(i);
                b.append(i == 0 ? "" : ",").append("{\"kind\":").append(Json.str(c.kind().word)).append(",\"path\":")
                        .append(Json.str(c.path())).append('}');
            }
            out().println(b.append("]}"));
        } else {
            for (Diff.Change c : changes) {
                out().println(c);
            }
        }
        return 0;
    }
}
