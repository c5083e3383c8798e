package org.vsys.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.vsys.base.AtomicFile;
import org.vsys.base.ExitCode;
import org.vsys.config.Lock;
import org.vsys.base.VsysException;
import org.vsys.linux.PosixException;
import org.vsys.linux.Inodes;

/**
 * The content-addressed store {@code R/.store} (the hacktree layout):
 * <pre>
 * objects/XX/REST.file     a regular file of some tree, with its own uid, gid, mode, mtime, xattrs;
 *                          id = SHA-256 over the content's SHA-256 and that metadata (Entry.fileId)
 * objects/XX/REST.tree     a directory: one Entry line per child; id = SHA-256 of the text
 * objects/XX/REST.commit   a snapshot: system, parent, time, source, root tree; id = SHA-256 of the text
 * objects/XX/REST.symlink  a symlink of some tree with its owner, mtime, xattrs, for checkouts to
 *                          hard-link (Entry.symlinkId); optional: never named by a tree
 * content/XX/REST          index by content SHA-256 alone: a hard link to one .file object with
 *                          that content, so a metadata-only change is rebuilt from local bytes
 * refs/NAME                the commits of system NAME, oldest first, one id a line
 * checkouts/ID             a read-only tree of commit ID made of hard links to the objects
 * tmp/                     objects being written; moved into place (rename) only when complete
 * resume/NAME              the resume index of system NAME's snapshot in progress (Resume): path,
 *                          size, mtime, ref of the files stored so far; removed at the commit
 * .lock                    flock held by snapshot, switch (while checking out), gc and fsck
 * </pre>
 * Every object appears under its final name only complete: written to tmp/, flushed (one
 * syncfs per batch), then renamed. A kill -9 leaves at most files in tmp/, which the next
 * snapshot or gc removes.
 */
public final class Store {
    public static final String FILE = "file";
    public static final String TREE = "tree";
    public static final String COMMIT = "commit";
    public static final String SYMLINK = "symlink";

    private final Path dir;
    private final AtomicLong tmpSeq = new AtomicLong();
    private final AtomicLong syncNanos = new AtomicLong();
    private final String tmpPrefix = ProcessHandle.current().pid() + "-";

    public Store(Path dir) {
        this.dir = dir;
    }

    public static Store of(org.vsys.config.Installation inst) {
        return new Store(inst.root().resolve(".store"));
    }

    public Path dir() {
        return dir;
    }

    public Path objects() {
        return dir.resolve("objects");
    }

    public Path content() {
        return dir.resolve("content");
    }

    public Path refs() {
        return dir.resolve("refs");
    }

    public Path checkouts() {
        return dir.resolve("checkouts");
    }

    public Path tmp() {
        return dir.resolve("tmp");
    }

    public boolean exists() {
        return Files.isDirectory(objects(), LinkOption.NOFOLLOW_LINKS);
    }

