package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.vsys.config.Names;
import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.base.VsysException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(mixinStandardHelpOptions = true, name = "run", usageHelpWidth = 100,
        description = "Run CMD inside the system NAME through the launcher (the same as /OS/bin/NAME CMD...); exits with its status.")
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "NAME", description = "A system or alias.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // no root check: the setuid launcher authorizes the caller itself (users=/groups=)
        return launch(main.installation, name, command);
    }

    /** Starts R/bin/bin with VSYS=NAME, inheriting standard I/O; returns its exit status. */
    static int launch(Installation inst, String name, List<String> args) throws VsysException {
        Names.check(name);
        return start(inst, name, name, args);
    }

    /**
     * Starts R/bin/bin with the caller's own environment: the launcher takes the system from VSYS, else from
     * ~/.vsys, else from default= of vsys.conf (it reads those as the caller's hostile input, not this JVM).
     */
    static int launchSelected(Installation inst, List<String> args) throws VsysException {
        return start(inst, null, "shell", args);
    }

    private static int start(Installation inst, String name, String what, List<String> args) throws VsysException {
        if (!java.nio.file.Files.isExecutable(inst.launcher())) {
            throw new VsysException(ExitCode.UNSUPPORTED, what, "the launcher " + inst.launcher() + " is not installed");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(inst.launcher().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        if (name != null) {
            pb.environment().put("VSYS", name);
        }
        try {
            return pb.start().waitFor();
        } catch (java.io.IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, what, "cannot start the launcher: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VsysException(ExitCode.INTERNAL, what, "interrupted");
        }
    }
}
