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
 * (its control socket, {@link Installation#sshControl}), as rsync reads a tree: one {@code find}
 * streams the metadata of every entry (instead of one SFTP round trip per stat), and {@code tar}
 * streams the content of the files a snapshot reads (instead of an open, reads and a close per
 * file). The remote's output is hostile input: {@link #parseListing} and {@link TarStream} are
 * its one parser each (docs/DESIGN.md, "Remote walk"), every entry is bounded, and a listing or a
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

    /** What find prints per entry: 8 words, the path, NUL, the symlink target (empty), NUL. */
    static final String FORMAT = "%y %m %U %G %T@ %s %n %i %P\\0%l\\0";

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
    Process start(String command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(SshfsTransport.sshCommand(fs, control, timeoutSeconds, command));
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

    /** The remote tree's listing: every entry below the root, by directory. */
    Listing list(long rootDev) throws Refused {
        long t0 = System.nanoTime();
        Process p;
        try {
            p = start("LC_ALL=C exec find -H " + quotedPath() + " -mindepth 1 -printf '" + FORMAT + "'");
        } catch (IOException e) {
            throw new Refused("cannot start ssh: " + e.getMessage());
        }
        try {
            p.getOutputStream().close();
            Listing l = parseListing(p.getInputStream(), rootDev);
            int rc = exit(p);
            if (rc != 0) {
                throw new Refused("find exited " + rc + " (see " + log + ")");
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
     * The one parser of a listing (docs/DESIGN.md, "Remote walk"): records of
     * {@code TYPE MODE UID GID MTIME SIZE NLINK INO PATH} NUL {@code TARGET} NUL, as sshfs would show
     * each entry (mtime in whole seconds, no device numbers, no xattrs: what SFTP carries). Refused:
     * a word out of its grammar, a type other than f d l c b p s, a mode above 07777, a time outside
     * what SFTP carries, a path that is empty, absolute (or ends in "/"), has an empty, "." or ".." component, names
     * an entry twice or one whose parent is not a directory listed before it, a symlink with no
     * target, a record or target over its bound, more than MAX_ENTRIES entries or MAX_LISTING_BYTES.
     */
    static Listing parseListing(InputStream raw, long rootDev) throws IOException, Refused {
        InputStream in = new BufferedInputStream(raw, 1 << 16);
        Listing l = new Listing();
        Map<String, String> dirs = new HashMap<>(); // a directory's path bytes (ISO-8859-1) -> its rel
        Set<String> seen = new HashSet<>();
        dirs.put("", "");
        byte[] rec = new byte[MAX_PATH + 256];
        byte[] target = new byte[MAX_TARGET + 1];
        long total = 0;
        while (true) {
            int n = field(in, rec);
            if (n < 0) {
                break; // the end, between records
            }
            int t = field(in, target);
            if (t < 0) {
                throw new Refused("a record without its target");
            }
            total += n + t + 2;
            if (++l.entries > MAX_ENTRIES || total > MAX_LISTING_BYTES) {
                throw new Refused("more than " + MAX_ENTRIES + " entries or " + MAX_LISTING_BYTES + " bytes");
            }
            int[] at = new int[9];
            int w = 0;
            for (int i = 0; i < n && w < 8; i++) {
                if (rec[i] == ' ') {
                    at[++w] = i + 1;
                }
            }
            if (w < 8 || at[8] >= n) {
                throw new Refused("a record of fewer than 9 words");
            }
            Entry e = new Entry();
            if (at[1] != 2) {
                throw new Refused("a bad type");
            }
            e.kind = switch (rec[0]) {
                case 'f', 'd', 'l', 'c', 'b', 'p', 's' -> (char) rec[0];
                default -> throw new Refused("an entry of type " + (char) (rec[0] & 0x7f));
            };
            long mode = number(rec, at[1], at[2] - 1, 8, 07777);
            e.mode = (int) mode;
            e.uid = (int) number(rec, at[2], at[3] - 1, 10, 0xffffffffL);
            e.gid = (int) number(rec, at[3], at[4] - 1, 10, 0xffffffffL);
            int dot = at[5] - 1;
            for (int i = at[4]; i < at[5] - 1; i++) {
                if (rec[i] == '.') {
                    dot = i;
                    break;
                }
            }
            e.mtimeSec = number(rec, at[4], dot, 10, 0xffffffffL); // SFTP's times: unsigned 32 bits
            if (dot < at[5] - 1) {
                number(rec, dot + 1, at[5] - 1, 10, Long.MAX_VALUE); // the fraction: digits, not kept (sshfs shows none)
            }
            e.mtimeNsec = 0;
            long size = number(rec, at[5], at[6] - 1, 10, 1L << 62);
            e.nlink = number(rec, at[6], at[7] - 1, 10, 1L << 62);
            e.ino = number(rec, at[7], at[8] - 1, 10, Long.MAX_VALUE);
            e.dev = rootDev;
            String path = new String(rec, at[8], n - at[8], StandardCharsets.ISO_8859_1);
            int slash = path.lastIndexOf('/');
            String parent = slash < 0 ? "" : path.substring(0, slash);
            e.name = path.substring(slash + 1).getBytes(StandardCharsets.ISO_8859_1);
            if (e.name.length == 0 || path.startsWith("/") || path.endsWith("/") || path.equals(".") || path.equals("..") || e.name.length == 1 && e.name[0] == '.'
                    || e.name.length == 2 && e.name[0] == '.' && e.name[1] == '.') {
                throw new Refused("a path with an empty, . or .. name");
            }
            String prel = dirs.get(parent);
            if (prel == null) {
                throw new Refused("an entry whose parent is not a directory listed before it");
            }
            if (!seen.add(path)) {
                throw new Refused("an entry listed twice");
            }
            switch (e.kind) {
                case 'f' -> e.size = size;
                case 'l' -> {
                    if (t == 0) {
                        throw new Refused("a symlink without a target");
                    }
                    byte[] tb = java.util.Arrays.copyOf(target, t);
                    e.size = t;
                    e.ref = Escape.of(tb);
                }
                case 'c', 'b' -> e.ref = "0"; // SFTP carries no device numbers: sshfs shows 0
                default -> e.size = 0;
            }
            if (e.kind != 'l' && t != 0) {
                throw new Refused("a target for an entry that is not a symlink");
            }
            String rel = prel + "/" + e.key();
            if (e.kind == 'd') {
                dirs.put(path, rel);
            }
            l.children.computeIfAbsent(prel, k -> new ArrayList<>()).add(e);
        }
        return l;
    }

    /** Reads up to the next NUL into buf: the length, or -1 at the end of the stream before any byte. */
    private static int field(InputStream in, byte[] buf) throws IOException, Refused {
        int n = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (n == 0) {
                    return -1;
                }
                throw new Refused("a record cut off");
            }
            if (c == 0) {
                return n;
            }
            if (n == buf.length) {
                throw new Refused("a record over " + buf.length + " bytes");
            }
            buf[n++] = (byte) c;
        }
    }

    /** The digits b[from..to) in radix 8 or 10, at most max; refused if empty, not digits or too big. */
    private static long number(byte[] b, int from, int to, int radix, long max) throws Refused {
        if (to <= from || to - from > 20) {
            throw new Refused("a bad number");
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d >= radix) {
                throw new Refused("a bad number");
            }
            if (v > (max - d) / radix) {
                throw new Refused("a number out of range");
            }
            v = v * radix + d;
        }
        return v;
    }

    /**
     * Starts tar on the remote writing the regular files {@code paths} (below the root, bytes of
     * the names joined by "/") in that order, each as it is (no recursion, hard links as files).
     */
    Process tar(List<byte[]> paths) throws IOException {
        Process p = start("cd " + quotedPath() + " && LC_ALL=C exec tar -cf - --format=gnu --numeric-owner --no-recursion "
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
