package org.vsys.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.vsys.config.Names;
import org.vsys.config.SystemRecord;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.core.Gc;
import org.vsys.core.Records;
import org.vsys.base.Steps;
import org.vsys.core.ViewHelper;
import org.vsys.base.VsysException;
import org.vsys.store.Checkout;
import org.vsys.store.Commit;
import org.vsys.store.Store;

/**
 * What a system runs from: its live mount R/NAME, or a checkout of one of its commits, named by
 * {@code view=} in its record. {@link #switchTo} makes (or finds) the checkout under the store lock,
 * rewrites the record atomically under the state lock, then asks vsys-view to prepare the
 * system's namespace again: new launches see the new tree, running processes keep theirs.
 */
public final class Views {
    private final Installation inst;
    private final Records records;
    private final Store store;
    private final Debug debug;
    private long lastCheckoutMillis = -1;

    /** How long the last switchTo took to make or find its checkout, in ms (-1: none). */
    public long lastCheckoutMillis() {
        return lastCheckoutMillis;
    }

    public Views(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.store = Store.of(inst);
        this.debug = debug;
    }

    public Store store() {
        return store;
    }

    /** The system's record; exit 5 when there is none, 2 for an alias. */
    public SystemRecord system(String rawName) throws VsysException {
        return records.existingSystem(rawName);
    }

    /** The commit a record runs from (its view=, or the lower tree of its layer), or null when it runs live. */
    public String currentCommit(SystemRecord rec) {
        String v = rec.layered() ? rec.layer().lower() : rec.view();
        if (v == null) {
            return null;
        }
        String prefix = store.checkouts().toString() + "/";
        if (v.startsWith(prefix) && v.substring(prefix.length()).matches("[0-9a-f]{64}")) {
            return v.substring(prefix.length());
        }
        return null;
    }

    /** Every commit some record runs from. */
    public Set<String> commitsInView() throws VsysException {
        Set<String> out = new HashSet<>();
        for (String n : records.systemNames()) {
            try {
                SystemRecord r = records.system(n);
                String c = r == null ? null : currentCommit(r);
                if (c != null) {
                    out.add(c);
                }
            } catch (VsysException e) {
                // a bad record is reported by list/status; its view cannot be known
            }
        }
        return out;
    }

