package org.vsys.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.vsys.base.Debug;
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
import org.vsys.store.Store;
import org.vsys.store.Tree;
import org.vsys.store.TreeDelta;

/**
 * {@code vsys pull}: copies one commit of another store into this one, fetching only what this
 * store lacks (the shape of OSTree's pull). The commit first, then its trees, each checked against
 * its id before anything it names is looked at; then for every file object this store lacks, its
 * content: rebuilt from local bytes when the content index has them (a metadata-only difference
 * fetches nothing), else fetched from the source as {@code content/XX/REST} into tmp/ while hashed,
 * refused unless it has exactly the size and SHA-256 the tree gives, then given the tree's metadata
 * and moved into place in batches (one syncfs each) like a snapshot's objects. Fetches run in
 * parallel (a bounded pool). The commit object and the ref are written last, so a pull killed at
 * any point leaves no ref to an incomplete commit; the next pull finds the objects already moved
 * into place and fetches only the rest.
 *
 * <p>What a source says is data to check, never a name to use: ids must be 64 hex digits (the
 * names asked for are made from them), entry names must be single path components, a file's
 * object id must be the one its metadata and content hash give, and every file is read to at most
 * the size the tree gives it (trees and commits to fixed bounds). A refused pull removes the
 * objects it had added (the store is as it was); a source that went away or became too slow
 * leaves them for the next pull (verified objects, no ref names them; gc removes them).
 */
public final class Pull {
    static final long MAX_REF = 1 << 20;
    static final long MAX_COMMIT = 64 << 10;
    static final long MAX_TREE = Long.getLong("vsys.pullMaxTree", 64L << 20);
    static final long MAX_FILE = Long.getLong("vsys.pullMaxFile", 1L << 40);
    /** Objects moved into place together (one syncfs): at most so many bytes or files. */
    static final long BATCH_BYTES = Long.getLong("vsys.pullBatchBytes", 64L << 20);
    static final int BATCH_FILES = Integer.getInteger("vsys.pullBatchFiles", 2000);

    /** The outcome. */
    public static final class Result {
        public String commit;
        public boolean alreadyHad;
        public final AtomicLong fetchedObjects = new AtomicLong();
        public final AtomicLong fetchedBytes = new AtomicLong();
        public final AtomicLong localObjects = new AtomicLong();
        public final AtomicLong localBytes = new AtomicLong();
        public final AtomicLong presentObjects = new AtomicLong();
        public final AtomicLong trees = new AtomicLong();
        public final AtomicLong deltaTrees = new AtomicLong();
        public final AtomicLong deltaBytes = new AtomicLong();
        public boolean refMoved;
        /** Commits pulled (the one asked for and ancestors), and of them ancestors. */
        public long commits;
        public long ancestors;
        /** The oldest commit added has a parent the store lacks (a pull of depth 0, or the source lacked it). */
        public boolean partial;
        public long millis;
        public long syncMillis;

        public String summary(String system, String source) {
            return "pull: " + system + ": commit " + commit.substring(0, 12) + " from " + source + ": "
                    + (ancestors > 0 ? ancestors + (ancestors == 1 ? " ancestor" : " ancestors") + " pulled too, " : "")
                    + (alreadyHad ? "already in the store" : fetchedObjects.get() + " objects fetched (" + fetchedBytes.get() + " bytes), "
                    + localObjects.get() + " rebuilt from local content (" + localBytes.get() + " bytes), " + presentObjects.get()
                    + " present, " + trees.get() + " trees"
                    + (deltaTrees.get() > 0 ? " (" + deltaTrees.get() + " rebuilt from a tree delta of " + deltaBytes.get() + " bytes)" : ""))
                    + (partial ? "; the parent of the oldest is not pulled" : "")
                    + "; " + (refMoved ? "refs/" + system + " moved to it" : "refs/" + system + " had it") + " (" + millis + " ms, "
                    + syncMillis + " ms of it in syncfs)";
        }
    }

