package org.vsys.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.vsys.apply.Apply;
import org.vsys.apply.Declarations;
import org.vsys.apply.Plan;
import org.vsys.base.Debug;
import org.vsys.config.Installation;
import org.vsys.core.Records;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "apply",
        description = {
            "Converge to the declared systems (one DIR/NAME.conf per system, vsys-systems.d(5)): create the declared systems "
                    + "that are missing, mount again what is not mounted, change those whose declaration changed, remove the "
                    + "systems made by apply that are no longer declared, and leave the rest (and every system made by hand) alone.",
            "A system in use is never removed or taken down: it is reported and left. A second run does nothing and says so."})
final class ApplyCommand extends VsysCommand {

    @Option(names = "--dry-run", description = "Print the plan only; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Print the plan and the outcome as JSON.")
    boolean json;

    @Option(names = "--dir", paramLabel = "DIR", description = "The declarations directory (default: declarations= of vsys.conf, else "
            + org.vsys.config.GlobalConfig.DEFAULT_DECLARATIONS + ").")
    Path dir;

    PrintWriter out;
    PrintWriter err;

    @Override
    int execute() throws Exception {
        return execute(installation(), out(), err(), debug());
    }

    /**
     * {@code vsys apply} in its plain forms ({@code --dry-run}, {@code --json}, {@code --dir DIR}
     * in any order, each at most once) without the picocli model, as for {@code list}: null for
     * anything else (picocli then parses it and reports errors).
     */
    static Integer fastPath(Installation installation, PrintWriter out, PrintWriter err, String... args) throws Exception {
        ApplyCommand c = new ApplyCommand();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--dry-run") && !c.dryRun) {
                c.dryRun = true;
            } else if (a.equals("--json") && !c.json) {
                c.json = true;
            } else if (a.equals("--dir") && c.dir == null && i + 1 < args.length && args[i + 1].startsWith("/")) {
                c.dir = Path.of(args[++i]);
            } else {
                return null;
            }
        }
        Main.requireRoot(installation, "apply");
        return c.execute(installation, out, err, Debug.off());
    }

    int execute(Installation installation, PrintWriter out, PrintWriter err, Debug debug) throws Exception {
        this.out = out;
        this.err = err;
        Path d = dir != null ? dir : Path.of(new Records(installation).config().declarations());
        long t0 = System.nanoTime();
        if (!dryRun && !json) {
            Integer n = Apply.nothingChanged(installation, d);
            debug.line("apply: quick check " + (n == null ? "says: plan" : "found nothing changed") + " in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            if (n != null) {
                out.println("apply: nothing to do (" + n + " system" + (n == 1 ? "" : "s") + " as declared)");
                out.flush();
                return 0;
            }
        }
        Apply.warmUp();
        Declarations decls = Declarations.read(d);
        debug.line("apply: " + decls.declared().size() + " declarations read in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        Apply apply = new Apply(installation, debug, Apply.defaultThreads());
        List<Apply.Result> results;
        Plan plan;
        int code;
        if (dryRun) {
            plan = apply.plan(decls);
            results = new ArrayList<>();
            code = plan.problems().isEmpty() ? 0 : org.vsys.base.ExitCode.USAGE.code();
        } else {
            Apply.Outcome o = apply.run(decls);
            plan = o.plan();
            results = o.results();
            code = o.exitCode();
        }
        for (String p : plan.problems()) {
            err.println("vsys: " + p);
        }
        if (json) {
            out.println(json(d, plan, results));
        } else {
            text(plan, results);
        }
        err.flush();
        out.flush();
        return code;
    }

    private void text(Plan plan, List<Apply.Result> results) {
        StringBuilder b = new StringBuilder();
        Map<Plan.Kind, Integer> count = new EnumMap<>(Plan.Kind.class);
        int failed = 0;
        if (dryRun) {
            for (Plan.Step s : plan.steps()) {
                count.merge(s.kind(), 1, Integer::sum);
                if (s.kind() != Plan.Kind.LEAVE) {
                    line(b, s, "planned");
                }
            }
        } else {
            for (Apply.Result r : results) {
                count.merge(r.step().kind(), 1, Integer::sum);
                if (r.ok() && r.step().kind() == Plan.Kind.LEAVE) {
                    continue;
                }
                if (!r.ok()) {
                    failed++;
                    err.println(r.failure().line());
                }
                line(b, r.step(), result(r));
            }
        }
        out.print(b);
        int leave = count.getOrDefault(Plan.Kind.LEAVE, 0);
        if (plan.nothingToDo()) {
            out.println("apply: nothing to do (" + leave + " system" + (leave == 1 ? "" : "s") + " as declared)");
            return;
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<Plan.Kind, Integer> e : count.entrySet()) {
            parts.add(e.getValue() + " " + e.getKey().word());
        }
        if (!plan.problems().isEmpty()) {
            parts.add(plan.problems().size() + " bad declaration" + (plan.problems().size() == 1 ? "" : "s") + " (left out)");
        }
        if (failed > 0) {
            parts.add(failed + " not done");
        }
        out.println("apply" + (dryRun ? " (dry run, nothing changed)" : "") + ": " + String.join(", ", parts));
    }

    private static String result(Apply.Result r) {
        if (r.ok()) {
            return "done";
        }
        return (r.failure().exitCode() == org.vsys.base.ExitCode.BUSY ? "left (busy): " : "FAILED: ") + r.failure().why();
    }

    private static void line(StringBuilder b, Plan.Step s, String result) {
        Table.pad(b, s.kind().word(), 8).append(' ');
        b.append(s.name()).append(": ").append(s.detail()).append(" [").append(result).append("]\n");
    }

    private String json(Path d, Plan plan, List<Apply.Result> results) {
        StringBuilder b = new StringBuilder("{\"dir\": ").append(Json.str(d.toString()))
                .append(", \"dry_run\": ").append(dryRun)
                .append(", \"nothing_to_do\": ").append(plan.nothingToDo())
                .append(", \"steps\": [");
        boolean first = true;
        if (dryRun) {
            for (Plan.Step s : plan.steps()) {
                first = step(b, first, s, "planned", null);
            }
        } else {
            for (Apply.Result r : results) {
                first = step(b, first, r.step(), r.ok() ? "done" : r.failure().exitCode() == org.vsys.base.ExitCode.BUSY
                        ? "busy" : "failed", r.ok() ? null : r.failure().line());
            }
        }
        b.append(first ? "]" : "\n  ]").append(", \"problems\": [");
        for (int i = 0; i < plan.problems().size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Json.str(plan.problems().get(i)));
        }
        return b.append("]}").toString();
    }

    private static boolean step(StringBuilder b, boolean first, Plan.Step s, String result, String error) {
        b.append(first ? "\n" : ",\n").append("  {\"action\": ").append(Json.str(s.kind().word()))
                .append(", \"name\": ").append(Json.str(s.name()))
                .append(", \"detail\": ").append(Json.str(s.detail()))
                .append(", \"result\": ").append(Json.str(result));
        if (error != null) {
            b.append(", \"error\": ").append(Json.str(error));
        }
        b.append('}');
        return false;
    }
}
