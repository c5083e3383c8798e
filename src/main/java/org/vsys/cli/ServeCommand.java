package org.vsys.cli;

import java.nio.file.Path;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.core.Serve;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "serve",
        description = {"The remote side of 'vsys pull ssh://...': answer requests for the store's files on standard input "
                + "and output. Read-only; only the store's own file names are served.",
            "Meant as the forced command of a key: command=\"vsys serve\",restrict in authorized_keys."})
final class ServeCommand extends VsysCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "ROOT", description = "The vsys root whose store is served (default: this "
            + "installation's).")
    String root;

    @Override
    int execute() throws Exception {
        return serve(installation(), root);
    }

    /** Serves the store of root (null: the installation's) until standard input ends. */
    static int serve(Installation installation, String root) throws Exception {
        Path r = root == null ? installation.root() : Path.of(root);
        if (!r.isAbsolute()) {
            throw new VsysException(ExitCode.USAGE, root, "not an absolute path");
        }
        System.out.flush();
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(java.io.FileDescriptor.out)) {
            new Serve(r.resolve(".store")).run(System.in, out.getChannel());
        }
        return 0;
    }
}