    /** A commit of the system named by a unique prefix of at least 4 hex digits. */
    public String resolve(String system, String word) throws VsysException {
        if (!word.matches("[0-9a-f]{4,64}")) {
            throw new VsysException(ExitCode.USAGE, word, "not a commit id (4 to 64 hex digits)");
        }
        List<String> hits = new ArrayList<>();
        try {
            for (String c : store.commits(system)) {
                if (c.startsWith(word) && !hits.contains(c)) {
                    hits.add(c);
                }
            }
            // a commit gc dropped from refs whose checkout it kept (in use) can still be switched to
            if (hits.isEmpty() && Files.isDirectory(store.checkouts())) {
                try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(store.checkouts())) {
                    for (Path p : ds) {
                        String c = p.getFileName().toString();
                        if (c.matches("[0-9a-f]{64}") && c.startsWith(word) && store.has(c, Store.COMMIT)
                                && system.equals(store.commit(c).system)) {
                            hits.add(c);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, system, "cannot read its commits: " + e.getMessage(), e);
        }
        if (hits.isEmpty()) {
            throw new VsysException(ExitCode.NO_SUCH, system, "no commit " + word + " (see 'vsys snapshot --list " + system + "')");
        }
        if (hits.size() > 1) {
            throw new VsysException(ExitCode.USAGE, word, "matches " + hits.size() + " commits; give more digits");
        }
        return hits.get(0);
    }

    public String latest(String system) throws VsysException {
        try {
            List<String> cs = store.commits(system);
            if (cs.isEmpty()) {
                throw new VsysException(ExitCode.NO_SUCH, system, "has no snapshot (run 'vsys snapshot " + system + "')");
            }
            return cs.get(cs.size() - 1);
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, system, "cannot read its commits: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the system from commit (null: from its live mount). Returns the checkout path or null.
     * {@code prepare}: run vsys-view prepare (false only in unit tests without the helper).
     */
    public Path switchTo(String rawName, String commit, boolean prepare) throws VsysException {
        return switchTo(rawName, commit, prepare, null);
    }

    /** What the 3-way merge of the last switchTo of a layered system did (null: none, or a rollback). */
    public org.vsys.layer.Merge.Result lastMerge() {
        return lastMerge;
    }

    private org.vsys.layer.Merge.Result lastMerge;

    /**
     * {@link #switchTo(String, String, boolean)}; {@code layerGen} (rollback of a layered system):
     * run with that kept generation of the layer as it is, instead of a merged new one.
     */
    public Path switchTo(String rawName, String commit, boolean prepare, String layerGen) throws VsysException {
        String name = Names.check(rawName);
        system(name);
        Path dir = null;
        store.ensureLayout();
        try (Lock sl = store.lock()) {
            if (commit != null) {
                try {
                    long t0 = System.nanoTime();
                    dir = new Checkout(store).ensure(commit);
                    lastCheckoutMillis = (System.nanoTime() - t0) / 1_000_000;
                } catch (IOException e) {
                    throw new VsysException(ExitCode.CORRUPT, commit.substring(0, 12), "cannot check out: " + e.getMessage()
                            + " (run 'vsys fsck')", e);
                }
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw new VsysException(ExitCode.CORRUPT, dir.toString(), "checkout missing after it was made");
                }
            }
            Steps.reach("switch.checkout");
            try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
                SystemRecord rec = system(name);
                if (rec.state() != SystemRecord.State.READY) {
                    throw new VsysException(ExitCode.CORRUPT, name, "state is " + rec.state().word());
                }
                if (rec.layered()) {
                    switchLayered(rec, dir, commit, prepare, layerGen);
                    return dir;
                }
                records.write(rec.withView(dir == null ? null : dir.toString()));
                Steps.reach("switch.record");
                if (prepare) {
                    ViewHelper view = new ViewHelper(inst, debug);
                    view.run(name, "shared-up");
                    view.run(name, "prepare", name);
                }
            }
        }
        return dir;
    }

    /**
     * The switch of a layered system, under both locks: the new generation is prepared aside (the
     * old one and the running overlay untouched: a crash here leaves the old deployment), the
     * record names it and its lower tree in one atomic write (the commit point), then the overlay
     * at R/NAME is mounted anew and the view prepared (a crash after the record: the restore
     * marker makes the next vsys mount what the record says).
     */
    private void switchLayered(SystemRecord rec, Path dir, String commit, boolean prepare, String layerGen) throws VsysException {
        String name = rec.name();
        org.vsys.core.Layer layer = new org.vsys.core.Layer(inst, name);
        Path newLower = dir != null ? dir : layer.lowerMount();
        String gen = layerGen;
        lastMerge = null;
        if (gen == null) {
            org.vsys.layer.Layers.Generation g = new org.vsys.layer.Layers(inst, debug).prepare(rec, newLower, commit);
            gen = g.gen();
            lastMerge = g.merge();
        }
        SystemRecord next = rec.withLayer(rec.layer().withGen(gen, dir == null ? null : dir.toString()));
        org.vsys.core.Restore.mark(inst, name);
        try {
            records.write(next);
            Steps.reach("switch.record");
            if (prepare) {
                org.vsys.mount.MountContext ctx = new org.vsys.mount.MountContext(name, inst, records.config(), 10, debug);
                new org.vsys.core.SystemMounts(inst, next, debug).remountLayer(next, ctx, () -> { });
                Steps.reach("switch.mounted");
                ViewHelper view = new ViewHelper(inst, debug);
                view.run(name, "shared-up");
                view.run(name, "prepare", name);
            }
        } finally {
            org.vsys.core.Restore.unmark(inst, name);
        }
    }

    /** What a rollback did: the system, the commit it runs from now (null: its live mount), the checkout, and the layer generation it returned to (null: not layered). */
    public record Rollback(String system, String commit, Path dir, String generation) {
    }

    /**
     * Runs the system from the parent of the commit it runs from; a layered system returns to the
     * generation its last switch left, with that generation's lower tree (its commit or the live mount).
     */
    public Rollback rollback(String rawName) throws VsysException {
        SystemRecord rec = system(rawName);
        String sys = rec.name();
        if (rec.layered() && rec.layer().prev() != null) {
            String prev = rec.layer().prev();
            String commit = SystemRecord.LayerSpec.commitOf(prev);
            return new Rollback(sys, commit, switchTo(sys, commit, true, prev), prev);
        }
        String target = rollbackTarget(sys);
        return new Rollback(sys, target, switchTo(sys, target, true), null);
    }

    /**
     * {@link Gc} under the store lock, keeping every commit some record runs from (and with
     * {@code keep} only each system's last {@code keep} commits besides); null when there is no store.
     */
    public Gc.Result gc(Integer keep) throws VsysException, IOException {
        if (!store.exists()) {
            return null;
        }
        try (Lock lock = store.lock()) {
            return new Gc(store).run(commitsInView(), keep);
        }
    }

    /** The parent of the commit the system runs from. */
    public String rollbackTarget(String rawName) throws VsysException {
        SystemRecord rec = system(rawName);
        String cur = currentCommit(rec);
        if (cur == null) {
            throw new VsysException(ExitCode.USAGE, rec.name(), rec.view() == null
                    ? "runs from its live mount; nothing to roll back (see 'vsys switch')"
                    : "runs from " + rec.view() + ", not a snapshot of the store");
        }
        try {
            Commit c = store.commit(cur);
            if (!c.hasParent()) {
                throw new VsysException(ExitCode.NO_SUCH, rec.name(), "commit " + cur.substring(0, 12) + " is its first snapshot; "
                        + "nothing older to roll back to");
            }
            if (!store.has(c.parent, Store.COMMIT)) {
                throw new VsysException(ExitCode.NO_SUCH, rec.name(), "the previous commit " + c.parent.substring(0, 12)
                        + " is not in the store (removed by gc, or the commit was pulled without it: see pull --depth)");
            }
            return c.parent;
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, rec.name(), "cannot read commit " + cur + ": " + e.getMessage(), e);
        }
    }
}
