package org.vsys.core;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.mount.MountTable;
import org.vsys.store.Checkout;
import org.vsys.store.Commit;
import org.vsys.store.Entry;
import org.vsys.store.Store;

/**
 * Removes what nothing needs. Kept: the commits in refs (all, or the last N of each system with
 * {@code keep}), the commit each system's record runs from (view=), and every checkout a running
 * process still uses (a mount of it in any mount namespace, or a cwd or root inside it), with all
 * the objects they reach. Removed: other checkouts, unreachable objects, stale content index
 * links, and what interrupted runs left in tmp/. Order makes kill -9 harmless: refs first,
 * checkouts renamed away before they are emptied, objects last.
 */
public final class Gc {
    private static final Pattern CHECKOUT = Pattern.compile("/\\.store/checkouts/([0-9a-f]{64})(?:/|$)");

    /** The outcome. */
    public static final class Result {
        public long keptCommits;
        public long droppedCommits;
        public long removedCheckouts;
        public long keptCheckouts;
        public long removedObjects;
        public long removedBytes;
        public long keptObjects;
        public long removedContentLinks;
        public long removedTemps;
        public final Set<String> inUse = new LinkedHashSet<>();
    }

    private final Store store;

    public Gc(Store store) {
        this.store = store;
    }

    /** Commit ids of checkouts used by running processes (mounts in any namespace, cwd, root). */
    public static Set<String> checkoutsInUse() {
        Set<String> out = new LinkedHashSet<>();
        Set<String> namespaces = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : ds) {
                for (String l : new String[] {"cwd", "root"}) {
                    try {
                        match(Files.readSymbolicLink(proc.resolve(l)).toString(), out);
                    } catch (IOException | RuntimeException e) {
                        // gone or not ours to see
                    }
                }
                String ns;
                try {
                    ns = Files.readSymbolicLink(proc.resolve("ns/mnt")).toString();
                } catch (IOException | RuntimeException e) {
                    continue;
                }
                if (!namespaces.add(ns)) {
                    continue;
                }
                try {
                    for (MountTable.Mount m : MountTable.read(proc.resolve("mountinfo")).mounts()) {
                        match(m.root(), out);
                        match(m.mountPoint(), out);
                    }
                } catch (RuntimeException e) {
                    // the process ended
                }
            }
        } catch (IOException e) {
            // no /proc: nothing known to be in use
        }
        return out;
    }

    private static void match(String path, Set<String> out) {
        Matcher m = CHECKOUT.matcher(path);
        if (m.find()) {
            out.add(m.group(1));
        }
    }

    /**
     * @param views commit ids the system records run from
     * @param keep  null to keep every commit, else how many of each system's last commits to keep
     */
    public Result run(Set<String> views, Integer keep) throws IOException, VsysException {
        Result r = new Result();
        r.removedTemps = store.clearTmp();
        Checkout co = new Checkout(store);
        // leftovers of interrupted checkouts and removals
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.checkouts())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".tmp-") || n.startsWith(".del-")) {
                    stale.add(p);
                }
            }
        }
        for (Path p : stale) {
            Checkout.deleteTree(p);
        }
        Set<String> roots = new LinkedHashSet<>();
        for (String sys : store.systems()) {
            List<String> cs = store.commits(sys);
            List<String> kept = cs;
            if (keep != null && cs.size() > keep) {
                kept = new ArrayList<>(cs.subList(cs.size() - keep, cs.size()));
                // the commit in view stays in refs even when older
                for (String c : cs) {
                    if (views.contains(c) && !kept.contains(c)) {
                        kept.add(0, c);
                    }
                }
                if (kept.size() < cs.size()) {
                    List<String> ordered = new ArrayList<>();
                    for (String c : cs) {
                        if (kept.contains(c)) {
                            ordered.add(c);
                        }
                    }
                    r.droppedCommits += cs.size() - ordered.size();
                    store.setCommits(sys, ordered);
                    kept = ordered;
                }
            }
            roots.addAll(kept);
        }
        roots.addAll(views);
        Set<String> inUse = checkoutsInUse();
        r.inUse.addAll(inUse);
        roots.addAll(inUse);
        // checkouts: kept when their commit is kept
        List<String> doomed = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.checkouts())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.matches("[0-9a-f]{64}")) {
                    if (roots.contains(n)) {
                        r.keptCheckouts++;
                    } else {
                        doomed.add(n);
                    }
                }
            }
        }
        Steps.reach("gc.checkouts");
        for (String c : doomed) {
            co.remove(c);
            r.removedCheckouts++;
        }
        // mark
        Set<String> live = new HashSet<>();
        for (String c : roots) {
            if (!store.has(c, Store.COMMIT)) {
                continue;
            }
            live.add(c + "." + Store.COMMIT);
            r.keptCommits++;
            mark(store.commit(c).root, live);
        }
        Steps.reach("gc.sweep");
        // sweep objects, remembering the inodes of the survivors for the content index
        Set<Long> liveInodes = new HashSet<>();
        try (DirectoryStream<Path> top = Files.newDirectoryStream(store.objects())) {
            for (Path xx : top) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(xx)) {
                    for (Path p : ds) {
                        String key = xx.getFileName() + p.getFileName().toString();
                        if (live.contains(key)) {
                            r.keptObjects++;
                            if (key.endsWith("." + Store.FILE)) {
                                liveInodes.add(inode(p));
                            }
                        } else {
                            r.removedBytes += Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                                    LinkOption.NOFOLLOW_LINKS).size(); // a symlink object is not followed
                            Files.delete(p);
                            if (r.removedObjects++ == 0) {
                                Steps.reach("gc.sweeping"); // for the kill -9 test: in the middle of removing
                            }
                        }
                    }
                }
            }
        }
        try (DirectoryStream<Path> top = Files.newDirectoryStream(store.content())) {
            for (Path xx : top) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(xx)) {
                    for (Path p : ds) {
                        if (!liveInodes.contains(inode(p))) {
                            Files.delete(p);
                            r.removedContentLinks++;
                        }
                    }
                }
            }
        }
        store.sync();
        return r;
    }

    private static long inode(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
        return (Long) a.get("ino");
    }

    private void mark(String tree, Set<String> live) throws IOException {
        if (!live.add(tree + "." + Store.TREE)) {
            return;
        }
        if (!store.has(tree, Store.TREE)) {
            return;
        }
        for (Entry e : store.tree(tree).entries) {
            if (e.kind == 'd') {
                mark(e.ref, live);
            } else if (e.kind == 'f') {
                live.add(e.objectId() + "." + Store.FILE);
            } else if (e.kind == 'l') {
                live.add(Entry.symlinkId(e) + "." + Store.SYMLINK);
            }
        }
    }
}
