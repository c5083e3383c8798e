package org.vsys.core;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.Names;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountTable;

/**
 * {@code vsys destroy}: refuse while busy (nothing changed), then mark the record destroying,
 * release the view, unmount everything under {@code R/<name>} deepest first, stop sshfs, remove the
 * launcher links and aliases, rmdir {@code R/<name>} and remove the record last. It never deletes a
 * file, never recurses into a directory and never follows a symlink at {@code R/<name>}.
 */
public final class Destroy {
    private final Installation inst;
    private final Records records;
    private final Debug debug;

    public Destroy(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.debug = debug;
    }

    private static boolean isEmpty(Path dir) {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * Destroys NAME. Returns, under {@code force}, the processes that were still using the system:
     * they are detached from it lazily, never killed, and the caller reports them.
     */
    public List<Processes.Holder> run(String rawName, boolean force) throws VsysException {
        String name = Names.check(rawName);
        if (!Files.isDirectory(inst.systems(), LinkOption.NOFOLLOW_LINKS) && Automap.read(inst, name) == null) {
            throw new VsysException(ExitCode.NO_SUCH, name, "no such system");
        }
        records.ensureLayout();
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            Recovery.atStart(inst, debug);
            return destroyLocked(name, force);
        }
    }

    /**
     * A system served on demand (no record): its autofs entry removed safely ({@link Automap#unserve}:
     * an idle mount is unmounted, a busy one refuses with exit 11 and nothing changes; nothing
     * under R/.auto that is not mounted is looked up, so a dead server is never asked), then its
     * aliases. A declaration of it serves it again at the next {@code vsys apply}.
     */
    private List<Processes.Holder> destroyOnDemand(String name, boolean force) throws VsysException {
        List<Processes.Holder> left = new java.util.ArrayList<>();
        for (java.nio.file.Path p : force ? Automap.places(inst, name) : List.<java.nio.file.Path>of()) {
            left.addAll(Processes.usingDir(p));
        }
        Automap.unserve(inst, name, force, debug);
        Aliases aliases = new Aliases(inst);
        for (AliasRecord a : records.aliasesOf(name)) {
            aliases.unaliasLocked(a.name());
        }
        return left;
    }

    /** {@link #run} under the lock the caller holds (after {@link Recovery}), with all its checks. */
    public List<Processes.Holder> destroyLocked(String name, boolean force) throws VsysException {
        ViewHelper view = new ViewHelper(inst, debug);
        {
            AliasRecord alias = records.alias(name);
            if (alias != null) {
                throw new VsysException(ExitCode.USAGE, name,
                        "is an alias of " + alias.system() + "; use 'vsys unalias " + name + "'");
            }
            SystemRecord rec = records.system(name);
            if (rec == null && Automap.read(inst, name) != null) {
                return destroyOnDemand(name, force);
            }
            if (rec == null) {
                throw new VsysException(ExitCode.NO_SUCH, name, "no such system");
            }
            SystemMounts mounts = new SystemMounts(inst, rec, debug);
            // safety first: everything we are about to touch must be what vsys made
            Path dir = mounts.dir();
            List<AliasRecord> aliases = records.aliasesOf(name);
            boolean mounted = Ours.check(inst, dir, name, aliases, "nothing changed");
            boolean nsPresent = MountTable.read().isPrepared(inst, name);
            if (nsPresent) {
                view.requirePresent(name);
            }
            if (!mounted && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && !isEmpty(dir)) {
                throw new VsysException(ExitCode.UNSAFE, name, dir + " is not mounted and not empty (files were put there); "
                        + "nothing changed: move them away first");
            }
            if (!force) {
                java.util.Set<String> ours = new java.util.HashSet<>();
                for (org.vsys.config.FsEntry fs : rec.filesystems()) {
                    ours.add(mounts.target(fs).toString());
                }
                if (rec.layered()) {
                    ours.add(dir.toString()); // the overlay
                }
                List<String> only = HandMadeMounts.onlyHere(dir.toString(), ours);
                if (!only.isEmpty()) {
                    throw new VsysException(ExitCode.UNSAFE, name, "mounted by hand inside the system and nowhere else: "
                            + String.join(", ", only) + "; unmounting would discard its files; nothing changed "
                            + "(unmount it yourself, or --force)");
                }
                List<Processes.Holder> holders = Processes.using(inst, name);
                if (!holders.isEmpty()) {
                    throw new VsysException(ExitCode.BUSY, name,
                            "in use: " + Processes.describe(holders) + "; nothing was changed (--force detaches lazily)");
                }
            }
            List<Processes.Holder> leftRunning = force ? Processes.using(inst, name) : List.of();
            Steps.reach("destroy.start");
            records.write(rec.withState(SystemRecord.State.DESTROYING));
            Steps.reach("destroy.marked");
            if (nsPresent) {
                view.run(name, "release", name);
            }
            Steps.reach("destroy.released");
            mounts.unmountAll(dir.toString(), force);
            Layer layer = new Layer(inst, name);
            if (rec.layered()) {
                mounts.unmountAll(layer.lowerMount().toString(), force);
            }
            Steps.reach("destroy.unmounted");
            mounts.stopHelpers();
            mounts.writeHelpers(Map.of());
            Ours.removeLinks(inst, records, name, aliases);
            Steps.reach("destroy.unlinked");
            mounts.removeDir();
            if (rec.layered()) {
                layer.removeLowerMount(); // the upper R/.layer/NAME stays (vsys reset, or remove it by hand)
            }
            mounts.removeLocalTmpIfEmpty();
            records.removeSystem(name);
            Steps.reach("destroy.removed");
            // on-demand systems enter with the shared tree's local parts: it stays while one is served
            if (records.systemNames().isEmpty() && Automap.all(inst).isEmpty() && view.present()) {
                try {
                    view.run(name, "shared-down");
                } catch (VsysException e) {
                    debug.line("shared-down: " + e.why());
                }
            }
            return leftRunning;
        }
    }
}
