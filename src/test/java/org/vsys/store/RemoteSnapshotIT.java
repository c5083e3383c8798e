package org.vsys.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vsys.testing.Cmd;
import org.vsys.testing.ItEnv;

/**
 * A snapshot of the SSH remote (tests/remote/remote.sh, the debootstrapped tree with gcc): the
 * checkout is identical to what the mount shows, and with sshd gone the system still runs from
 * its snapshot.
 */
class RemoteSnapshotIT {
    static final String REMOTE = ItEnv.env("VSYS_IT_SNAP_REMOTE", "itsnap");
    static final String NAME = "it-snap-r";
    static String url;
    static Path dir;

    @BeforeAll
    static void up() throws Exception {
        ItEnv.requireRootAndVsys();
        Path script = ItEnv.BASEDIR.resolve("tests/remote/remote.sh");
        Cmd.Result r = Cmd.of(script.toString(), "up", REMOTE).dir(Path.of("/")).timeoutSeconds(1800).run();
        ItEnv.require(r.exit() == 0, "the SSH remote " + REMOTE + " starts: " + r);
        dir = Paths.get("/run/vsys-remote", REMOTE);
        url = Files.readString(dir.resolve("url")).strip();
        ItEnv.destroyQuietly(NAME);
    }

    @AfterAll
    static void down() throws Exception {
        Cmd.of(ItEnv.BASEDIR.resolve("tests/remote/remote.sh").toString(), "down", REMOTE).dir(Path.of("/")).timeoutSeconds(600).run();
        ItEnv.destroyQuietly(NAME);
        Files.deleteIfExists(ItEnv.R.resolve(".store/refs").resolve(NAME));
        ItEnv.vsys("gc");
    }

    @Test
    void snapshotRunsWithTheServerDown() throws Exception {
        ItEnv.vsysOk("create", "--identity", dir.resolve("id_ed25519").toString(), "--known-hosts",
                dir.resolve("known_hosts").toString(), NAME, url);
        String snap = ItEnv.vsysOk("snapshot", NAME);
        assertTrue(snap.contains(" entries"), snap);
        // walked and read on the remote through the sshfs's own ssh connection (RemoteTree)
        assertTrue(snap.contains("walked on the remote (") && snap.contains("listed over sftp") && snap.contains(" files through tar"), snap);
        assertTrue(Files.exists(ItEnv.R.resolve(".state").resolve(NAME + ".ssh")), "the control socket of the sshfs's ssh");
        // the walk over the mount finds the very same tree (nothing changed), and so does the remote walk again
        Cmd.Result overMount = Cmd.of(ItEnv.VSYS, "snapshot", NAME).env("JAVA_TOOL_OPTIONS", "-Dvsys.remoteWalk=false")
                .timeoutSeconds(600).run();
        assertEquals(0, overMount.exit(), overMount.toString());
        assertTrue(overMount.out().contains("nothing changed since") && !overMount.out().contains("walked on the remote"),
                overMount.toString());
        String again = ItEnv.vsysOk("snapshot", NAME);
        assertTrue(again.contains("nothing changed since") && again.contains("walked on the remote ("), again);
        String sw = ItEnv.vsysOk("switch", NAME, "--snapshot");
        Path co = null;
        for (String l : Files.readAllLines(ItEnv.R.resolve("etc/systems").resolve(NAME))) {
            if (l.startsWith("view=")) {
                co = Paths.get(l.substring(5));
            }
        }
        assertTrue(co != null && Files.isDirectory(co), sw);
        // byte- and metadata-identical to what the mount shows (sshfs: no xattrs, mtime in seconds):
        // the contents read through tar are the mount's
        List<String> live = TreeDump.of(ItEnv.R.resolve(NAME));
        List<String> snapshot = TreeDump.of(co);
        assertEquals(live.size(), snapshot.size());
        for (int i = 0; i < live.size(); i++) {
            assertEquals(live.get(i), snapshot.get(i));
        }
        assertEquals(0, ItEnv.vsys("fsck").exit());
        // sshd gone: the system runs from its snapshot
        Cmd.of(ItEnv.BASEDIR.resolve("tests/remote/remote.sh").toString(), "down", REMOTE).dir(Path.of("/")).timeoutSeconds(600).run();
        Cmd.Result r = Cmd.of(ItEnv.R.resolve("bin").resolve(NAME).toString(), "cat", "/etc/os-release").dir(Path.of("/")).timeoutSeconds(60).run();
        if (SnapshotIT.viewSupport()) {
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Debian"), r.toString());
        }
    }
}
