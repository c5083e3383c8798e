package org.vsys.cli;


import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Names;
import org.vsys.core.Pull;
import org.vsys.core.PullSource;
import org.vsys.core.SshPullSource;
import org.vsys.store.Store;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pull",
        description = {"Copy a commit of another store into this one and add it to refs/NAME: only the objects this store "
                + "lacks are fetched, each checked against its hash before it enters the store; the ref moves last.",
            "SOURCE: http://HOST/PATH or https://... (a store laid out by 'vsys publish'), ssh://[USER@]HOST[:PORT][/ROOT] "
                    + "(runs 'vsys serve' there), or a local path (a published directory or a vsys root)."})
final class PullCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The local ref (system name) the commit is added to.")
    String name;

    @Parameters(index = "1", paramLabel = "SOURCE", description = "Where to pull from.")
    String source;

    @Parameters(index = "2", arity = "0..1", paramLabel = "COMMIT|REF",
            description = "A commit id (or a unique prefix among the source's refs/NAME), or a ref of the source; default: "
                    + "the newest commit of the source's refs/NAME.")
    String what;

    @Option(names = "--jobs", paramLabel = "N", description = "Fetches in flight at once (default: ${DEFAULT-VALUE}).")
    int jobs = 8;

    @Option(names = "--depth", paramLabel = "N", description = "Also pull up to N ancestors of the commit (its parent, "
            + "the parent's parent, ...), those the store lacks; default ${DEFAULT-VALUE}: the commit alone, its parent "
            + "left out (fsck and rollback know a commit whose parent is not in the store).")
    int depth = 0;

    @Option(names = "--timeout", paramLabel = "SEC", description = "Give up on a source that does not answer, or stalls, for SEC "
            + "seconds (default: ${DEFAULT-VALUE}).")
    int timeout = 30;

    @Option(names = "--identity", paramLabel = "FILE", description = "ssh: the private key to use (IdentityFile).")
    String identity;

    @Option(names = "--known-hosts", paramLabel = "FILE", description = "ssh: the known hosts file to check the host key against.")
    String knownHosts;

    @Override
    int execute() throws Exception {
        String sys = Names.check(name);
        if (jobs < 1 || jobs > 256 || timeout < 1 || timeout > 3600 || depth < 0 || depth > 100000) {
            throw new VsysException(ExitCode.USAGE, "pull", "--jobs must be 1..256, --timeout 1..3600 and --depth 0..100000");
        }
        String ref = sys;
        String commit = null;
        if (what != null) {
            if (what.matches("[0-9a-f]{4,64}")) {
                commit = what;
            } else {
                ref = Names.check(what);
            }
        }
        Store store = Store.of(installation());
        Debug debug = debug();
        debug.line("pull: the JVM started " + ProcessHandle.current().info().startInstant()
                .map(t -> java.time.Duration.between(t, java.time.Instant.now()).toMillis() + " ms ago").orElse("(unknown)"));
        try (PullSource src = PullSource.of(source, timeout, new SshPullSource.Options(identity, knownHosts))) {
            Pull pull = new Pull(store, src, jobs, depth).debug(debug);
            String id;
            try {
                id = pull.resolve(ref, commit);
            } catch (PullSource.Refused e) {
                throw new VsysException(e.code, "pull", e.getMessage(), e);
            }
            debug.line("pull: " + ref + " resolved to " + id.substring(0, 12));
            Pull.Result r = pull.run(sys, id);
            out().println(r.summary(sys, src.describe()));
        } catch (PullSource.Refused e) {
            throw new VsysException(e.code, "pull", e.getMessage(), e);
        }
        return 0;
    }
}
