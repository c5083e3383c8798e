package org.vsys.layer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.vsys.base.AtomicFile;
import org.vsys.config.Names;
import org.vsys.config.SystemRecord;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.core.Layer;
import org.vsys.config.Lock;
import org.vsys.core.Processes;
import org.vsys.core.Records;
import org.vsys.base.Steps;
import org.vsys.core.SystemMounts;
import org.vsys.core.ViewHelper;
import org.vsys.base.VsysException;
import org.vsys.mount.MountContext;

/** {@code vsys diff}, {@code vsys reset} and the new generation of a layer that a switch prepares. */
public final class Layers {
    private final Installation inst;
    private final Records records;
    private final Debug debug;

    public Layers(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.debug = debug;
    }

    /** The record of a layered system: exit 5 if none, 2 for an alias or a system without a layer. */
    public SystemRecord layered(String rawName) throws VsysException {
        SystemRecord rec = records.existingSystem(rawName);
        String name = rec.name();
        if (!rec.layered()) {
            throw new VsysException(ExitCode.USAGE, name, "has no layer (create it with --layer persistent)");
        }
        if (rec.state() != SystemRecord.State.READY) {
            throw new VsysException(ExitCode.CORRUPT, name, "state is " + rec.state().word());
        }
        return rec;
    }

    /** What the layer of NAME changed over its lower tree. */
    public List<Diff.Change> diff(String rawName) throws VsysException {
        SystemRecord rec = layered(rawName);
        Layer layer = new Layer(inst, rec.name());
        Path upper = layer.upper(rec.layer().gen());
        try {
            return Diff.of(upper, layer.lowerTree(rec.layer()));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, rec.name(), "cannot read the layer " + upper + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops the layer's changes under {@code paths} (absolute inside the system; empty: all), with
     * the overlay taken down meanwhile and the view prepared again. Refused while processes run
     * inside unless {@code force} (they keep the tree they have, whose upper changes under them).
     * Returns the number of entries removed.
     */
    public long reset(String rawName, List<String> paths, boolean force, int timeoutSeconds) throws VsysException {
        String name = layered(rawName).name();
        List<Path> rels = new ArrayList<>();
        for (String p : paths) {
            if (!p.startsWith("/") || p.contains("\0")) {
                throw new VsysException(ExitCode.USAGE, Names.display(p), "not an absolute path inside the system");
            }
            Path rel = Path.of("/").relativize(Path.of(p).normalize());
            if (rel.toString().isEmpty()) {
                rels.clear();
                break; // "/": everything
            }
            if (rel.startsWith("..")) {
                throw new VsysException(ExitCode.USAGE, Names.display(p), "not an absolute path inside the system");
            }
            rels.add(rel);
        }
        records.ensureLayout();
        ViewHelper view = new ViewHelper(inst, debug);
        view.requirePresent(name);
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            org.vsys.core.Recovery.atStart(inst, debug);
            SystemRecord rec = layered(name);
            if (!force) {
                List<Processes.Holder> h = Processes.using(inst, name);
                if (!h.isEmpty()) {
                    throw new VsysException(ExitCode.BUSY, name, "in use: " + Processes.describe(h)
                            + "; nothing was reset (--force resets under them)");
                }
            }
            Layer layer = new Layer(inst, name);
            Path upper = layer.upper(rec.layer().gen());
            // every path is checked before anything is removed: a symlink on the way refuses them all
            for (Path rel : rels) {
                checkNoSymlinkOnWay(name, upper, rel);
            }
            try {
                Trees.requireNoMountBelow(layer.home());
            } catch (IOException e) {
                throw new VsysException(ExitCode.UNSAFE, name, e.getMessage());
            }
            long[] removed = {0};
            MountContext ctx = new MountContext(name, inst, records.config(), timeoutSeconds, debug);
            org.vsys.core.Restore.mark(inst, name); // a reset killed half way: the next command mounts the layer again
            try {
                new SystemMounts(inst, rec, debug).remountLayer(rec, ctx, () -> {
                    Steps.reach("reset.down");
                    try {
                        if (rels.isEmpty()) {
                            try (SecureDirectoryStream<Path> d = Trees.open(upper)) {
                                List<Path> names = new ArrayList<>();
                                for (Path c : d) {
                                    names.add(c.getFileName());
                                }
                                for (Path c : names) {
                                    removed[0] += Trees.remove(d, c);
                                }
                            }
                        } else {
                            for (Path rel : rels) {
                                removed[0] += Trees.remove(upper, upper.resolve(rel.toString()));
                            }
                        }
                    } catch (IOException e) {
                        throw new VsysException(ExitCode.INTERNAL, name, "reset of " + upper + " stopped: " + e.getMessage(), e);
                    }
                });
                view.run(name, "shared-up");
                view.run(name, "prepare", name);
            } finally {
                org.vsys.core.Restore.unmark(inst, name);
            }
            return removed[0];
        }
    }

    /**
     * Removes the kept layer {@code R/.layer/NAME} of a destroyed system (every generation), under
     * the lock, never across a mount and never following a symlink. Exit 2 while a system of that
     * name exists. Returns the number of entries removed (0: there was none).
     */
    public long removeLayer(String rawName) throws VsysException {
        String name = Names.check(rawName);
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            if (records.system(name) != null) {
                throw new VsysException(ExitCode.USAGE, name, "exists; its layer is removed only after destroy");
            }
            Layer layer = new Layer(inst, name);
            if (!Files.isDirectory(layer.home(), LinkOption.NOFOLLOW_LINKS)) {
                return 0;
            }
            try {
                Trees.requireNoMountBelow(layer.home());
                return Trees.remove(Layer.layerBase(inst), layer.home());
            } catch (IOException e) {
                throw new VsysException(ExitCode.UNSAFE, name, "layer " + layer.home() + " not removed: " + e.getMessage());
            }
        }
    }

