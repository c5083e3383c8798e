package org.vsys.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.vsys.base.VsysException;
import org.vsys.config.Lock;

/**
 * Verifies the store: every object against its id (file objects: the SHA-256 of their content and
 * their own metadata; trees and commits: the SHA-256 of their text), then that every commit of
 * every system, and every checkout, names only objects that exist. A commit's parent is not
 * followed: a commit pulled without its parent is complete (counted in {@link Result#parentless}).
 */
public final class Fsck {
    /** The outcome. */
    public static final class Result {
        public final List<String> damage = Collections.synchronizedList(new ArrayList<>());
        public final AtomicLong objects = new AtomicLong();
        public final AtomicLong bytes = new AtomicLong();
        public long commits;
        /** Commits whose parent is not in the store: pulled without it (no damage, like OSTree's commits pulled at depth 0). */
        public long parentless;
        public long leftovers;

        public boolean clean() {
            return damage.isEmpty();
        }
    }

    private final Store store;
    private final Metadata meta = new Metadata();
    private static final ThreadLocal<ByteBuffer> BUF = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 20));

    public Fsck(Store store) {
        this.store = store;
    }

    /** {@link #run} under the store lock, on every core (at least two threads); null when there is no store. */
    public Result runLocked() throws IOException, VsysException {
        if (!store.exists()) {
            return null;
        }
        try (Lock lock = store.lock()) {
            return run(Math.max(2, Runtime.getRuntime().availableProcessors()));
        }
    }

    public Result run(int threads) throws IOException {
        Result r = new Result();
        if (!store.exists()) {
            return r;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        List<Future<?>> fs = new ArrayList<>();
        try {
            try (DirectoryStream<Path> top = Files.newDirectoryStream(store.objects())) {
                for (Path xx : top) {
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(xx)) {
                        for (Path p : ds) {
                            fs.add(pool.submit(() -> verify(p, xx.getFileName().toString(), r)));
                        }
                    }
                }
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (Exception e) {
                    r.damage.add("internal: " + e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        connectivity(r);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.tmp())) {
            for (Path p : ds) {
                r.leftovers++;
            }
        }
        Collections.sort(r.damage);
        return r;
    }

    private void verify(Path p, String xx, Result r) {
        String f = p.getFileName().toString();
        int dot = f.indexOf('.');
        String rel = "objects/" + xx + "/" + f;
        if (dot != 62 || !(xx + f.substring(0, dot)).matches("[0-9a-f]{64}")) {
            r.damage.add(rel + ": not an object name");
            return;
        }
        String id = xx + f.substring(0, dot);
        String type = f.substring(dot + 1);
        try {
            switch (type) {
                case Store.FILE -> {
                    Hasher md = Hasher.create();
                    ByteBuffer buf = BUF.get();
                    long n = 0;
                    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
                        int k;
                        buf.clear();
                        while ((k = in.read(buf)) >= 0) {
                            buf.flip();
                            md.update(buf);
                            buf.clear();
                            n += k;
                        }
                    }
                    Entry e = meta.read(p, new byte[] {'x'});
                    if (e.kind != 'f') {
                        r.damage.add(rel + ": not a regular file");
                        return;
                    }
                    String actual = Entry.fileId(e, Escape.hex(md.digest()));
                    r.bytes.addAndGet(n);
                    if (!actual.equals(id)) {
                        r.damage.add(rel + ": content or metadata does not match its id (now " + actual.substring(0, 12) + ")");
                    }
                }
                case Store.SYMLINK -> {
                    Entry e = meta.read(p, new byte[] {'x'});
                    if (e.kind != 'l') {
                        r.damage.add(rel + ": not a symlink");
                        return;
                    }
                    String actual = Entry.symlinkId(e);
                    if (!actual.equals(id)) {
                        r.damage.add(rel + ": target or metadata does not match its id (now " + actual.substring(0, 12) + ")");
                    }
                }
                case Store.TREE, Store.COMMIT -> {
                    byte[] b = Files.readAllBytes(p);
                    r.bytes.addAndGet(b.length);
                    if (!Hashing.sha256(b).equals(id)) {
                        r.damage.add(rel + ": content does not match its id");
                        return;
                    }
                    if (type.equals(Store.TREE)) {
                        Tree.parse(b);
                    } else {
                        Commit.parse(b);
                    }
                }
                default -> {
                    r.damage.add(rel + ": unknown object type");
                    return;
                }
            }
            r.objects.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            r.damage.add(rel + ": unreadable: " + e.getMessage());
        }
    }

    private void connectivity(Result r) throws IOException {
        Set<String> seenTrees = new HashSet<>();
        List<String> commits = new ArrayList<>();
        for (String sys : store.systems()) {
            for (String c : store.commits(sys)) {
                commits.add(c);
                if (!store.has(c, Store.COMMIT)) {
                    r.damage.add("refs/" + sys + ": commit " + c.substring(0, 12) + " is missing");
                }
            }
        }
        if (Files.isDirectory(store.checkouts())) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.checkouts())) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (n.matches("[0-9a-f]{64}")) {
                        if (!store.has(n, Store.COMMIT)) {
                            r.damage.add("checkouts/" + n.substring(0, 12) + ": its commit is missing");
                        } else {
                            commits.add(n);
                        }
                    }
                }
            }
        }
        for (String c : new java.util.LinkedHashSet<>(commits)) {
            if (!store.has(c, Store.COMMIT)) {
                continue;
            }
            r.commits++;
            try {
                Commit cm = store.commit(c);
                if (cm.hasParent() && !store.has(cm.parent, Store.COMMIT)) {
                    r.parentless++;
                }
                walk(cm.root, "commit " + c.substring(0, 12), seenTrees, r);
            } catch (IOException | RuntimeException e) {
                r.damage.add("commit " + c.substring(0, 12) + ": unreadable: " + e.getMessage());
            }
        }
    }

    private void walk(String tree, String where, Set<String> seen, Result r) {
        if (!seen.add(tree)) {
            return;
        }
        if (!store.has(tree, Store.TREE)) {
            r.damage.add(where + ": tree " + tree.substring(0, 12) + " is missing");
            return;
        }
        Tree t;
        try {
            t = store.tree(tree);
        } catch (IOException | RuntimeException e) {
            return; // reported by the object check
        }
        for (Entry e : t.entries) {
            if (e.kind == 'd') {
                walk(e.ref, where, seen, r);
            } else if (e.kind == 'f' && !store.has(e.objectId(), Store.FILE)) {
                r.damage.add(where + ": file object " + e.objectId().substring(0, 12) + " (" + Escape.of(e.name) + ") is missing");
            }
        }
    }
}
