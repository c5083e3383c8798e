package org.vsys.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.Lock;
import org.vsys.store.Commit;
import org.vsys.store.Entry;
import org.vsys.store.Escape;
import org.vsys.store.Hasher;
import org.vsys.store.Hashing;
import org.vsys.store.Metadata;
import org.vsys.store.RawPaths;
import org.vsys.store.Store;
import org.vsys.store.Tree;

/**
 * One snapshot: walks the source tree, stores every file not already known, writes the trees and
 * a commit. Incremental against the system's last commit: a regular file whose size and mtime are
 * those of the previous tree is not read (its content hash comes from the previous tree); if only
 * its owner, mode or xattrs changed, its new object is built from the local copy found through the
 * content index. Everything read from the source is counted ({@link Result#sourceBytes}).
 */
public final class Snapshot {
    /** What one snapshot did. */
    public static final class Result {
        public String commit;
        public String parent;
        public boolean unchanged;
        public long entries;
        public long files;
        public long dirs;
        public long symlinks;
        public long special;
        public long totalBytes;
        public final AtomicLong sourceFiles = new AtomicLong();
        public final AtomicLong sourceBytes = new AtomicLong();
        public final AtomicLong localFiles = new AtomicLong();
        public final AtomicLong localBytes = new AtomicLong();
        public long newObjects;
        public long newBytes;
        public long millis;
        public long syncMillis;
        /** Files whose content an interrupted snapshot of this system had stored (not read again). */
        public long resumedFiles;
        /** How the tree was walked and read: null over the mount, else what the remote walk did. */
        public String remote;

        public String summary(String name) {
            String c = unchanged ? "nothing changed since " + commit.substring(0, 12) : "commit " + commit.substring(0, 12);
            return name + ": " + c + ": " + entries + " entries (" + files + " files, " + dirs + " directories, " + symlinks
                    + " symlinks, " + special + " special), " + totalBytes + " bytes; read " + sourceFiles.get() + " files, "
                    + sourceBytes.get() + " bytes from the source; rebuilt " + localFiles.get() + " files, " + localBytes.get()
                    + " bytes from the store; " + newObjects + " new objects, " + newBytes + " bytes; " + millis + " ms (" + syncMillis + " ms flushing)"
                    + (resumedFiles > 0 ? "; " + resumedFiles + " files known from an interrupted snapshot" : "")
                    + (remote != null ? "; " + remote : "");
        }
    }