    /** Exit 15 when a directory on the way to {@code rel} in the upper is a symlink (or the final entry is reached through one). */
    private static void checkNoSymlinkOnWay(String name, Path upper, Path rel) throws VsysException {
        Path p = upper;
        for (int i = 0; i < rel.getNameCount() - 1; i++) {
            p = p.resolve(rel.getName(i).toString());
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                return; // nothing there: nothing to reset below
            }
            if (a.isSymbolicLink()) {
                throw new VsysException(ExitCode.UNSAFE, name, "reset /" + rel + ": /" + upper.relativize(p)
                        + " in the layer is a symlink; not followed, nothing was reset");
            }
            if (!a.isDirectory()) {
                return;
            }
        }
    }

    /** A generation and what the merge into it did. */
    public record Generation(String gen, Merge.Result merge) {
    }

    /**
     * Prepares, aside, the generation a switch to {@code newLower} runs with: a copy of the current
     * upper ({@code cp -a}: the current generation stays as it is, for rollback) merged by
     * {@link Merge} on the record's merge paths, with an empty work directory; built in
     * {@code R/.layer/NAME/.tmp-GEN} and renamed into place when complete. {@code base}: the
     * commit of newLower, or null for the live source.
     */
    public Generation prepare(SystemRecord rec, Path newLower, String base) throws VsysException {
        Layer layer = new Layer(inst, rec.name());
        SystemRecord.LayerSpec spec = rec.layer();
        String prefix = (base == null ? "live" : base) + ".";
        int n = 0;
        try {
            clearTemps(layer);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(layer.home())) {
                for (Path p : ds) {
                    String f = p.getFileName().toString();
                    if (f.startsWith(prefix) && f.substring(prefix.length()).matches("[0-9]{1,9}")) {
                        n = Math.max(n, Integer.parseInt(f.substring(prefix.length())));
                    }
                }
            }
            String gen = prefix + (n + 1);
            Path tmp = layer.home().resolve(".tmp-" + gen);
            Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Trees.copy(layer.upper(spec.gen()), tmp.resolve("upper"));
            Files.createDirectory(tmp.resolve("work"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Steps.reach("switch.copied");
            Merge.Result r = Merge.run(tmp.resolve("upper"), layer.lowerTree(spec), newLower, spec.merge());
            Steps.reach("switch.merged");
            AtomicFile.publishDirectory(tmp, layer.generation(gen));
            debug.line("layer generation " + gen + ": " + r.conflicts.size() + " conflicts");
            return new Generation(gen, r);
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, rec.name(), "cannot prepare the layer for the switch: " + e.getMessage()
                    + "; nothing changed", e);
        }
    }

    /** Removes generations left half built by a killed switch ({@code .tmp-*}). */
    static void clearTemps(Layer layer) throws IOException {
        if (!Files.isDirectory(layer.home(), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Trees.requireNoMountBelow(layer.home());
        try (SecureDirectoryStream<Path> d = Trees.open(layer.home())) {
            List<Path> temps = new ArrayList<>();
            for (Path p : d) {
                if (p.getFileName().toString().startsWith(".tmp-")) {
                    temps.add(p.getFileName());
                }
            }
            for (Path t : temps) {
                Trees.remove(d, t);
            }
        }
    }
}
