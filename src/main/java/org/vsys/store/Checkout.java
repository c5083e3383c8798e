package org.vsys.store;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import org.vsys.base.AtomicFile;
import org.vsys.linux.PosixException;
import org.vsys.linux.Xattrs;
import org.vsys.linux.DirFds;
import org.vsys.linux.Errno;

/**
 * A checkout: the tree of one commit under {@code checkouts/<commit>}, every regular file a hard
 * link to its object (which carries the file's metadata), every symlink a hard link to its symlink
 * object when the store has one (else a new symlink), directories and special files made with the
 * metadata of their entries. Everything is made relative to open directory descriptors, from the
 * tree objects' bytes, with JNA direct calls: per file one linkat, per directory mkdirat, openat,
 * fchown, fchmod, futimens, close. Built in {@code checkouts/.tmp-<commit>-<pid>} and
 * renamed into place, so a checkout that exists is complete. Never written to afterwards: the
 * view binds it read-only.
 */
public final class Checkout {
    private final Store store;
    private final java.util.concurrent.atomic.LongAdder links = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder copies = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder symlinkLinks = new java.util.concurrent.atomic.LongAdder();
    /** Directories this near the root are filled in parallel (default none: on 2 busy cores it did not pay). */
    private static final int PARALLEL_DEPTH = Integer.getInteger("vsys.checkoutParallelDepth", 0);

    public Checkout(Store store) {
        this.store = store;
    }

    public Path path(String commit) {
        return store.checkouts().resolve(commit);
    }

    public long links() {
        return links.sum();
    }

    /** How many of the links were symlink objects (the others: file objects). */
    public long symlinkLinks() {
        return symlinkLinks.sum();
    }

