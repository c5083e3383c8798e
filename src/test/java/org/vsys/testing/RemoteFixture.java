package org.vsys.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

/**
 * The SSH remote host of tests/remote/remote.sh: sshd in network namespace vsys-NAME serving
 * the cached Debian tree. If test.sh already started it (its files are in /run/vsys-remote/NAME)
 * it is used as it is; otherwise the fixture starts it and stops it again in {@link #close()}.
 */
public final class RemoteFixture implements AutoCloseable {
    public final String name;
    public final String ip;
    /** e.g. ssh://root@10.201.x.y/var/cache/vsys/rootfs-bookworm-gcc */
    public final String url;
    public final Path identity;
    public final Path knownHosts;
    /** The remote's tree on this machine's disk (what sshd serves). */
    public final Path tree;
    private final boolean owned;

    private RemoteFixture(String name, boolean owned) throws IOException {
        this.name = name;
        this.owned = owned;
        Path d = Paths.get("/run/vsys-remote", name);
        this.ip = Files.readString(d.resolve("ip")).strip();
        this.url = Files.readString(d.resolve("url")).strip();
        this.identity = d.resolve("id_ed25519");
        this.knownHosts = d.resolve("known_hosts");
        this.tree = Paths.get(url.substring(url.indexOf('/', "ssh://".length())));
    }

    public static RemoteFixture up() {
        return up(ItEnv.REMOTE);
    }

    public static RemoteFixture up(String name) {
        Path script = ItEnv.BASEDIR.resolve("tests/remote/remote.sh");
        Path d = Paths.get("/run/vsys-remote", name);
        boolean running = Files.exists(d.resolve("url"))
                && Cmd.of(script.toString(), "status", name).timeout(Duration.ofSeconds(30)).run().exit() == 0;
        boolean owned = false;
        if (!running) {
            ItEnv.require(Files.isExecutable(script), script + " exists");
            Cmd.Result r = Cmd.of(script.toString(), "up", name).timeout(Duration.ofMinutes(15)).run();
            ItEnv.require(r.exit() == 0, "the SSH remote '" + name + "' starts: " + r);
            owned = true;
        }
        try {
            return new RemoteFixture(name, owned);
        } catch (IOException e) {
            throw new AssertionError("remote " + name + " has no files in " + d + ": " + e, e);
        }
    }

    /** The URL of another path on the same remote. */
    public String url(String path) {
        return "ssh://root@" + ip + path;
    }

    /** The options that make vsys use this remote's client key and known_hosts. */
    public String[] sshOptions() {
        return new String[] {"--identity", identity.toString(), "--known-hosts", knownHosts.toString()};
    }

    @Override
    public void close() {
        if (owned) {
            Cmd.of(ItEnv.BASEDIR.resolve("tests/remote/remote.sh").toString(), "down", name).run();
        }
    }
}
