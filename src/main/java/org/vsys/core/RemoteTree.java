package org.vsys.core;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountTable;
import org.vsys.mount.SshfsTransport;
import org.vsys.store.Entry;
import org.vsys.store.Escape;

/**
 * The tree of an ssh:// system read on the remote host through the connection of its sshfs's ssh
 * (its control socket, {@link Installation#sshControl}), as rsync reads a tree: one SFTP session
 * lists every directory with many requests in flight ({@link SftpListing}: no FUSE round trip and
 * no stat per entry), and {@code tar} streams the content of the files a snapshot reads (instead
 * of an open, reads and a close per file). The remote's output is hostile input: {@link SftpListing}
 * and {@link TarStream} are its one reader each (docs/DESIGN.md, "Remote walk"), every entry is bounded, and a listing or a
 * stream that does not parse, or a remote that lacks the tool, is refused: the snapshot then
 * walks or reads over the sshfs mount as before. The hashes are computed locally as ever.
 */
public final class RemoteTree {
    /** Bounds of a listing: entries, bytes, bytes of one record (path) and of one symlink target. */
    static final int MAX_ENTRIES = 4_000_000;
    static final long MAX_LISTING_BYTES = 1L << 30;
    static final int MAX_PATH = 4096;
    static final int MAX_TARGET = 4096;
    /** What one listing or one tar stream may take. */
    static final long TIMEOUT_MS = 600_000;


    private final FsEntry fs;
    private final Path control;
    private final Path log;
    private final int timeoutSeconds;

    RemoteTree(FsEntry fs, Path control, Path log, int timeoutSeconds) {
        this.fs = fs;
        this.control = control;
        this.log = log;
        this.timeoutSeconds = timeoutSeconds;
    }

    /**
     * The remote tree of a system whose source {@code src} is the sshfs mount of its only
     * filesystem, an ssh:// root with no transport options (those could change what the mount
     * shows: idmap=, ...), while the control socket of that sshfs's ssh is there; else null (the
     * snapshot walks the mount). {@code -Dvsys.remoteWalk=false}: always null.
     */
    public static RemoteTree of(Installation inst, SystemRecord rec, Path src) {
        if ("false".equals(System.getProperty("vsys.remoteWalk")) || rec.filesystems().size() != 1) {
            return null;
        }
        FsEntry root = rec.root();
        if (root.source().kind() != SourceUrl.Kind.SSH || !root.transportOptions().isEmpty()) {
            return null;
        }
        Path control = SshfsTransport.control(root, inst.sshControl(rec.name()));
        if (control == null || !Files.exists(control, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        MountTable.Mount m = MountTable.read().at(src.toString());
        if (m == null || !m.fsType().equals("fuse.sshfs") || !m.source().equals(SshfsTransport.remote(root.source()))) {
            return null;
        }
        return new RemoteTree(root, control, inst.logFile(rec.name()), 10);
    }

    /** A listing or stream the snapshot does not use (it walks or reads over sshfs instead). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String why) {
            super(why);
        }
    }

    /** The remote path, quoted for the remote shell. */
    String quotedPath() {
        return quote(fs.source().path());
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Starts ssh running {@code command} remotely; stderr goes to the system's log; killed at the bound. */
    Process start(boolean subsystem, String command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(SshfsTransport.sshCommand(fs, control, timeoutSeconds, subsystem, command));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        CompletableFuture.delayedExecutor(TIMEOUT_MS, TimeUnit.MILLISECONDS).execute(() -> {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        });
        return p;
    }

    /** Waits for the end of p: its exit status (the stream was read to its end). */
    static int exit(Process p) throws Refused {
        try {
            if (!p.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new Refused("no end within " + TIMEOUT_MS / 1000 + " s");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new Refused("interrupted");
        }
    }

    /**
     * The remote tree's listing: every entry below the root, by directory, over an SFTP session of
     * its own through the sshfs's connection ({@link SftpListing}; a subsystem: no login shell runs).
     */
    Listing list() throws Refused {
        long t0 = System.nanoTime();
        Process p;
        try {
            p = start(true, "sftp");
        } catch (IOException e) {
            throw new Refused("cannot start ssh: " + e.getMessage());
        }
        try {
            Listing l;
            try (OutputStream o = new java.io.BufferedOutputStream(p.getOutputStream(), 1 << 16)) {
                l = new SftpListing(new BufferedInputStream(p.getInputStream(), 1 << 16), o,
                        fs.source().path().getBytes(StandardCharsets.UTF_8)).run();
            }
            l.millis = (System.nanoTime() - t0) / 1_000_000;
            return l;
        } catch (IOException e) {
            throw new Refused("reading the listing: " + e.getMessage());
        } finally {
            p.destroyForcibly();
        }
    }

    /** A listing: the entries of each directory, by the directory's path as the walk names it (Snapshot's Dir.rel). */
    static final class Listing {
        final Map<String, List<Entry>> children = new HashMap<>();
        int entries;
        /** From the start of ssh to the end of the listing. */
        long millis;

        /** The entries of the directory rel ("" for the root, else "/" and escaped names joined by "/"). */
        List<Entry> children(String rel) {
            List<Entry> c = children.get(rel);
            return c == null ? List.of() : c;
        }
    }

    /**
     * Starts tar on the remote writing the regular files {@code paths} (below the root, bytes of
     * the names joined by "/") in that order, each as it is (no recursion, hard links as files).
     */
    Process tar(List<byte[]> paths) throws IOException {
        Process p = start(false, "cd " + quotedPath() + " && LC_ALL=C exec tar -cf - --format=gnu --numeric-owner --no-recursion "
                + "--hard-dereference --null --verbatim-files-from -T -");
        CompletableFuture.runAsync(() -> {
            try (OutputStream o = new java.io.BufferedOutputStream(p.getOutputStream(), 1 << 16)) {
                for (byte[] b : paths) {
                    o.write('.');
                    o.write('/');
                    o.write(b);
                    o.write(0);
                }
            } catch (IOException e) {
                p.destroyForcibly(); // the reader then sees a stream cut off
            }
        });
        return p;
    }
}
