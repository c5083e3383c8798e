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

/**
 * A snapshot of the SSH remote (tests/remote/remote.sh, the debootstrapped tree with gcc): the
 * checkout is identical to what the mount shows, and with sshd gone the system still runs from
 * its snapshot.
 */
class RemoteSnapshotIT {
    static final String REMOTE = Sh.env("VSYS_IT_SNAP_REMOTE", "itsnap");
    static final String NAME = "it-snap-r";
    static String url;
    static Path dir;

    @BeforeAll
    static void up() throws Exception {
        Sh.requireRootAndVsys();
        Path script = Sh.BASEDIR.resolve("tests/remote/remote.sh");
        Sh.Result r = Sh.run(java.util.Map.of(), 1800, script.toString(), "up", REMOTE);
        Sh.require(r.exit() == 0, "the SSH remote " + REMOTE + " starts: " + r);
        dir = Paths.get("/run/vsys-remote", REMOTE);
        url = Files.readString(dir.resolve("url")).strip();
        Sh.destroyQuietly(NAME);
    }

    @AfterAll
    static void down() throws Exception {
        Sh.run(Sh.BASEDIR.resolve("tests/remote/remote.sh").toString(), "down", REMOTE);
        Sh.destroyQuietly(NAME);
        Files.deleteIfExists(Sh.R.resolve(".store/refs").resolve(NAME));
        Sh.vsys("gc");
    }

    @Test
    void snapshotRunsWithTheServerDown() throws Exception {
        Sh.vsysOk("create", "--identity", dir.resolve("id_ed25519").toString(), "--known-hosts",
                dir.resolve("known_hosts").toString(), NAME, url);
        String snap = Sh.vsysOk("snapshot", NAME);
        assertTrue(snap.contains(" entries"), snap);
        String sw = Sh.vsysOk("switch", NAME, "--snapshot");
        Path co = null;
        for (String l : Files.readAllLines(Sh.R.resolve("etc/systems").resolve(NAME))) {
            if (l.startsWith("view=")) {
                co = Paths.get(l.substring(5));
            }
        }
        assertTrue(co != null && Files.isDirectory(co), sw);
        // byte- and metadata-identical to what the mount shows (sshfs: no xattrs, mtime in seconds)
        List<String> live = TreeDump.of(Sh.R.resolve(NAME));
        List<String> snapshot = TreeDump.of(co);
        assertEquals(live.size(), snapshot.size());
        for (int i = 0; i < live.size(); i++) {
            assertEquals(live.get(i), snapshot.get(i));
        }
        assertEquals(0, Sh.vsys("fsck").exit());
        // sshd gone: the system runs from its snapshot
        Sh.run(Sh.BASEDIR.resolve("tests/remote/remote.sh").toString(), "down", REMOTE);
        Sh.Result r = Sh.run(java.util.Map.of(), 60, Sh.R.resolve("bin").resolve(NAME).toString(), "cat", "/etc/os-release");
        if (SnapshotIT.viewSupport()) {
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Debian"), r.toString());
        }
    }
}