    private final Store store;
    private final PullSource source;
    private final int threads;
    private final Result result = new Result();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile CompletableFuture<Void> allDone;
    private final Set<String> seenTrees = ConcurrentHashMap.newKeySet();
    private final Set<String> seenFiles = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<String[]>> byContent = new ConcurrentHashMap<>();
    private final List<String[]> added = new java.util.concurrent.CopyOnWriteArrayList<>();
    private ExecutorService pool;
    private Store.Batch batch;
    private TreeDelta delta;
    private long t0Commit;

    private static final ThreadLocal<byte[]> HEAP = ThreadLocal.withInitial(() -> new byte[1 << 17]);
    private static final ThreadLocal<ByteBuffer> DIRECT = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 17));

    private final int depth;
    private Debug debug = Debug.off();
    private Thread warm;
    private final AtomicLong firstContent = new AtomicLong();

    /** A pull of the commit asked for and at most depth of its ancestors (0: that commit alone). */
    public Pull(Store store, PullSource source, int threads, int depth) {
        this.store = store;
        this.source = source;
        this.threads = Math.max(1, threads);
        this.depth = Math.max(0, depth);
    }

    /** Where the pull says when each of its phases ends (--debug). */
    public Pull debug(Debug d) {
        this.debug = d;
        return this;
    }

    /** Bytes read from the source so far. */
    public long fetchedBytes() {
        return result.fetchedBytes.get();
    }

    /**
     * The commit that word names on the source: a full id as it is, a prefix of 4 or more hex
     * digits among the commits of refs/REF, or (word null) the newest commit of refs/REF.
     */
    public String resolve(String ref, String word) throws IOException {
        prepare();
        if (word != null && word.matches("[0-9a-f]{64}")) {
            return word;
        }
        List<String> commits = refCommits(ref);
        if (commits == null) {
            throw new PullSource.Refused(ExitCode.NO_SUCH, source.describe() + " has no refs/" + ref);
        }
        if (word == null) {
            if (commits.isEmpty()) {
                throw new PullSource.Refused(ExitCode.NO_SUCH, "refs/" + ref + " of " + source.describe() + " names no commit");
            }
            return commits.get(commits.size() - 1);
        }
        List<String> hits = new ArrayList<>();
        for (String c : commits) {
            if (c.startsWith(word) && !hits.contains(c)) {
                hits.add(c);
            }
        }
        if (hits.size() != 1) {
            throw new PullSource.Refused(hits.isEmpty() ? ExitCode.NO_SUCH : ExitCode.USAGE, hits.isEmpty()
                    ? "refs/" + ref + " of " + source.describe() + " has no commit " + word : word + " matches " + hits.size() + " commits");
        }
        return hits.get(0);
    }

    /** The commits of refs/REF on the source, or null when it has none. */
    List<String> refCommits(String ref) throws IOException {
        byte[] b = fetch("refs/" + ref, MAX_REF);
        if (b == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (String l : new String(b, StandardCharsets.US_ASCII).split("\n")) {
            if (!l.matches("[0-9a-f]{64}")) {
                throw bad("refs/" + ref + ": not a list of commit ids");
            }
            out.add(l);
        }
        return out;
    }

    /**
     * Loads the native calls (JNA's library unpacked, loaded and bound) on a thread of its own
     * while the source is asked for the ref (an ssh connection and the remote JVM take longer).
     * Nothing on disk: a pull refused at its ref leaves no store behind.
     */
    private void prepare() {
        if (warm == null) {
            warm = new Thread(() -> {
                try {
                    org.vsys.linux.Inodes.get();
                } catch (RuntimeException | LinkageError e) {
                    // said by the first real call
                }
            }, "vsys-pull-warm");
            warm.setDaemon(true);
            warm.start();
        }
    }

    /** Pulls commit into the store and adds it to refs/SYSTEM (newest). */
    public Result run(String system, String commit) throws VsysException {
        long t0 = System.nanoTime();
        result.commit = commit;
        store.ensureLayout();
        debug.line("pull: store layout made");
        try (Lock lock = store.lock()) {
            debug.line("pull: store locked");
            store.clearTmp();
            debug.line("pull: store locked, tmp/ cleared");
            try {
                List<String> chain = new ArrayList<>(); // commit, its parent, ...: the ones to add to the ref
                List<byte[]> missing = new ArrayList<>(); // the bytes of those the store lacks
                String at = commit;
                while (at != null && chain.size() <= depth) {
                    chain.add(at);
                    String parent;
                    if (store.has(at, Store.COMMIT)) {
                        Commit had = store.commit(at);
                        parent = had.hasParent() ? had.parent : null;
                    } else {
                        byte[] cb = fetchCommit(at, chain.size() == 1);
                        if (cb == null) {
                            chain.remove(chain.size() - 1); // an ancestor the source lacks: the chain ends here
                            result.partial = true;
                            break;
                        }
                        missing.add(cb);
                        Commit c = Commit.parse(cb);
                        parent = c.hasParent() ? c.parent : null;
                    }
                    at = parent;
                }
                result.alreadyHad = missing.isEmpty();
                result.commits = missing.size();
                result.ancestors = missing.size() - (store.has(commit, Store.COMMIT) ? 0 : 1);
                if (at != null && !store.has(at, Store.COMMIT)) {
                    result.partial = true;
                }
                for (int i = missing.size() - 1; i >= 0; i--) { // oldest first: each has its parent for a delta
                    byte[] cb = missing.get(i);
                    pullCommit(Hashing.sha256(cb), cb);
                }
                List<String> refs = store.commits(system);
                List<String> nl = new ArrayList<>(refs);
                for (int i = 0; i < chain.size(); i++) { // the commit last, each ancestor just before its child
                    if (!nl.contains(chain.get(i))) {
                        nl.add(i == 0 ? nl.size() : nl.indexOf(chain.get(i - 1)), chain.get(i));
                    }
                }
                if (!nl.equals(refs)) {
                    store.setCommits(system, nl);
                    result.refMoved = true;
                }
                debug.line("pull: refs/" + system + " written");
            } catch (Throwable e) {
                if (pool != null) {
                    pool.shutdownNow();
                }
                cleanUp(e);
                throw e;
            } finally {
                if (pool != null) {
                    pool.shutdownNow();
                }
            }
        } catch (VsysException e) {
            throw e;
        } catch (PullSource.Refused e) {
            throw new VsysException(e.code, "pull", e.getMessage(), e);
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, "pull", e.getMessage(), e);
        } catch (Throwable e) {
            throw new VsysException(ExitCode.INTERNAL, "pull", String.valueOf(e), e);
        }
        result.millis = (System.nanoTime() - t0) / 1_000_000;
        result.syncMillis = store.syncMillis();
        return result;
    }

    /** After a failure: tmp/ emptied; for a refused source, the objects this pull added removed. */
    private void cleanUp(Throwable e) {
        try {
            if (pool != null) {
                pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        }
        try {
            store.clearTmp();
            if (e instanceof PullSource.Refused r && r.code == ExitCode.UNREACHABLE) {
                return; // verified objects stay for the next pull (no ref names them)
            }
            for (String[] a : added) {
                Path o = store.object(a[0], a[1]);
                if (a[2] != null) {
                    Path c = store.contentEntry(a[2]);
                    if (Files.exists(c, LinkOption.NOFOLLOW_LINKS) && Files.exists(o, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(c, o)) {
                        Files.delete(c);
                    }
                }
                Files.deleteIfExists(o);
            }
        } catch (IOException x) {
            e.addSuppressed(x);
        }
    }

    /**
     * The bytes of commit id from the source, checked (its hash, its form); null when the source
     * lacks it and it is not the one asked for (an ancestor), refused when it is.
     */
    private byte[] fetchCommit(String id, boolean asked) throws IOException {
        byte[] cb = fetch(objectName(id, Store.COMMIT), MAX_COMMIT);
        if (cb == null) {
            if (!asked) {
                return null;
            }
            throw bad("the source has no commit " + id);
        }
        if (!Hashing.sha256(cb).equals(id)) {
            throw bad(objectName(id, Store.COMMIT) + ": content does not match its id");
        }
        Commit c;
        try {
            c = Commit.parse(cb);
        } catch (RuntimeException e) {
            throw bad(objectName(id, Store.COMMIT) + ": " + e.getMessage());
        }
        if (!isId(c.root) || c.rootMeta.kind != 'd' || (c.hasParent() && !isId(c.parent))) {
            throw bad(objectName(id, Store.COMMIT) + ": not a well-formed commit");
        }
        return cb;
    }

    /** One commit the store lacks (cb its checked bytes): its trees and files, then the commit object. */
    private void pullCommit(String id, byte[] cb) throws Throwable {
        Commit c = Commit.parse(cb);
        delta = null;
        if (c.hasParent() && store.has(c.parent, Store.COMMIT)) {
            delta = fetchDelta(c.parent, id);
        }
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "vsys-pull");
                t.setDaemon(true);
                return t;
            });
        }
        allDone = new CompletableFuture<>();
        t0Commit = System.nanoTime();
        batch = store.new Batch(BATCH_BYTES, BATCH_FILES, () -> {
            try {
                Steps.reach("pull.batch");
            } catch (VsysException e) {
                throw new IllegalStateException(e.line(), e);
            }
        });
        outstanding.incrementAndGet();
        seenTrees.add(c.root);
        debug.line("pull: commit " + id.substring(0, 12) + ": walking its trees" + (delta == null ? "" : " (with a tree delta)"));
        submit(() -> tree(c.root, "/"));
        done();
        allDone.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        debug.line("pull: every object fetched or made (" + result.fetchedBytes.get() + " bytes fetched; the first content "
                + (firstContent.get() == 0 ? "none" : "after " + (firstContent.get() - t0Commit) / 1_000_000 + " ms") + ")");
        batch.flush();
        // every object the commit names is durable before the commit is, and the commit before the ref
        store.sync();
        debug.line("pull: the last batch moved into place and synced (syncfs " + store.syncMillis() + " ms in all)");
        added.add(new String[] {id, Store.COMMIT, null});
        Store.writeAtomic(store.object(id, Store.COMMIT), cb);
        Steps.reach("pull.commit");
    }

    interface IoTask {
        void run() throws Throwable;
    }

    private void submit(IoTask t) {
        outstanding.incrementAndGet();
        pool.execute(() -> {
            try {
                if (failure.get() == null) {
                    t.run();
                }
            } catch (Throwable x) {
                failure.compareAndSet(null, x);
            } finally {
                done();
            }
        });
    }

    private void done() {
        if (outstanding.decrementAndGet() == 0) {
            allDone.complete(null);
        }
    }

    /** A tree: from the store, or fetched and checked; then its entries checked and followed. */
    private void tree(String id, String path) throws IOException {
        byte[] b;
        String rel = objectName(id, Store.TREE);
        TreeDelta.Change change = delta == null ? null : delta.trees.get(id);
        if (store.has(id, Store.TREE)) {
            b = store.read(id, Store.TREE);
        } else if (change != null && (change.base == null || store.has(change.base, Store.TREE))) {
            String dn = TreeDelta.name(delta.from, delta.to);
            try {
                b = TreeDelta.rebuild(change, change.base == null ? null : store.read(change.base, Store.TREE));
            } catch (RuntimeException e) {
                throw bad(dn + ": tree " + id.substring(0, 12) + ": " + e.getMessage());
            }
            if (!Hashing.sha256(b).equals(id)) {
                throw bad(dn + ": tree " + id.substring(0, 12) + " does not rebuild to its id");
            }
            result.deltaTrees.incrementAndGet();
        } else {
            b = fetch(rel, MAX_TREE);
            if (b == null) {
                throw bad(path + ": the source has no tree " + id.substring(0, 12) + " (" + rel + ")");
            }
            if (!Hashing.sha256(b).equals(id)) {
                throw bad(rel + ": content does not match its id");
            }
        }
        Tree t;
        try {
            t = Tree.parse(b);
        } catch (RuntimeException e) {
            throw bad(rel + ": not a tree object: " + e.getMessage());
        }
        byte[] prev = null;
        for (Entry e : t.entries) {
            check(e, prev, rel);
            prev = e.name;
            String sub = path + Escape.of(e.name);
            if (e.kind == 'd') {
                if (seenTrees.add(e.ref)) {
                    submit(() -> tree(e.ref, sub + "/"));
                }
            } else if (e.kind == 'f') {
                if (store.has(e.objectId(), Store.FILE)) {
                    result.presentObjects.incrementAndGet();
                } else if (seenFiles.add(e.objectId())) {
                    submit(() -> file(e, sub));
                }
            }
        }
        if (!store.has(id, Store.TREE)) {
            Path tmp = store.newTemp();
            Files.write(tmp, b, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            added.add(new String[] {id, Store.TREE, null});
            batch.add(tmp, id, Store.TREE, null, b.length);
            result.trees.incrementAndGet();
        }
    }

    /** An entry of a tree from the source, before anything it names is used. */
    private void check(Entry e, byte[] prev, String rel) throws PullSource.Refused {
        byte[] n = e.name;
        String shown = Escape.of(n);
        if (n.length == 0 || Arrays.equals(n, new byte[] {'.'}) || Arrays.equals(n, new byte[] {'.', '.'})) {
            throw bad(rel + ": entry name '" + shown + "' is not a file name");
        }
        for (byte c : n) {
            if (c == '/' || c == 0) {
                throw bad(rel + ": entry name '" + shown + "' contains '/' or NUL");
            }
        }
        if (prev != null && Arrays.compareUnsigned(prev, n) >= 0) {
            throw bad(rel + ": entries not sorted or named twice ('" + shown + "')");
        }
        if ((e.mode & ~07777) != 0 || e.size < 0) {
            throw bad(rel + ": entry '" + shown + "' has a bad mode or size");
        }
        switch (e.kind) {
            case 'd' -> {
                if (!isId(e.ref)) {
                    throw bad(rel + ": directory '" + shown + "' names no tree id");
                }
            }
            case 'f' -> {
                String id = e.objectId();
                String ch = e.contentHash();
                if (!isId(id) || !isId(ch)) {
                    throw bad(rel + ": file '" + shown + "' names no object id and content hash");
                }
                if (!Entry.fileId(e, ch).equals(id)) {
                    throw bad(rel + ": file '" + shown + "': object id " + id.substring(0, 12) + " is not the one of its metadata and content");
                }
                if (e.size > MAX_FILE) {
                    throw bad(rel + ": file '" + shown + "' is larger than " + MAX_FILE + " bytes");
                }
            }
            case 'l' -> Escape.parse(e.ref);
            default -> {
                // devices, fifos, sockets: made by the checkout from the entry alone
            }
        }
    }

    /**
     * A file object this store lacks. The first entry with a given content makes it (from local
     * content or from the source); others with the same content and other metadata copy that one.
     */
    private void file(Entry e, String path) throws IOException {
        String ch = e.contentHash();
        CompletableFuture<String[]> mine = new CompletableFuture<>();
        CompletableFuture<String[]> first = byContent.putIfAbsent(ch, mine);
        if (first != null) {
            outstanding.incrementAndGet();
            first.whenComplete((made, x) -> {
                if (x == null) {
                    submit(() -> rebuild(made, e));
                }
                done();
            });
            return;
        }
        try {
            Path local = store.withContent(ch);
            String[] made;
            if (local != null) {
                made = copyLocal(local, null, e);
            } else {
                made = fetchFile(e, path);
            }
            mine.complete(made);
        } catch (IOException | RuntimeException x) {
            mine.completeExceptionally(x);
            throw x;
        }
    }

    /** Another object with the content of made = {tmp, object id}: copied from the temp or the object. */
    private void rebuild(String[] made, Entry e) throws IOException {
        copyLocal(Path.of(made[0]), store.object(made[1], Store.FILE), e);
    }

    /** A new object from local bytes (from, or else from when it has been moved). */
    private String[] copyLocal(Path from, Path orElse, Entry e) throws IOException {
        Path tmp = store.newTemp();
        long n;
        FileChannel in;
        try {
            in = FileChannel.open(from, StandardOpenOption.READ);
        } catch (NoSuchFileException x) {
            if (orElse == null) {
                throw x;
            }
            in = FileChannel.open(orElse, StandardOpenOption.READ);
        }
        try (FileChannel src = in; FileChannel out = FileChannel.open(tmp, Store.newFile())) {
            n = Publish.copy(src, out);
        }
        result.localObjects.incrementAndGet();
        result.localBytes.addAndGet(n);
        return place(tmp, e, n);
    }

    /** Fetches a file's content into tmp/, refused unless it has the tree's size and content hash. */
    private String[] fetchFile(Entry e, String path) throws IOException {
        String ch = e.contentHash();
        String rel = "content/" + ch.substring(0, 2) + "/" + ch.substring(2);
        InputStream in = source.open(rel, e.size);
        if (in == null) {
            rel = objectName(e.objectId(), Store.FILE);
            in = source.open(rel, e.size);
        }
        if (in == null) {
            throw bad(path + ": the source has no content " + ch.substring(0, 12) + " for it (a tree names a missing object)");
        }
        Path tmp = store.newTemp();
        Hasher md = Hasher.create();
        long n = 0;
        byte[] buf = HEAP.get();
        ByteBuffer direct = DIRECT.get();
        try (InputStream src = in; FileChannel out = FileChannel.open(tmp, Store.newFile())) {
            int k;
            do {
                // the buffer filled before it is written: whole pages (the kernel zeroes no partial one
                // first) and a write per 128 KiB, not one per network read
                k = src.readNBytes(buf, 0, buf.length);
                if (k == 0) {
                    break;
                }
                // one copy into a direct buffer: libcrypto hashes it and the write takes it without another
                direct.clear();
                direct.put(buf, 0, k).flip();
                md.update(direct);
                direct.position(0);
                while (direct.hasRemaining()) {
                    out.write(direct);
                }
                n += k;
                result.fetchedBytes.addAndGet(k);
                if (firstContent.get() == 0) {
                    firstContent.compareAndSet(0, System.nanoTime());
                }
            } while (k == buf.length);
        }
        if (n != e.size) {
            throw bad(rel + ": truncated: " + n + " of the " + e.size + " bytes its tree gives (" + path + ")");
        }
        if (!Escape.hex(md.digest()).equals(ch)) {
            throw bad(rel + ": content does not match its hash (" + path + ")");
        }
        result.fetchedObjects.incrementAndGet();
        return place(tmp, e, n);
    }

    /** Gives tmp the entry's metadata and queues it to become its object; returns {tmp, object id}. */
    private String[] place(Path tmp, Entry e, long n) throws IOException {
        Metadata.apply(tmp, e);
        added.add(new String[] {e.objectId(), Store.FILE, e.contentHash()});
        String[] made = {tmp.toString(), e.objectId()};
        batch.add(tmp, e.objectId(), Store.FILE, e.contentHash(), n);
        return made;
    }

    /**
     * The tree delta from parent (a commit this store has) to commit id, or null when the source
     * has none: then every new tree is fetched whole.
     */
    private TreeDelta fetchDelta(String parent, String id) throws IOException {
        String rel = TreeDelta.name(parent, id);
        byte[] gz = fetch(rel, MAX_TREE);
        if (gz == null) {
            return null;
        }
        TreeDelta d;
        try {
            d = TreeDelta.parse(gz, MAX_TREE);
        } catch (IllegalArgumentException e) {
            throw bad(rel + ": " + e.getMessage());
        }
        if (!d.from.equals(parent) || !d.to.equals(id)) {
            throw bad(rel + ": a delta between other commits");
        }
        result.deltaBytes.addAndGet(gz.length);
        return d;
    }

    /** A commit or tree from the source (bounded), or null when it has none. */
    private byte[] fetch(String rel, long max) throws IOException {
        InputStream in = source.open(rel, max);
        if (in == null) {
            return null;
        }
        try (in) {
            byte[] b = in.readAllBytes();
            result.fetchedBytes.addAndGet(b.length);
            if (rel.startsWith("objects/")) {
                result.fetchedObjects.incrementAndGet();
            }
            return b;
        }
    }

    static String objectName(String id, String type) {
        return "objects/" + id.substring(0, 2) + "/" + id.substring(2) + "." + type;
    }

    static boolean isId(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static PullSource.Refused bad(String why) {
        return new PullSource.Refused(ExitCode.BAD_SOURCE, why);
    }
}
