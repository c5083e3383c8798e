package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.mount.ChildProcess;

/**
 * Runs the view helper {@code LIBEXEC/vsys-view} (written in C; contract in docs/DESIGN.md):
 * {@code shared-up}, {@code prepare NAME}, {@code release NAME}, {@code shared-down}.
 */
public final class ViewHelper {
    private static final long TIMEOUT_MILLIS = 30_000;
    private final Installation inst;
    private final Debug debug;

    public ViewHelper(Installation inst, Debug debug) {
        this.inst = inst;
        this.debug = debug;
    }

    public boolean present() {
        return Files.isExecutable(inst.viewHelper());
    }

    public void requirePresent(String what) throws VsysException {
        if (!present()) {
            throw new VsysException(ExitCode.UNSUPPORTED, what,
                    "the view helper " + inst.viewHelper() + " is missing (install vsys, or set -Dvsys.libexec)");
        }
    }

    public void run(String what, String... args) throws VsysException {
        requirePresent(what);
        List<String> cmd = new ArrayList<>();
        cmd.add(inst.viewHelper().toString());
        for (String a : args) {
            cmd.add(a);
        }
        debug.line("running " + String.join(" ", cmd));
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(cmd, TIMEOUT_MILLIS, java.util.Map.of("VSYS_ROOT", inst.root().toString()));
        } catch (IOException e) {
            throw new VsysException(ExitCode.UNSUPPORTED, what, "cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        }
        if (r.timedOut()) {
            throw new VsysException(ExitCode.MOUNT_FAILED, what, "vsys-view " + args[0] + " did not finish within 30 s");
        }
        if (r.status() != 0) {
            String why = r.lastLine();
            if (why.startsWith("vsys-view: ")) {
                why = why.substring("vsys-view: ".length());
            }
            throw new VsysException(ExitCode.MOUNT_FAILED, what,
                    "vsys-view " + args[0] + " failed" + (why.isEmpty() ? " with status " + r.status() : ": " + why));
        }
    }
}
