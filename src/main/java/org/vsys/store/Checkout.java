package org.vsys.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import org.vsys.linux.PosixException;
import org.vsys.linux.StoreCalls;

/**
 * A checkout: the tree of one commit under {@code checkouts/<commit>}, every regular file a hard
 * link to its object (which carries the file's metadata), directories, symlinks and special files
 * made with the metadata of their entries. Built in {@code checkouts/.tmp-<commit>-<pid>} and
 * renamed into place, so a checkout that exists is complete. Never written to afterwards: the
 * view binds it read-only.
 */
public final class Checkout {
    private final Store store;
    private final java.util.concurrent.atomic.LongAdder links = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder copies = new java.util.concurrent.atomic.LongAdder();
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
        Files.createDirectory(tmp);
        java.util.concurrent.ForkJoinPool fj = new java.util.concurrent.ForkJoinPool(
                Math.max(2, Runtime.getRuntime().availableProcessors()));
        try {
            fj.invoke(new FillTask(tmp, c.root, 0));
        } catch (java.io.UncheckedIOException x) {
            throw x.getCause();
        } finally {
            fj.shutdownNow();
        }
        Metadata.apply(tmp, c.rootMeta);
        // no syncfs: a checkout is metadata only (links, directories), which ext4 and xfs journal
        // in order, so the rename below is never durable before the entries it names
        Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel ch = FileChannel.open(store.checkouts(), StandardOpenOption.READ)) {
            ch.force(true);
        }
        return dst;
    }

    /** One directory's entries as a fork/join task. */
    private final class FillTask extends java.util.concurrent.RecursiveAction {
        private static final long serialVersionUID = 1L;
        final transient Path dir;
        final String tree;
        final int depth;

        FillTask(Path dir, String tree, int depth) {
            this.dir = dir;
            this.tree = tree;
            this.depth = depth;
        }

        @Override
        protected void compute() {
            try {
                fill(dir, store.tree(tree), depth);
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        }
    }

    private void fill(Path dir, Tree tree, int depth) throws IOException {
        List<FillTask> forks = new ArrayList<>();
        List<Object[]> later = new ArrayList<>();
        for (Entry e : tree.entries) {
            Path p = RawPaths.child(dir, e.name);
            switch (e.kind) {
                case 'f' -> {
                    Path obj = store.object(e.objectId(), Store.FILE);
                    try {
                        Files.createLink(p, obj);
                        links.increment();
                    } catch (FileSystemException x) {
                        if (!String.valueOf(x.getReason()).contains("Too many links")) {
                            throw x;
                        }
                        // EMLINK: the object has 65000 links already; this one gets a copy
                        Files.copy(obj, p);
                        Metadata.apply(p, e);
                        copies.increment();
                    }
                }
                case 'd' -> {
                    Files.createDirectory(p);
                    if (depth < PARALLEL_DEPTH) {
                        forks.add(new FillTask(p, e.ref, depth + 1));
                        later.add(new Object[] {p, e});
                    } else {
                        fill(p, store.tree(e.ref), depth + 1);
                        Metadata.apply(p, e);
                    }
                }
                case 'l' -> {
                    Files.createSymbolicLink(p, RawPaths.fromBytes(Escape.parse(e.ref)));
                    Metadata.apply(p, e);
                }
                default -> {
                    int type = switch (e.kind) {
                        case 'c' -> 0020000;
                        case 'b' -> 0060000;
                        case 'p' -> 0010000;
                        default -> 0140000;
                    };
                    long rdev = e.kind == 'c' || e.kind == 'b' ? Long.parseLong(e.ref) : 0;
                    try {
                        StoreCalls.mknod(RawPaths.cpath(p), type | e.mode, rdev);
                    } catch (PosixException x) {
                        throw new IOException(p + ": cannot make the special file: " + x.getMessage(), x);
                    }
                    Metadata.apply(p, e);
                }
            }
        }
        if (!forks.isEmpty()) {
            java.util.concurrent.ForkJoinTask.invokeAll(forks);
            for (Object[] l : later) {
                Metadata.apply((Path) l[0], (Entry) l[1]); // after its children: the mtime stays
            }
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

    static void deleteTree(Path root) throws IOException {
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
