package org.vsys.cli;

import java.util.ArrayList;
import java.util.List;

import org.vsys.config.FsEntry;
import org.vsys.config.SystemRecord;
import org.vsys.core.Create;
import org.vsys.core.CreateRequest;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "create", aliases = "-c", sortOptions = false,
        description = {
            "Create the system NAME: mount its filesystems under /OS/NAME, prepare its view and link /OS/bin/NAME to the launcher.",
            "SOURCE is nfs://SERVER/PATH, ssh://[USER@]HOST[:PORT]/PATH, dir:/PATH or /PATH (a local tree). "
                    + "Without SOURCE (the seed's default) NAME is an NFS server: its export / is mounted at / and each other export at its own path."})
final class CreateCommand extends VsysCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The system's name (and the NFS server without SOURCE).")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SOURCE", description = "Where the root filesystem comes from.")
    String source;

    @Option(names = "--mount", paramLabel = "PATH=SOURCE", description = "Also mount SOURCE at PATH inside the system (repeatable).")
    List<String> mounts = new ArrayList<>();

    @Option(names = "--ro", paramLabel = "PATH", description = "Mount the filesystem at PATH read-only (the default for /).")
    List<String> readOnly = new ArrayList<>();

    @Option(names = "--rw", paramLabel = "PATH", description = "Mount the filesystem at PATH read-write (the default except for /).")
    List<String> readWrite = new ArrayList<>();

    @Option(names = {"-o", "--options"}, paramLabel = "PATH=OPTS", description = "Transport options for the filesystem at PATH (NFS mount options, sshfs options).")
    List<String> options = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "PATH", description = "NFS default mode: leave the export PATH out.")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--suid", description = "Allow setuid programs: mount suid and record setuid=yes.")
    boolean suid;

    @Option(names = "--dev", description = "Mount the filesystems with device files allowed (dev).")
    boolean dev;

    @Option(names = "--identity", paramLabel = "FILE", description = "ssh: the private key to use (IdentityFile).")
    String identity;

    @Option(names = "--known-hosts", paramLabel = "FILE", description = "ssh: the known hosts file to check the host key against.")
    String knownHosts;

    @Option(names = "--nfs-version", paramLabel = "V", description = "NFS: the protocol version (3, 4, 4.1, 4.2); negotiated when not given.")
    String nfsVersion;

    @Option(names = "--users", paramLabel = "LIST", description = "Comma list of the users allowed to enter (default: everyone).")
    String users = "";

    @Option(names = "--groups", paramLabel = "LIST", description = "Comma list of the groups allowed to enter (default: everyone).")
    String groups = "";

    @Option(names = "--cwd-fallback", description = "A working directory not visible in the system falls back to $HOME.")
    boolean cwdFallback;

    @Option(names = "--hostfiles", paramLabel = "LIST", description = "Host files of /etc shown in the system, or 'none' (default: "
            + SystemRecord.DEFAULT_HOSTFILES + ").")
    String hostfiles;

    @Option(names = "--layer", paramLabel = "KIND", description = "none (default), persistent: a writable local layer "
            + "(overlayfs, upper under /OS/.layer/NAME) over the read-only tree, see vsys diff, vsys reset; or session: "
            + "each launch gets a throw-away writable layer (tmpfs), gone when its last process exits.")
    String layer;

    @Option(names = "--merge", paramLabel = "PATH", description = "With --layer persistent: a path the 3-way merge of "
            + "'vsys switch' covers (repeatable; default /etc).")
    List<String> merge = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SEC", description = "Wait at most SEC seconds for a server (default: ${DEFAULT-VALUE}).")
    int timeout = 10;

    @Override
    int execute() throws Exception {
        CreateRequest r = new CreateRequest();
        r.name = name;
        r.source = source;
        r.mounts = mounts;
        r.readOnly = readOnly;
        r.readWrite = readWrite;
        r.options = options;
        r.exclude = exclude;
        r.suid = suid;
        r.dev = dev;
        r.identity = identity;
        r.knownHosts = knownHosts;
        r.nfsVersion = nfsVersion;
        r.users = users;
        r.groups = groups;
        r.cwdFallback = cwdFallback;
        r.hostfiles = hostfiles;
        r.timeoutSeconds = timeout;
        r.layer = layer;
        r.merge = merge;
        SystemRecord rec = new Create(installation(), debug()).run(r);
        for (FsEntry fs : rec.filesystems()) {
            out().println(rec.name() + ": " + fs.path() + " <- " + fs.source() + " (" + String.join(",", fs.options()) + ")");
        }
        if (rec.layered()) {
            out().println(rec.name() + ": persistent layer " + new org.vsys.core.Layer(installation(), rec.name()).upper(rec.layer().gen()));
        }
        if (rec.session()) {
            out().println(rec.name() + ": session layer (each launch writes to its own tmpfs, gone when it ends)");
        }
        out().println(rec.name() + ": ready; run commands with " + installation().link(rec.name()));
        return 0;
    }
}