    private final Store store;
    private Resume resume;
    private final AtomicLong resumed = new AtomicLong();
    private final Metadata meta = new Metadata();
    private final Result result = new Result();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<CompletableFuture<Void>> tasks = java.util.Collections.synchronizedList(new ArrayList<>());
    private final ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 20));
    private static final ByteBuffer ZERO = ByteBuffer.allocateDirect(4096);
    private ExecutorService pool;
    private Store.Batch batch;
    private final AtomicLong doneBytes = new AtomicLong();

    public Snapshot(Store store) {
        this.store = store;
    }

    /** A directory being walked: its entry and its children. */
    private static final class Dir {
        final Entry self;
        /** The path below the source, escaped names joined by '/' ("" for the root): the resume key. */
        final String rel;
        /** The same path as bytes, names joined by '/' (empty for the root): the name a remote tar gets. */
        byte[] raw = new byte[0];
        final List<Entry> children = new ArrayList<>();
        final List<Dir> subdirs = new ArrayList<>();
        /** The id of this directory's tree in the previous commit, or null (none, or not a directory then). */
        String prevId;
        /**
         * Every child's line as in the previous tree (subdirectories' tree ids apart, which
         * {@link #writeTree} compares), and no other child: the tree is the previous one.
         */
        boolean same;

        Dir(Entry self, String rel) {
            this.self = self;
            this.rel = rel;
        }
    }

    /**
     * Snapshots {@code source} as a new commit of {@code system}. {@code progress} (may be null)
     * gets a status line every half second.
     */
    private String parentOverride;

    /** -Dvsys.snapshotPhases=true: the time of each step on stderr (docs/BENCHMARKS.md, where the time goes). */
    private static final boolean PHASES = Boolean.getBoolean("vsys.snapshotPhases");
    private long phaseT = System.nanoTime();

    private void phase(String what) {
        if (PHASES) {
            long now = System.nanoTime();
            System.err.println("vsys: snapshot phase " + what + ": " + (now - phaseT) / 1_000_000 + " ms");
            phaseT = now;
        }
    }

    /** The commit the next run names as its parent (and compares against), instead of the system's latest. */
    public Snapshot withParent(String commit) {
        this.parentOverride = commit;
        return this;
    }

    private RemoteTree remote;
    private CompletableFuture<RemoteTree.Listing> listingFuture;
    /** The remote listing the walk takes its entries from, or null (the walk lists and stats the mount). */
    private volatile RemoteTree.Listing listing;
    /** Whether the files to read come through the remote's tar (until a stream is refused). */
    private volatile boolean tarOk;

    /**
     * Walk on the remote side through {@code r} (null: over the mount): the entries from its
     * listing, the files to read through its tar, each refused one over the mount.
     */
    public Snapshot withRemote(RemoteTree r) {
        this.remote = r;
        return this;
    }

    /**
     * The steps of one snapshot, as OSTree's {@code ostree commit}: prepare the transaction, write
     * the source directory into the store (the walk: every file's object), write the trees, write
     * the commit, set the ref, commit the transaction. Every failure becomes one line with its exit
     * code in {@link #failed}.
     */
    public Result run(String system, Path source, String sourceWord, int threads, PrintWriter progress) throws VsysException {
        long t0 = System.nanoTime();
        if (remote != null) {
            // in flight while the lock is taken and the parent's trees are read
            listingFuture = CompletableFuture.supplyAsync(() -> {
                try {
                    return remote.list();
                } catch (RemoteTree.Refused x) {
                    throw new java.util.concurrent.CompletionException(x);
                }
            });
        }
        store.ensureLayout();
        try (Lock lock = store.lock()) {
            List<String> commits = store.commits(system);
            phase("lock");
            Commit prev = prepareTransaction(system, commits, threads);
            phase("prepare");
            Thread ticker = progress == null ? null : startProgress(progress, prev == null ? 0 : prev.bytes);
            try {
                Dir root = writeDirectory(source, prev, threads);
                phase("walk and files");
                String rootTree = writeTrees(root);
                phase("trees");
                stopProgress(ticker, progress);
                if (prev != null && prev.root.equals(rootTree) && prev.rootMeta.sameMeta(root.self)) {
                    result.unchanged = true;
                    result.commit = result.parent;
                } else {
                    result.commit = writeCommit(system, sourceWord, root, rootTree);
                    setRef(system, commits, result.commit);
                }
                commitTransaction();
            } finally {
                pool.shutdownNow();
                if (ticker != null) {
                    ticker.interrupt();
                }
            }
        } catch (Throwable e) {
            throw failed(system, e);
        }
        result.millis = (System.nanoTime() - t0) / 1_000_000;
        result.syncMillis = store.syncMillis();
        result.resumedFiles = resumed.get();
        return result;
    }

    /**
     * Prepare the transaction: clears what an interrupted run left in tmp/, finds the parent,
     * loads the resume index, opens the batch of new objects and the pool that stores them.
     * Returns the parent commit (null for a first snapshot).
     */
    private Commit prepareTransaction(String system, List<String> commits, int threads) throws IOException {
        store.clearTmp();
        Commit prev = null;
        if (parentOverride != null) {
            result.parent = parentOverride;
            prev = store.commit(result.parent);
        } else if (!commits.isEmpty()) {
            result.parent = commits.get(commits.size() - 1);
            prev = store.commit(result.parent);
        }
        resume = new Resume(store, system);
        resume.load();
        batch = store.new Batch(256L << 20, 4000, () -> {
            try {
                resume.save(); // what is stored so far: an interrupted run's successor reads none of it again
                Steps.reach("snapshot.batch");
            } catch (VsysException e) {
                throw new IllegalStateException(e.line(), e);
            }
        });
        pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "vsys-snapshot");
            t.setDaemon(true);
            return t;
        });
        return prev;
    }

    /**
     * Write the directory into the store: walks {@code source} (against the parent's trees) and
     * stores every file object not already there; returns the walked tree, every entry with its ref.
     */
    private Dir writeDirectory(Path source, Commit prev, int threads) throws Throwable {
        Entry re = meta.read(source, new byte[] {'.'});
        if (re.kind != 'd') {
            throw new VsysException(ExitCode.BAD_SOURCE, source.toString(), "not a directory");
        }
        Dir root = new Dir(re, "");
        root.prevId = prev == null ? null : prev.root;
        Tree.Index prevRoot = prev == null ? null : store.treeIndex(prev.root);
        if (listingFuture != null) {
            if (prevRoot != null) {
                // the parent's trees read while the listing is in flight (the walk then finds them here)
                Tree.Index pr = prevRoot;
                CompletableFuture.runAsync(() -> prefetch(pr), pool);
            }
            try {
                listing = listingFuture.join();
                phase("listing");
                tarOk = !"false".equals(System.getProperty("vsys.remoteTar"));
                result.remote = "walked on the remote (" + listing.entries + " entries listed over sftp in " + listing.millis + " ms)";
            } catch (java.util.concurrent.CompletionException x) {
                result.remote = "the remote's listing was refused (" + x.getCause().getMessage() + "): walked over the mount";
            }
        }
        walkAll(source, root, prevRoot, threads);
        readQueued();
        // the reads may queue more (a refused tar stream: its files over the mount)
        int joined = 0;
        while (true) {
            CompletableFuture<?>[] fs;
            synchronized (tasks) {
                if (tasks.size() == joined) {
                    break;
                }
                fs = tasks.subList(joined, tasks.size()).toArray(new CompletableFuture[0]);
                joined = tasks.size();
            }
            CompletableFuture.allOf(fs).exceptionally(x -> null).join();
        }
        if (tarFiles.get() > 0 || tarRefused != null) {
            result.remote += "; read " + tarFiles.get() + " files through tar"
                    + (tarRefused != null ? ", a stream refused (" + tarRefused + "): its files and the rest over the mount" : "");
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        for (Map.Entry<Entry, String> l : linkedTo.entrySet()) {
            Entry first = firstOf.get(l.getValue());
            if (first != null) {
                l.getKey().ref = first.ref;
            }
        }
        return root;
    }

    /**
     * Write the trees: every directory's tree object (those unchanged since the parent are not
     * written again), then the last batch; returns the root tree's id.
     */
    private String writeTrees(Dir root) throws IOException {
        String rootTree = writeTree(root);
        batch.flush();
        resume.save(); // every file has its ref now (the last batch may have had nothing new)
        result.newObjects = batch.published();
        result.newBytes = batch.publishedBytes();
        return rootTree;
    }

    /** Write the commit: after every object it names is durable; returns its id. */
    private String writeCommit(String system, String sourceWord, Dir root, String rootTree) throws IOException, VsysException {
        Commit c = new Commit();
        c.system = system;
        c.parent = result.parent == null ? "-" : result.parent;
        c.time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        c.source = sourceWord;
        c.root = rootTree;
        c.rootMeta = root.self;
        c.files = result.files;
        c.bytes = result.totalBytes;
        byte[] cb = c.toBytes();
        String id = Hashing.sha256(cb);
        store.sync(); // every object the commit names is durable before the commit is
        Store.writeAtomic(store.object(id, Store.COMMIT), cb);
        Steps.reach("snapshot.commit");
        result.newObjects++;
        return id;
    }

    /** Set the ref: the system's list of commits gets the new one (written atomically). */
    private void setRef(String system, List<String> commits, String id) throws IOException {
        List<String> nl = new ArrayList<>(commits);
        nl.add(id);
        store.setCommits(system, nl);
    }

    private static void stopProgress(Thread ticker, PrintWriter progress) {
        if (ticker != null) {
            ticker.interrupt();
            progress.print("\r\033[K");
            progress.flush();
        }
    }

    /** Commit the transaction: the resume index is no longer needed. */
    private void commitTransaction() throws IOException {
        resume.remove();
    }

    /** The one place a failure of a snapshot becomes a line and an exit code. */
    private static VsysException failed(String system, Throwable e) {
        if (e instanceof VsysException v) {
            return v;
        }
        if (e instanceof SourceException s) {
            return new VsysException(ExitCode.UNREACHABLE, s.path, "cannot read from the source: " + s.getMessage(), s);
        }
        if (e instanceof Unsupported u) {
            return new VsysException(ExitCode.BAD_SOURCE, u.path, u.getMessage(), u);
        }
        if (e instanceof IOException) {
            return new VsysException(ExitCode.INTERNAL, system, "snapshot failed: " + e.getMessage(), e);
        }
        if (e.getCause() instanceof VsysException v) {
            return v; // carried out of a batch callback or a pool task
        }
        return new VsysException(ExitCode.INTERNAL, system, "snapshot failed: " + e, e);
    }

    /** An I/O error on the source side. */
    static final class SourceException extends IOException {
        private static final long serialVersionUID = 1L;
        final String path;

        SourceException(String path, String msg, Throwable cause) {
            super(msg, cause);
            this.path = path;
        }
    }

    /** Something the store refuses to keep rather than change it. */
    static final class Unsupported extends IOException {
        private static final long serialVersionUID = 1L;
        final String path;

        Unsupported(String path, String msg) {
            super(msg);
            this.path = path;
        }
    }

    /**
     * Directory listings and stats in flight at once during the walk: every directory is a task
     * of its own at every depth, so over sshfs or NFS (latency-bound) the waits for the source
     * overlap across the whole tree, not only near its root; not bound to the cores, which the
     * waits do not use.
     */
    private static final int WALK_IN_FLIGHT = 16;
    private final java.util.concurrent.atomic.LongAdder nDirs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder nFiles = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder nBytes = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder nSymlinks = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder nSpecial = new java.util.concurrent.atomic.LongAdder();

    /** One directory walked as a fork/join task. */
    private final class WalkTask extends java.util.concurrent.RecursiveAction {
        private static final long serialVersionUID = 1L;
        final transient Path path;
        final transient Dir dir;
        final transient Tree.Index prev;
        final int depth;

        WalkTask(Path path, Dir dir, Tree.Index prev, int depth) {
            this.path = path;
            this.dir = dir;
            this.prev = prev;
            this.depth = depth;
        }

        @Override
        protected void compute() {
            try {
                walk(path, dir, prev, depth);
            } catch (Throwable x) {
                failure.compareAndSet(null, x);
            }
        }
    }

    private void walkAll(Path source, Dir root, Tree.Index prev, int threads) throws Throwable {
        java.util.concurrent.ForkJoinPool fj = new java.util.concurrent.ForkJoinPool(Math.max(WALK_IN_FLIGHT, threads));
        try {
            fj.invoke(new WalkTask(source, root, prev, 0));
        } finally {
            fj.shutdownNow();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        result.dirs = nDirs.sum();
        result.files = nFiles.sum();
        result.totalBytes = nBytes.sum();
        result.symlinks = nSymlinks.sum();
        result.special = nSpecial.sum();
        result.entries = result.dirs + result.files + result.symlinks + result.special;
    }

    private void walk(Path dirPath, Dir dir, Tree.Index prev, int depth) throws IOException {
        List<WalkTask> forks = new ArrayList<>();
        if (failure.get() != null) {
            return;
        }
        nDirs.increment();
        List<Path> kids = new ArrayList<>();
        List<Entry> listed = listing == null ? null : listing.children(dir.rel);
        if (listed == null) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dirPath)) {
                for (Path p : ds) {
                    kids.add(p);
                }
            } catch (IOException e) {
                throw new SourceException(dirPath.toString(), e.getMessage(), e);
            }
        }
        boolean same = prev != null;
        int nk = listed == null ? kids.size() : listed.size();
        for (int ki = 0; ki < nk; ki++) {
            Path p;
            Entry e;
            if (listed != null) {
                e = listed.get(ki); // the remote's stat, as the mount would show it
                p = RawPaths.child(dirPath, e.name);
            } else {
                p = kids.get(ki);
                byte[] name = RawPaths.nameBytes(p);
                try {
                    e = meta.read(p, name);
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue; // removed while we walked
                } catch (IOException ex) {
                    throw new SourceException(p.toString(), ex.getMessage(), ex);
                }
            }
            Entry old = prev == null ? null : prev.get(e.key());
            dir.children.add(e);
            switch (e.kind) {
                case 'd' -> {
                    Dir sub = new Dir(e, dir.rel + "/" + e.key());
                    sub.raw = join(dir.raw, e.name);
                    dir.subdirs.add(sub);
                    Tree.Index pt = old != null && old.kind == 'd' ? treeIndex(old.ref) : null;
                    if (pt != null) {
                        sub.prevId = old.ref;
                    }
                    same = same && pt != null && old.sameMeta(e);
                    forks.add(new WalkTask(p, sub, pt, depth + 1));
                }
                case 'f' -> {
                    nFiles.increment();
                    nBytes.add(e.size);
                    same = file(p, e, old, dir) && same;
                }
                case 'l' -> {
                    nSymlinks.increment();
                    if (old == null || old.kind != 'l' || !old.ref.equals(e.ref) || !old.sameMeta(e)) {
                        symlink(e); // unchanged ones got theirs with the previous commit (or do without)
                        same = false;
                    }
                }
                default -> {
                    nSpecial.increment();
                    same = same && old != null && old.ref.equals(e.ref) && old.sameMeta(e);
                }
            }
        }
        dir.same = same && dir.children.size() == prev.size();
        if (!forks.isEmpty()) {
            java.util.concurrent.ForkJoinTask.invokeAll(forks);
        }
    }

    /** The parent's trees read ahead, by id. */
    private final Map<String, Tree.Index> prefetched = new java.util.concurrent.ConcurrentHashMap<>();

    private Tree.Index treeIndex(String id) throws IOException {
        Tree.Index t = prefetched.get(id);
        return t != null ? t : store.treeIndex(id);
    }

    /** Reads every tree below root into {@link #prefetched}, breadth first; stops at the first it cannot read. */
    private void prefetch(Tree.Index root) {
        java.util.ArrayDeque<Tree.Index> q = new java.util.ArrayDeque<>(List.of(root));
        try {
            while (!q.isEmpty() && listing == null && failure.get() == null) {
                for (String id : q.poll().subtrees()) {
                    if (id.matches("[0-9a-f]{64}") && !prefetched.containsKey(id)) {
                        Tree.Index t = store.treeIndex(id);
                        prefetched.put(id, t);
                        q.add(t);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the walk reads it again and says what is wrong
        }
    }

    /** Stores or finds a regular file; true when it is the previous tree's entry unchanged (ref included). */
    private boolean file(Path p, Entry e, Entry old, Dir dir) {
        boolean sameStat = old != null && old.kind == 'f' && old.size == e.size && old.mtimeSec == e.mtimeSec
                && old.mtimeNsec == e.mtimeNsec;
        if (!sameStat || !old.sameMeta(e)) {
            // not the previous commit's file: kept in the resume index once stored, and taken from
            // there when an interrupted run of this snapshot stored it already
            String rel = dir.rel + "/" + e.key();
            if (!sameStat) {
                Entry hint = resume.hint(rel, e);
                if (hint != null) {
                    old = hint;
                    resumed.incrementAndGet();
                }
            }
            resume.track(rel, e);
        }
        if (old != null && old.kind == 'f' && old.size == e.size && old.mtimeSec == e.mtimeSec && old.mtimeNsec == e.mtimeNsec) {
            String ch = old.contentHash();
            if (old.sameMeta(e)) {
                e.ref = old.ref; // unchanged: not read
                doneBytes.addAndGet(e.size);
                return old.mode >= 0; // a resume hint (mode -1) is no previous entry
            }
            String id = Entry.fileId(e, ch);
            e.ref = id + ":" + ch;
            if (store.has(id, Store.FILE)) {
                return false;
            }
            Path local = store.withContent(ch);
            if (local == null && store.has(old.objectId(), Store.FILE)) {
                local = store.object(old.objectId(), Store.FILE);
            }
            if (local != null) {
                Path from = local;
                submit(() -> rebuild(from, e, ch));
                return false;
            }
        }
        if (e.nlink > 1) {
            hardLink(p, e, dir);
            return false;
        }
        read(p, e, dir);
        return false;
    }

    private static byte[] join(byte[] dir, byte[] name) {
        if (dir.length == 0) {
            return name;
        }
        byte[] b = java.util.Arrays.copyOf(dir, dir.length + 1 + name.length);
        b[dir.length] = '/';
        System.arraycopy(name, 0, b, dir.length + 1, name.length);
        return b;
    }

    /**
     * Stores a symlink object for checkouts to hard-link, unless the store has it. Optional (the
     * checkout makes the symlink when it is missing), so a failure here only loses that speed.
     */
    private void symlink(Entry e) {
        if (!SYMLINK_OBJECTS) {
            return;
        }
        String id = Entry.symlinkId(e);
        if (store.has(id, Store.SYMLINK)) {
            return;
        }
        submit(() -> {
            Path tmp = store.newTemp();
            try {
                Files.createSymbolicLink(tmp, RawPaths.fromBytes(Escape.parse(e.ref)));
                Metadata.apply(tmp, e);
            } catch (IOException x) {
                Files.deleteIfExists(tmp);
                return;
            }
            batch.add(tmp, id, Store.SYMLINK, null, 0);
        });
    }

    /** -Dvsys.symlinkObjects=false: no symlink objects (checkouts then make every symlink). */
    private static final boolean SYMLINK_OBJECTS = !"false".equals(System.getProperty("vsys.symlinkObjects"));

    /** A file with other links: read once; the others take the first one's ref in writeTrees. */
    private synchronized void hardLink(Path p, Entry e, Dir dir) {
        String k = e.dev + ":" + e.ino;
        if (firstOf.containsKey(k)) {
            linkedTo.put(e, k);
            return;
        }
        firstOf.put(k, e);
        read(p, e, dir);
    }

    /** A file to read from the source: queued for the remote's tar, or read over the mount. */
    private void read(Path p, Entry e, Dir dir) {
        if (!tarOk) {
            submit(() -> fromSource(p, e));
            return;
        }
        List<Queued> full = null;
        synchronized (queue) {
            queue.add(new Queued(p, e, join(dir.raw, e.name)));
            queuedBytes += e.size;
            if (queuedBytes >= TAR_BYTES || queue.size() >= TAR_FILES) {
                full = new ArrayList<>(queue);
                queue.clear();
                queuedBytes = 0;
            }
        }
        if (full != null) {
            List<Queued> chunk = full;
            submit(() -> fromTar(chunk));
        }
    }

    /** The rest of the queue, after the walk. */
    private void readQueued() {
        List<Queued> rest;
        synchronized (queue) {
            rest = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
        }
        if (!rest.isEmpty()) {
            submit(() -> fromTar(rest));
        }
    }

    /** One file queued for a tar stream: its path on the mount, its entry, its path below the root. */
    private record Queued(Path p, Entry e, byte[] raw) {
    }

    /** A tar stream's share: 64 MiB or 2000 files (a few streams in flight, each an ssh session of its own). */
    private static final long TAR_BYTES = 64L << 20;
    private static final int TAR_FILES = 2000;
    private final List<Queued> queue = new ArrayList<>();
    private long queuedBytes;
    private final AtomicLong tarFiles = new AtomicLong();
    private volatile String tarRefused;

    /**
     * Reads the files of one chunk through the remote's tar: each member must be the file asked for
     * next, with the size, mtime, mode and owner of the listing (else it changed since: the mount
     * decides), and tar must exit 0 (it does not when a file changed while it read it). Only then
     * do the files enter the batch; a refused stream's files are read over the mount, and so is
     * every file after it.
     */
    private void fromTar(List<Queued> chunk) throws IOException {
        if (!tarOk || failure.get() != null) {
            for (Queued q : chunk) {
                submit(() -> fromSource(q.p(), q.e()));
            }
            return;
        }
        List<Object[]> got = new ArrayList<>();
        String why = null;
        Process proc = null;
        try {
            List<byte[]> names = new ArrayList<>(chunk.size());
            for (Queued q : chunk) {
                names.add(q.raw());
            }
            proc = remote.tar(names);
            InputStream in = new java.io.BufferedInputStream(proc.getInputStream(), 1 << 16);
            TarStream ts = new TarStream(in);
            for (Queued q : chunk) {
                Entry e = q.e();
                if (!ts.next()) {
                    why = "it ends before " + Escape.of(q.raw());
                    break;
                }
                byte[] want = join(new byte[] {'.'}, q.raw());
                if (!java.util.Arrays.equals(ts.name, want)) {
                    why = "it sent " + Escape.of(ts.name) + " for " + Escape.of(want);
                    break;
                }
                if (ts.size != e.size || ts.mtime != e.mtimeSec || ts.mode != e.mode || ts.uid != (e.uid & 0xffffffffL)
                        || ts.gid != (e.gid & 0xffffffffL)) {
                    why = Escape.of(q.raw()) + " changed since the listing";
                    break;
                }
                Path tmp = store.newTemp();
                got.add(new Object[] {tmp, e, null, 0L});
                Hasher md = Hasher.create();
                long n = copy(ts.data(), tmp, md, true);
                got.get(got.size() - 1)[2] = Escape.hex(md.digest());
                got.get(got.size() - 1)[3] = n;
            }
            if (why == null && ts.next()) {
                why = "more members than asked for";
            }
            if (why == null) {
                long rest = 0;
                while (in.read() >= 0 && ++rest < (1 << 20)) {
                    // the archive's zero blocks
                }
                int rc = RemoteTree.exit(proc);
                if (rc != 0) {
                    why = "tar exited " + rc;
                }
            }
        } catch (IOException | RemoteTree.Refused x) {
            why = x.getMessage();
        } finally {
            if (proc != null) {
                proc.destroyForcibly();
            }
        }
        if (why == null) {
            for (Object[] g : got) {
                result.sourceFiles.incrementAndGet();
                finish((Path) g[0], (Entry) g[1], (String) g[2], (Long) g[3]);
            }
            tarFiles.addAndGet(got.size());
            return;
        }
        tarOk = false;
        if (tarRefused == null) {
            tarRefused = why;
        }
        for (Object[] g : got) {
            Files.deleteIfExists((Path) g[0]);
        }
        for (Queued q : chunk) {
            submit(() -> fromSource(q.p(), q.e()));
        }
    }

    private final Map<Entry, String> linkedTo = new java.util.IdentityHashMap<>();
    private final Map<String, Entry> firstOf = new HashMap<>();

    interface IoTask {
        void run() throws IOException;
    }

    private CompletableFuture<Void> submit(IoTask t) {
        CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
            if (failure.get() != null) {
                return;
            }
            try {
                t.run();
            } catch (Throwable x) {
                failure.compareAndSet(null, x);
            }
        }, pool);
        tasks.add(f);
        return f;
    }

    /** Reads a file from the source once: hashes it while writing it to a temp object. */
    private void fromSource(Path p, Entry e) throws IOException {
        Path tmp = store.newTemp();
        Hasher md = Hasher.create();
        long n;
        try (FileChannel in = openSource(p)) {
            n = copy(in, tmp, md, true);
        }
        result.sourceFiles.incrementAndGet();
        if (n != e.size) {
            // it changed while we read it: keep what was read, with the metadata of now
            Entry now = meta.read(p, e.name);
            e.mtimeSec = now.mtimeSec;
            e.mtimeNsec = now.mtimeNsec;
            e.size = n;
        }
        finish(tmp, e, Escape.hex(md.digest()), n);
    }

    private FileChannel openSource(Path p) throws IOException {
        try {
            return FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException x) {
            throw new SourceException(p.toString(), x.getMessage(), x);
        }
    }

    /** A metadata-only change: the content comes from the local store, not from the source. */
    private void rebuild(Path local, Entry e, String contentHash) throws IOException {
        Path tmp = store.newTemp();
        long n;
        try (FileChannel in = FileChannel.open(local, StandardOpenOption.READ)) {
            n = copy(in, tmp, null, false);
        }
        result.localFiles.incrementAndGet();
        result.localBytes.addAndGet(n);
        finish(tmp, e, contentHash, n);
    }

    private void finish(Path tmp, Entry e, String contentHash, long n) throws IOException {
        String id = Entry.fileId(e, contentHash);
        e.ref = id + ":" + contentHash;
        if (store.has(id, Store.FILE)) {
            Files.deleteIfExists(tmp);
            return;
        }
        Metadata.apply(tmp, e);
        batch.add(tmp, id, Store.FILE, contentHash, n);
    }

    /**
     * Copies in to a new file tmp, hashing when a hasher is given. Blocks of 4 KiB that are all
     * zero are skipped (left as holes), so sparse files stay sparse. Direct buffers: the bytes go
     * from the read to libcrypto and to the write without a copy on the Java heap.
     */
    private long copy(java.nio.channels.ReadableByteChannel in, Path tmp, Hasher md, boolean fromSource) throws IOException {
        ByteBuffer buf = buffers.get();
        long pos = 0;
        long written = 0;
        try (FileChannel out = FileChannel.open(tmp, Store.newFile())) {
            while (true) {
                buf.clear();
                int r;
                try {
                    r = in.read(buf);
                } catch (IOException x) {
                    throw fromSource ? new SourceException(String.valueOf(in), x.getMessage(), x) : x;
                }
                if (r < 0) {
                    break;
                }
                if (r == 0) {
                    continue;
                }
                buf.flip();
                if (fromSource) {
                    result.sourceBytes.addAndGet(r);
                }
                doneBytes.addAndGet(r);
                if (md != null) {
                    md.update(buf);
                    buf.position(0);
                }
                int off = 0;
                while (off < r) {
                    int len = Math.min(4096, r - off);
                    if (len == 4096 && zero(buf, off)) {
                        off += len;
                        continue;
                    }
                    int end = off + len;
                    while (end < r) {
                        int l2 = Math.min(4096, r - end);
                        if (l2 == 4096 && zero(buf, end)) {
                            break;
                        }
                        end += l2;
                    }
                    ByteBuffer w = buf.duplicate();
                    w.position(off).limit(end);
                    long at = pos + off;
                    while (w.hasRemaining()) {
                        at += out.write(w, at);
                    }
                    written = Math.max(written, pos + end);
                    off = end;
                }
                pos += r;
            }
            if (written < pos) {
                out.write(ByteBuffer.wrap(new byte[1]), pos - 1); // the file ends in a hole
            }
        }
        return pos;
    }

    private static boolean zero(ByteBuffer b, int off) {
        return b.slice(off, 4096).mismatch(ZERO) < 0;
    }

    /**
     * Writes the tree objects bottom-up; returns the id of dir's tree. A directory whose children
     * all have their previous lines (subdirectories: their previous trees) has its previous tree,
     * read from the store during the walk: not formatted, hashed or looked up again.
     */
    /** One directory's tree object (and its subdirectories' first); returns its id. */
    private String writeTree(Dir dir) throws IOException {
        boolean same = dir.same;
        for (Dir sub : dir.subdirs) {
            sub.self.ref = writeTree(sub);
            same = same && sub.self.ref.equals(sub.prevId);
        }
        if (same) {
            return dir.prevId;
        }
        dir.children.sort(Entry::compareNames);
        byte[] b = new Tree(dir.children).toBytes();
        String id = Hashing.sha256(b);
        if (!store.has(id, Store.TREE)) {
            Path tmp = store.newTemp();
            Files.write(tmp, b, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            batch.add(tmp, id, Store.TREE, null, b.length);
        }
        return id;
    }

    private Thread startProgress(PrintWriter out, long expectedBytes) {
        long start = System.nanoTime();
        Thread t = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(500);
                    double s = (System.nanoTime() - start) / 1e9;
                    long b = doneBytes.get();
                    double rate = b / Math.max(s, 0.001);
                    long total = Math.max(expectedBytes, nBytes.sum());
                    String eta = total > b && rate > 0 ? String.format("%.0f s", (total - b) / rate) : "?";
                    out.print(String.format("\r\033[K%d files, %d dirs, %.1f MB, %.1f MB/s, ETA %s", nFiles.sum(), nDirs.sum(),
                            b / 1e6, rate / 1e6, eta));
                    out.flush();
                }
            } catch (InterruptedException e) {
                // done
            }
        }, "vsys-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
