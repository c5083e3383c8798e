package org.vsys.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.base.VsysException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code vsys}: create, alias, list, check and destroy virtual systems under /OS. Every path
 * through here is {@link #run}: parse, call the core, map the result to one exit code.
 */
@Command(name = "vsys",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = false,
        usageHelpWidth = 100,
        header = "Virtual systems: another machine's whole filesystem under /OS/NAME, entered with /OS/bin/NAME.",
        description = {
            "The seed's short forms are kept: 'vsys -c NAME [SOURCE]' is 'vsys create', "
                    + "'vsys -a ALIAS NAME' is 'vsys alias', 'vsys -d NAME' is 'vsys destroy'.",
            "vsys must run as root; run and shell may be used by anyone (the launcher decides). See vsys(8) and vsys.conf(5)."})
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print each step and, on failure, the stack trace (on standard error).")
    boolean debug;

    Installation installation;
    PrintWriter out;
    PrintWriter err;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(Installation.fromSystemProperties(), out, err, args));
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(Installation.fromSystemProperties(), out, err, args);
    }

    /** Runs one vsys command line; returns its exit code. Never calls System.exit. */
    public static int run(Installation installation, PrintWriter out, PrintWriter err, String... args) {
        Integer fast = fastPath(installation, out, err, args);
        return fast != null ? fast : runPicocli(installation, out, err, args);
    }

    /** {@link #run} without the fast path: every command line through picocli. */
    static int runPicocli(Installation installation, PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        main.installation = installation;
        main.out = out;
        main.err = err;
        Class<?> only = args.length > 0 ? command(args[0]) : null;
        CommandLine cl = only != null ? commandLine(main, List.of(only)) : commandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The read-only commands that scripts and monitors call often ({@code list}, {@code status}),
     * {@code apply}, {@code snapshot NAME} (a nightly job's) and {@code serve [ROOT]} (the remote side of a pull), in their plain forms, without any picocli model: even the model of one
     * subcommand costs about half of a {@code vsys list} run (bench/cli.sh, docs/BENCHMARKS.md,
     * admin CLI). Null when {@code args} is not one of these forms: everything else (options in
     * another order, {@code --debug}, {@code --help}, {@code @argfiles}, errors) goes through
     * picocli. Output and exit codes are the same as through picocli; FastPathTest compares both.
     */
    static Integer fastPath(Installation installation, PrintWriter out, PrintWriter err, String... args) {
        if (args.length > 0 && args[0].equals("apply")) {
            try {
                Integer code = ApplyCommand.fastPath(installation, out, err, args);
                out.flush();
                err.flush();
                return code;
            } catch (Exception ex) {
                return fail(err, false, ex);
            }
        }
        if (args.length == 0 || args.length > 3) {
            return null;
        }
        boolean json = false;
        String name = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--json") && !json) {
                json = true;
            } else if (name == null && isPlainName(a)) {
                name = a;
            } else {
                return null;
            }
        }
        int code;
        try {
            if (args[0].equals("list") && name == null) {
                requireRoot(installation, "list");
                code = ListCommand.list(installation, out, json);
            } else if (args[0].equals("status")) {
                requireRoot(installation, "status");
                code = StatusCommand.status(installation, out, name, json, StatusCommand.DEFAULT_TIMEOUT);
            } else if (args[0].equals("serve") && !json) {
                // the remote side of every pull over ssh: its start is on the pull's critical path
                requireRoot(installation, "serve");
                code = ServeCommand.serve(installation, name);
            } else if (args[0].equals("snapshot") && name != null && !json && args.length == 2) {
                requireRoot(installation, "snapshot");
                code = SnapshotCommand.take(installation, org.vsys.base.Debug.off(), out, name, false);
            } else {
                return null;
            }
        } catch (Exception ex) {
            code = fail(err, false, ex);
        }
        out.flush();
        err.flush();
        return code;
    }

    /** A word picocli takes as a positional as it is: not an option, an @file or an end-of-options marker. */
    private static boolean isPlainName(String a) {
        return !a.isEmpty() && a.charAt(0) != '-' && a.charAt(0) != '@';
    }

    /** Every subcommand, in the order of {@code vsys --help}. */
    static final List<Class<?>> COMMANDS = List.of(
            CreateCommand.class, AliasCommand.class, UnaliasCommand.class, DestroyCommand.class,
            ListCommand.class, StatusCommand.class, RemountCommand.class, RunCommand.class, ShellCommand.class,
            RestoreCommand.class, RefreshCommand.class,
            CheckCommand.class, ApplyCommand.class,
            SnapshotCommand.class, SwitchCommand.class, RollbackCommand.class, GcCommand.class, FsckCommand.class,
            DiffCommand.class, ResetCommand.class,
            PullCommand.class, PublishCommand.class, ServeCommand.class,
            CommandLine.HelpCommand.class);

    /**
     * The subcommand a command line names by its first word (a name or short form of
     * {@link #COMMANDS}), or null (options first, {@code help}, a word that is no command): then
     * the model of every subcommand is built. Picocli builds a command's model by reflection, and
     * that of all of them is most of a short run's time (docs/BENCHMARKS.md, admin CLI); with one,
     * the parse is the same. MainTest checks this table against the annotations.
     */
    static Class<?> command(String word) {
        switch (word) {
            case "create": case "-c": return CreateCommand.class;
            case "alias": case "-a": return AliasCommand.class;
            case "unalias": return UnaliasCommand.class;
            case "destroy": case "-d": return DestroyCommand.class;
            case "list": return ListCommand.class;
            case "status": return StatusCommand.class;
            case "remount": return RemountCommand.class;
            case "run": return RunCommand.class;
            case "shell": return ShellCommand.class;
            case "restore": return RestoreCommand.class;
            case "refresh": return RefreshCommand.class;
            case "check": return CheckCommand.class;
            case "apply": return ApplyCommand.class;
            case "snapshot": return SnapshotCommand.class;
            case "switch": return SwitchCommand.class;
            case "rollback": return RollbackCommand.class;
            case "gc": return GcCommand.class;
            case "fsck": return FsckCommand.class;
            case "diff": return DiffCommand.class;
            case "reset": return ResetCommand.class;
            case "pull": return PullCommand.class;
            case "publish": return PublishCommand.class;
            case "serve": return ServeCommand.class;
            default: return null;
        }
    }

    /** The picocli model of every command, with the exit code table attached to each. */
    static CommandLine commandLine(Main main) {
        return commandLine(main, COMMANDS);
    }

    static CommandLine commandLine(Main main, List<Class<?>> commands) {
        CommandLine cl = new CommandLine(main);
        for (Class<?> c : commands) {
            cl.addSubcommand(c);
        }
        cl.setExecutionExceptionHandler((ex, c, parsed) -> main.fail(ex));
        cl.setParameterExceptionHandler((ex, args) -> {
            String cmd = ex.getCommandLine().getCommandName();
            String msg = ex.getMessage() == null ? "bad arguments" : ex.getMessage();
            ex.getCommandLine().getErr().println("vsys: " + (cmd.equals("vsys") ? "usage" : cmd) + ": " + oneLine(msg) + " (see 'vsys "
                    + (cmd.equals("vsys") ? "" : cmd + " ") + "--help')");
            return ExitCode.USAGE.code();
        });
        cl.setExitCodeExceptionMapper(t -> t instanceof VsysException ? ((VsysException) t).exitCode().code()
                : ExitCode.INTERNAL.code());
        Map<String, String> table = exitCodeTable();
        cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit status:%n").exitCodeList(table);
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().usageMessage().exitCodeListHeading("%nExit status:%n").exitCodeList(table);
        }
        return cl;
    }

    static Map<String, String> exitCodeTable() {
        Map<String, String> m = new LinkedHashMap<>();
        for (ExitCode c : ExitCode.values()) {
            m.put(String.format("%3d", c.code()), c.meaning());
        }
        return m;
    }

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    /** Prints the one error line (and the stack trace with --debug); returns the exit code. */
    int fail(Exception ex) {
        return fail(err, debug, ex);
    }

    static int fail(PrintWriter err, boolean debug, Exception ex) {
        if (ex instanceof VsysException) {
            VsysException ve = (VsysException) ex;
            err.println(ve.line());
            if (debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ve.exitCode().code();
        }
        err.println("vsys: internal error: " + oneLine(String.valueOf(ex)) + (debug ? "" : " (run with --debug for details)"));
        if (debug) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCode.INTERNAL.code();
    }

    /** Exit 6 unless root; every subcommand calls it before anything else. */
    void requireRoot(String command) throws VsysException {
        requireRoot(installation, command);
    }

    static void requireRoot(Installation installation, String command) throws VsysException {
        if (installation.euid() != 0) {
            throw new VsysException(ExitCode.NOT_ROOT, command, "must be run as root");
        }
    }

    org.vsys.base.Debug debugSink() {
        return debug ? new org.vsys.base.Debug(err) : org.vsys.base.Debug.off();
    }

    @Override
    public void run() {
        // 'vsys' alone: a usage error
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** {@code --version}: the jar's Implementation-Version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"vsys " + (v == null ? "(development build)" : v)};
        }
    }
}
