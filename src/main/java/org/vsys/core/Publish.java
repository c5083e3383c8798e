package org.vsys.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.vsys.base.AtomicFile;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Lock;
import org.vsys.store.Commit;
import org.vsys.store.Entry;
import org.vsys.store.Store;
import org.vsys.store.TreeDelta;

/**
 * {@code vsys publish NAME DIR}: the commits of system NAME laid out in DIR as plain files that
 * any web server can serve as they are, for {@link Pull}:
 * <pre>
 * DIR/objects/XX/REST.commit, .tree   the store's commit and tree objects, byte for byte
 * DIR/content/XX/REST                 each file's content, by its content SHA-256 (the metadata is in the trees)
 * DIR/deltas/XX/REST-TO               the trees commit TO adds to its parent XXREST, as changes ({@link TreeDelta})
 * DIR/refs/NAME                       the commits of NAME, oldest first (as the store's ref)
 * </pre>
 * Files are mode 0644 (directories 0755) owned by root, whatever the trees' own owners and modes:
 * no setuid bit and nothing private reaches the web root. Each file is written with
 * {@link AtomicFile} (temp name in its directory, fsync, rename), the ref last, so a reader never sees a half-written file or a ref whose
 * objects are not there yet. Incremental: a file already in DIR is not copied again (its name is
 * its hash).
 */
public final class Publish {
    /** The outcome. */
    public static final class Result {
        public long commits;
        public long copied;
        public long copiedBytes;
        public long present;
        public long deltas;
    }

    private final Store store;
    private final Path dir;
    private final Result result = new Result();
    private final Set<String> seenTrees = new HashSet<>();
    private final Set<String> seenContent = new HashSet<>();

    public Publish(Store store, Path dir) {
        this.store = store;
        this.dir = dir;
    }

    public Result run(String system) throws VsysException {
        try (Lock lock = store.lock()) {
            List<String> commits = store.commits(system);
            if (commits.isEmpty()) {
                throw new VsysException(ExitCode.NO_SUCH, system, "has no snapshot to publish");
            }
            Files.createDirectories(dir);
            for (String d : List.of("objects", "content", "refs")) {
                mkdir(dir.resolve(d));
            }
            for (String c : commits) {
                Commit cm = store.commit(c);
                tree(cm.root);
                copy(store.object(c, Store.COMMIT), Pull.objectName(c, Store.COMMIT));
                if (cm.hasParent() && commits.contains(cm.parent) && store.has(cm.parent, Store.COMMIT)) {
                    delta(cm.parent, c);
                }
                result.commits++;
            }
            StringBuilder sb = new StringBuilder();
            for (String c : commits) {
                sb.append(c).append('\n');
            }
            AtomicFile.write(dir.resolve("refs").resolve(system), sb.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, "publish", dir + ": " + e.getMessage(), e);
        }
        return result;
    }

    private void tree(String id) throws IOException {
        if (!seenTrees.add(id)) {
            return;
        }
        for (Entry e : store.tree(id).entries) {
            if (e.kind == 'd') {
                tree(e.ref);
            } else if (e.kind == 'f' && seenContent.add(e.contentHash())) {
                String ch = e.contentHash();
                copy(store.object(e.objectId(), Store.FILE), "content/" + ch.substring(0, 2) + "/" + ch.substring(2));
            }
        }
        copy(store.object(id, Store.TREE), Pull.objectName(id, Store.TREE));
    }

    /** The tree delta from the parent to the commit (its trees as changes to the parent's), unless there. */
    private void delta(String parent, String commit) throws IOException {
        Path to = dir.resolve(TreeDelta.name(parent, commit));
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            result.present++;
            return;
        }
        mkdir(dir.resolve("deltas"));
        mkdir(to.getParent());
        byte[] b = TreeDelta.make(store, parent, commit);
        AtomicFile.write(to, b);
        result.copied++;
        result.copiedBytes += b.length;
        result.deltas++;
    }

    private void copy(Path from, String rel) throws IOException {
        Path to = dir.resolve(rel);
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            result.present++;
            return;
        }
        mkdir(to.getParent());
        long[] n = new long[1];
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
            AtomicFile.write(to, out -> n[0] = copy(in, out));
        }
        result.copied++;
        result.copiedBytes += n[0];
    }

    /** Copies all of in (from its start) to out; returns the bytes copied. */
    static long copy(FileChannel in, FileChannel out) throws IOException {
        long size = in.size();
        long n = 0;
        while (n < size) {
            long k = in.transferTo(n, size - n, out);
            if (k <= 0) {
                break;
            }
            n += k;
        }
        return n;
    }

    private static void mkdir(Path d) throws IOException {
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