    /** Makes the checkout of commit unless it exists; returns its path. Call under the store lock. */
    public Path ensure(String commit) throws IOException {
        Path dst = path(commit);
        if (Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
            return dst;
        }
        Commit c = store.commit(commit);
        Path tmp = store.checkouts().resolve(".tmp-" + commit + "-" + ProcessHandle.current().pid());
        if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(tmp);
        }
        DirFds.get().setTopDir(RawPaths.cpath(store.checkouts()));
        Files.createDirectory(tmp);
        int[] objDirs = new int[256];
        java.util.Arrays.fill(objDirs, -1);
        int rootFd = -1;
        java.util.concurrent.ForkJoinPool fj = PARALLEL_DEPTH > 0 ? new java.util.concurrent.ForkJoinPool(
                Math.max(2, Runtime.getRuntime().availableProcessors())) : null;
        try {
            for (int i = 0; i < 256; i++) {
                objDirs[i] = DirFds.get().openDir(DirFds.AT_FDCWD, RawPaths.cpath(store.objects().resolve(String.format("%02x", i))));
            }
            rootFd = DirFds.get().openDir(DirFds.AT_FDCWD, RawPaths.cpath(tmp));
            FillTask root = new FillTask(rootFd, c.root, 0, objDirs);
            if (fj != null) {
                fj.invoke(root);
            } else {
                fill(rootFd, c.root, 0, objDirs);
            }
            dirMeta(rootFd, c.rootMeta);
        } catch (PosixException x) {
            throw new IOException(tmp + ": " + x.getMessage(), x);
        } catch (java.io.UncheckedIOException x) {
            throw x.getCause();
        } finally {
            if (fj != null) {
                fj.shutdownNow();
            }
            DirFds.get().close(rootFd);
            for (int fd : objDirs) {
                DirFds.get().close(fd);
            }
        }
        // no syncfs: a checkout is metadata only (links, directories), which ext4 and xfs journal
        // in order, so the rename below is never durable before the entries it names
        AtomicFile.publishDirectory(tmp, dst);
        return dst;
    }

    /** One directory's entries as a fork/join task (only with -Dvsys.checkoutParallelDepth). */
    private final class FillTask extends java.util.concurrent.RecursiveAction {
        private static final long serialVersionUID = 1L;
        final int fd;
        final String tree;
        final int depth;
        final transient int[] objDirs;

        FillTask(int fd, String tree, int depth, int[] objDirs) {
            this.fd = fd;
            this.tree = tree;
            this.depth = depth;
            this.objDirs = objDirs;
        }

        @Override
        protected void compute() {
            try {
                fill(fd, tree, depth, objDirs);
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        }
    }

    /**
     * Fills the open directory dirFd with tree's entries, everything relative to directory file
     * descriptors (no path is resolved twice): a regular file is one linkat from its object's
     * objects/XX directory (the object inode already carries owner, mode, mtime and xattrs, so
     * nothing else is set on it); a directory is made, opened, filled and then given its owner,
     * xattrs, mode and mtime through its descriptor (after its children, so the mtime stays).
     */
    private void fill(int dirFd, String treeId, int depth, int[] objDirs) throws IOException {
        byte[] t = store.read(treeId, Store.TREE);
        List<FillTask> forks = null;
        List<Object[]> later = null;
        int pos = headerEnd(t, treeId);
        Line e = new Line();
        while (pos < t.length) {
            int eol = pos;
            while (eol < t.length && t[eol] != '\n') {
                eol++;
            }
            if (eol > pos) {
                try {
                    e.parse(t, pos, eol);
                } catch (RuntimeException x) {
                    throw new IOException("tree " + treeId + ": bad entry: " + new String(t, pos, eol - pos,
                            java.nio.charset.StandardCharsets.US_ASCII), x);
                }
                entry(dirFd, e, depth, objDirs, t, pos, eol);
                if (e.kind == 'd' && depth < PARALLEL_DEPTH) {
                    if (forks == null) {
                        forks = new ArrayList<>();
                        later = new ArrayList<>();
                    }
                    Entry full = e.full();
                    forks.add(new FillTask(e.fd, full.ref, depth + 1, objDirs));
                    later.add(new Object[] {e.fd, full});
                }
            }
            pos = eol + 1;
        }
        if (forks != null) {
            try {
                java.util.concurrent.ForkJoinTask.invokeAll(forks);
                for (Object[] l : later) {
                    dirMeta((Integer) l[0], (Entry) l[1]); // after its children: the mtime stays
                }
            } finally {
                for (Object[] l : later) {
                    DirFds.get().close((Integer) l[0]);
                }
            }
        }
    }

    private static int headerEnd(byte[] t, String treeId) throws IOException {
        byte[] h = (Tree.HEADER + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (t.length < h.length || !java.util.Arrays.equals(t, 0, h.length, h, 0, h.length)) {
            throw new IOException("tree " + treeId + ": not a tree object");
        }
        return h.length;
    }

    /** Makes one entry in dirFd (a directory: made, filled and closed unless it is forked). */
    private void entry(int dirFd, Line e, int depth, int[] objDirs, byte[] t, int from, int to) throws IOException {
        switch (e.kind) {
            case 'f' -> {
                int err = DirFds.get().link(objDirs[e.xx], e.object, dirFd, e.cname);
                if (err == 0) {
                    links.increment();
                } else if (err == Errno.ENOENT) {
                    throw new IOException("file object " + e.full().objectId() + " is missing");
                } else {
                    // EMLINK: the object has 65000 links already; this one gets a copy
                    Entry full = e.full();
                    Path p = RawPaths.child(Path.of("/proc/self/fd/" + dirFd), full.name);
                    Files.copy(store.object(full.objectId(), Store.FILE), p);
                    Metadata.apply(p, full);
                    copies.increment();
                }
            }
            case 'd' -> {
                e.fd = DirFds.get().mkdirOpen(dirFd, e.cname, 0700);
                if (depth >= PARALLEL_DEPTH) {
                    try {
                        Entry full = e.xattrs ? e.full() : null;
                        fill(e.fd, e.treeId(), depth + 1, objDirs);
                        if (full != null) {
                            dirMeta(e.fd, full);
                        } else {
                            DirFds.get().fchown(e.fd, e.uid, e.gid);
                            DirFds.get().fmodeTimes(e.fd, e.mode, e.sec, e.nsec);
                        }
                    } finally {
                        DirFds.get().close(e.fd);
                    }
                }
            }
            case 'l' -> {
                // a hard link to the symlink object when the store has it (no new inode)
                byte[] id = symlinkId(t, from, e.prefixEnd);
                int xx = Line.digit(id[0], 16) * 16 + Line.digit(id[1], 16);
                byte[] name = new byte[62 + SYMLINK_SUFFIX.length];
                System.arraycopy(id, 2, name, 0, 62);
                System.arraycopy(SYMLINK_SUFFIX, 0, name, 62, SYMLINK_SUFFIX.length);
                if (DirFds.get().link(objDirs[xx], name, dirFd, e.cname) == 0) {
                    links.increment();
                    symlinkLinks.increment();
                } else {
                    DirFds.get().symlink(e.target, dirFd, e.cname);
                    otherMeta(dirFd, e, t, from, to, true);
                }
            }
            default -> {
                int type = switch (e.kind) {
                    case 'c' -> 0020000;
                    case 'b' -> 0060000;
                    case 'p' -> 0010000;
                    default -> 0140000;
                };
                try {
                    DirFds.get().mknod(dirFd, e.cname, type | e.mode, e.rdev);
                } catch (PosixException x) {
                    throw new IOException(Escape.of(java.util.Arrays.copyOf(e.cname, e.cname.length - 1))
                            + ": cannot make the special file: " + x.getMessage(), x);
                }
                otherMeta(dirFd, e, t, from, to, false);
            }
        }
    }

    /**
     * One line of a tree object as the checkout needs it, from {@link TreeLine}'s parse of its
     * bytes: no Strings, the object's file name in objects/XX and the entry's name as
     * NUL-terminated bytes, the ref checked for the kind. A line with xattrs (rare) is made an
     * Entry ({@link #full}) where they are needed.
     */
    static final class Line {
        private final TreeLine words = new TreeLine();
        char kind;
        int mode;
        int uid;
        int gid;
        long sec;
        int nsec;
        boolean xattrs;
        byte[] cname;
        /** the end of the line's words before the name (what Entry.symlinkId hashes) */
        int prefixEnd;
        /** f: REST.file\0 in objects/XX; xx: the XX as a number */
        byte[] object;
        int xx;
        /** d: the tree id's position in the line's array */
        private byte[] buf;
        private int refAt;
        /** l: the target, NUL-terminated */
        byte[] target;
        long rdev;
        int fd = -1;

        void parse(byte[] b, int from, int to) {
            TreeLine w = words.parse(b, from, to);
            buf = b;
            fd = -1;
            kind = w.kind;
            mode = w.mode;
            uid = w.uid;
            gid = w.gid;
            sec = w.sec;
            nsec = w.nsec;
            int ref = w.refFrom();
            int refEnd = w.refTo();
            switch (kind) {
                case 'f' -> {
                    if (refEnd - ref < 65 || b[ref + 64] != ':') {
                        throw new IllegalArgumentException("bad file ref");
                    }
                    hex(ref, 64);
                    xx = digit(b[ref], 16) * 16 + digit(b[ref + 1], 16);
                    object = new byte[62 + 6];
                    System.arraycopy(b, ref + 2, object, 0, 62);
                    System.arraycopy(FILE_SUFFIX, 0, object, 62, FILE_SUFFIX.length);
                }
                case 'd' -> {
                    if (refEnd - ref != 64) {
                        throw new IllegalArgumentException("bad tree ref");
                    }
                    hex(ref, 64);
                    refAt = ref;
                }
                case 'l' -> target = Escape.parse(b, ref, refEnd, true);
                case 'c', 'b' -> {
                    rdev = 0;
                    for (int i = ref; i < refEnd; i++) {
                        rdev = rdev * 10 + digit(b[i], 10);
                    }
                }
                default -> {
                }
            }
            xattrs = w.hasXattrs();
            prefixEnd = w.nameFrom() - 1;
            cname = Escape.parse(b, w.nameFrom(), w.nameTo(), true);
            if (cname.length == 1) {
                throw new IllegalArgumentException("empty name");
            }
        }

        String treeId() {
            return new String(buf, refAt, 64, java.nio.charset.StandardCharsets.US_ASCII);
        }

        /** The line last parsed as an Entry. */
        Entry full() {
            return words.entry();
        }

        private void hex(int at, int n) {
            for (int i = at; i < at + n; i++) {
                digit(buf[i], 16);
            }
        }

        static int digit(byte c, int radix) {
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99;
            if (d >= radix) {
                throw new IllegalArgumentException("bad digit");
            }
            return d;
        }
    }

    private static final byte[] SYMLINK_SUFFIX = ("." + Store.SYMLINK + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] SYMLINK_HEADER = Entry.SYMLINK_HEADER.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final ThreadLocal<java.security.MessageDigest> digests = ThreadLocal.withInitial(Hashing::sha256);

    /** Entry.symlinkId from the line's bytes before its name, as hex bytes. */
    private byte[] symlinkId(byte[] t, int from, int to) {
        java.security.MessageDigest md = digests.get();
        md.update(SYMLINK_HEADER);
        md.update(t, from, to - from);
        return Escape.hex(md.digest()).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static final byte[] FILE_SUFFIX = ".file\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Owner, xattrs, mode, mtime of an open directory, in the order of Metadata.apply. */
    private static void dirMeta(int fd, Entry e) throws PosixException {
        DirFds.get().fchown(fd, e.uid, e.gid);
        for (byte[][] x : e.xattrs) {
            Xattrs.get().set(fd, x[0], x[1]);
        }
        DirFds.get().fmodeTimes(fd, e.mode, e.mtimeSec, e.mtimeNsec);
    }

    /** Metadata of a symlink or special file in dirFd (xattrs, rare, through /proc/self/fd). */
    private static void otherMeta(int dirFd, Line e, byte[] t, int from, int to, boolean symlink) throws IOException {
        if (!e.xattrs) {
            DirFds.get().setMeta(dirFd, e.cname, e.uid, e.gid, e.mode, symlink, e.sec, e.nsec);
        } else {
            Entry full = e.full();
            Metadata.apply(RawPaths.child(Path.of("/proc/self/fd/" + dirFd), full.name), full);
        }
    }

    /** Removes a checkout: renamed away first, so a half-removed one never looks complete. */
    public void remove(String commit) throws IOException {
        Path dst = path(commit);
        if (!Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path del = store.checkouts().resolve(".del-" + commit + "-" + ProcessHandle.current().pid());
        Files.move(dst, del, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(del);
    }

    public static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
