package org.vsys.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.vsys.base.Debug;
import org.vsys.config.Installation;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: {@code --help}/{@code --version}, the usage width, the
 * installation and streams of {@link Main}, and the root check before anything else. A
 * subcommand declares its arguments, calls one use case in {@link #execute} and renders its result.
 */
@Command(mixinStandardHelpOptions = true, usageHelpWidth = 100)
abstract class VsysCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        if (rootOnly()) {
            Main.requireRoot(main.installation, spec.name());
        }
        return execute();
    }

    /** False for the commands the setuid launcher authorizes itself (users=/groups=): run and shell. */
    boolean rootOnly() {
        return true;
    }

    /** The command after the root check; returns the exit code. */
    abstract int execute() throws Exception;

    Installation installation() {
        return main.installation;
    }

    PrintWriter out() {
        return main.out;
    }

    PrintWriter err() {
        return main.err;
    }

    Debug debug() {
        return main.debugSink();
    }
}
