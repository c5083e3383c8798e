package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.Names;

/**
 * {@code vsys run} and {@code vsys shell}: start the setuid launcher R/bin/bin as a child that
 * inherits standard I/O, and wait for it. No root check here: the launcher authorizes the caller
 * itself (users=/groups=) and reads VSYS, ~/.vsys and vsys.conf as the caller's hostile input.
 */
public final class Launcher {
    private Launcher() {
    }

    /** Runs {@code args} (none: the caller's shell) in the system NAME (VSYS=NAME); returns the exit status. */
    public static int enter(Installation inst, String name, List<String> args) throws VsysException {
        Names.check(name);
        return start(inst, name, name, args);
    }

    /**
     * Runs {@code args} with the caller's own environment: the launcher takes the system from VSYS,
     * else from ~/.vsys, else from default= of vsys.conf.
     */
    public static int enterSelected(Installation inst, List<String> args) throws VsysException {
        return start(inst, null, "shell", args);
    }

    private static int start(Installation inst, String name, String what, List<String> args) throws VsysException {
        if (!Files.isExecutable(inst.launcher())) {
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
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, what, "cannot start the launcher: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VsysException(ExitCode.INTERNAL, what, "interrupted");
        }
    }
}