    /** Creates the layout (0700 for the store itself: objects carry the trees' own modes). */
    public void ensureLayout() throws VsysException {
        if (Files.isDirectory(content().resolve("ff"), LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(tmp(), LinkOption.NOFOLLOW_LINKS)
                && Files.isDirectory(checkouts(), LinkOption.NOFOLLOW_LINKS)) {
            return; // made before (the last step below)
        }
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            for (Path d : List.of(objects(), refs(), checkouts(), tmp())) {
                Files.createDirectories(d);
            }
            // checkouts must be reachable by the launched users through the view's bind only;
            // the bind needs no search permission on R/.store, so 0700 stays.
            for (int i = 0; i < 256; i++) {
                String xx = String.format("%02x", i);
                Files.createDirectories(objects().resolve(xx));
            }
            for (int i = 0; i < 256; i++) {
                Files.createDirectories(content().resolve(String.format("%02x", i)));
            }
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, dir.toString(), "cannot create the store: " + e.getMessage(), e);
        }
    }

    public Lock lock() throws VsysException {
        return Lock.take(dir.resolve(".lock"), Lock.defaultTimeoutSeconds());
    }

    public Path object(String id, String type) {
        return objects().resolve(id.substring(0, 2)).resolve(id.substring(2) + "." + type);
    }

    public Path contentEntry(String contentHash) {
        return content().resolve(contentHash.substring(0, 2)).resolve(contentHash.substring(2));
    }

    public boolean has(String id, String type) {
        return Files.exists(object(id, type), LinkOption.NOFOLLOW_LINKS);
    }

    public byte[] read(String id, String type) throws IOException {
        return Files.readAllBytes(object(id, type));
    }

    public Tree tree(String id) throws IOException {
        try {
            return Tree.parse(read(id, TREE));
        } catch (IllegalArgumentException e) {
            throw new IOException("tree " + id + ": " + e.getMessage(), e);
        }
    }

    /** A tree object for a snapshot to compare with (its lines parsed when looked up). */
    public Tree.Index treeIndex(String id) throws IOException {
        try {
            return new Tree.Index(read(id, TREE));
        } catch (IllegalArgumentException e) {
            throw new IOException("tree " + id + ": " + e.getMessage(), e);
        }
    }

    public Commit commit(String id) throws IOException {
        try {
            return Commit.parse(read(id, COMMIT));
        } catch (IllegalArgumentException e) {
            throw new IOException("commit " + id + ": " + e.getMessage(), e);
        }
    }

    /** A new temp file name (not created). */
    public Path newTemp() {
        return tmp().resolve(tmpPrefix + tmpSeq.incrementAndGet());
    }

    /** Removes what an interrupted run left in tmp/ (call under the store lock). */
    public int clearTmp() throws IOException {
        int n = 0;
        if (!Files.isDirectory(tmp())) {
            return 0;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp())) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
                n++;
            }
        }
        return n;
    }

    /** The commits of a system, oldest first. */
    public List<String> commits(String system) throws IOException {
        Path f = refs().resolve(system);
        List<String> out = new ArrayList<>();
        if (!Files.exists(f)) {
            return out;
        }
        for (String l : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
            if (l.matches("[0-9a-f]{64}")) {
                out.add(l);
            }
        }
        return out;
    }

    public List<String> systems() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(refs())) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(refs())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.startsWith(".")) {
                    out.add(n);
                }
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    public void setCommits(String system, List<String> ids) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String id : ids) {
            sb.append(id).append('\n');
        }
        writeAtomic(refs().resolve(system), sb.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** {@link AtomicFile#write}. */
    public static void writeAtomic(Path file, byte[] content) throws IOException {
        AtomicFile.write(file, content);
    }

    /** One syncfs of the store's filesystem. */
    public void sync() throws IOException {
        long t0 = System.nanoTime();
        try {
            Inodes.get().syncfs(Inodes.cstr(dir.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (PosixException e) {
            throw new IOException("syncfs " + dir + ": " + e.getMessage(), e);
        } finally {
            syncNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /** Time spent waiting for syncfs, in ms. */
    public long syncMillis() {
        return syncNanos.get() / 1_000_000;
    }

    /**
     * Objects written to tmp/ and waiting to be moved into place. {@link #flush} makes them
     * durable with one syncfs, then renames each (a duplicate made meanwhile is dropped) and adds
     * the content index links.
     */
    public final class Batch {
        private final List<Object[]> pending = new ArrayList<>();
        private long pendingBytes;
        private final long maxBytes;
        private final int maxFiles;
        private long published;
        private long publishedBytes;
        private final Runnable afterFlush;
        private final Object publishLock = new Object();

        public Batch(long maxBytes, int maxFiles, Runnable afterFlush) {
            this.maxBytes = maxBytes;
            this.maxFiles = maxFiles;
            this.afterFlush = afterFlush;
        }

        /**
         * Queues temp to become object (id, type); contentHash non-null for file objects. When the
         * batch is full, the adding thread publishes it while the others go on adding to a new one.
         */
        public void add(Path temp, String id, String type, String contentHash, long bytes) throws IOException {
            List<Object[]> full = null;
            synchronized (this) {
                pending.add(new Object[] {temp, id, type, contentHash, bytes});
                pendingBytes += bytes;
                if (pendingBytes >= maxBytes || pending.size() >= maxFiles) {
                    full = new ArrayList<>(pending);
                    pending.clear();
                    pendingBytes = 0;
                }
            }
            if (full != null) {
                publish(full);
            }
        }

        /** Publishes everything queued (call when no thread adds any more). */
        public void flush() throws IOException {
            List<Object[]> all;
            synchronized (this) {
                all = new ArrayList<>(pending);
                pending.clear();
                pendingBytes = 0;
            }
            publish(all);
        }

        private void publish(List<Object[]> list) throws IOException {
            if (list.isEmpty()) {
                return;
            }
            synchronized (publishLock) {
                sync();
                long n = 0;
                long nb = 0;
                for (Object[] p : list) {
                    Path temp = (Path) p[0];
                    String id = (String) p[1];
                    String type = (String) p[2];
                    String ch = (String) p[3];
                    Path dst = object(id, type);
                    if (Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(temp);
                    } else {
                        try {
                            Files.move(temp, dst, StandardCopyOption.ATOMIC_MOVE);
                        } catch (AtomicMoveNotSupportedException e) {
                            throw new IOException("rename " + temp + " " + dst + ": " + e.getMessage(), e);
                        }
                        n++;
                        nb += (Long) p[4];
                    }
                    if (ch != null) {
                        linkContent(ch, dst);
                    }
                }
                synchronized (this) {
                    published += n;
                    publishedBytes += nb;
                }
                if (afterFlush != null) {
                    afterFlush.run();
                }
            }
        }

        public synchronized long published() {
            return published;
        }

        public synchronized long publishedBytes() {
            return publishedBytes;
        }
    }

    /** Adds content/XX/REST -> object when there is none (or it is stale). */
    void linkContent(String contentHash, Path object) throws IOException {
        Path c = contentEntry(contentHash);
        try {
            Files.createLink(c, object);
        } catch (FileAlreadyExistsException e) {
            // one object with this content is enough
        } catch (NoSuchFileException e) {
            // object vanished meanwhile (a duplicate): nothing to index
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("Too many links")) {
                throw e;
            }
        }
    }

    /** A file with the given content, from the content index, or null. */
    public Path withContent(String contentHash) {
        Path c = contentEntry(contentHash);
        return Files.exists(c, LinkOption.NOFOLLOW_LINKS) ? c : null;
    }

    public static Set<StandardOpenOption> newFile() {
        return Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
}
