package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.vsys.base.AtomicFile;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountContext;

/**
 * {@code vsys restore}: brings every recorded system back after a reboot or a lost mount. First
 * the leftovers of interrupted operations are recovered ({@link Recovery}); then, one system at a
 * time and each under the lock: its directory, every filesystem that is not mounted or does not
 * answer (and those that sat on it), its prepared view when a filesystem was redone or the view is
 * missing, and its launcher links. A system that is whole is not touched, so a second run changes
 * nothing.
 */
public final class Restore {

    /** The outcome for one system: what was done, or why it could not be restored. */
    public record Outcome(String name, List<String> done, VsysException failure, String recovered) {
        public boolean ok() {
            return failure == null;
        }

        public String line() {
            if (recovered != null) {
                return name + ": " + recovered;
            }
            if (failure != null) {
                return name + ": NOT restored: " + failure.why();
            }
            return name + ": " + (done.isEmpty() ? "ok, nothing to do" : "restored: " + String.join(", ", done));
        }
    }

    private final Installation inst;
    private final Records records;
    private final Debug debug;

    public Restore(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.debug = debug;
    }

    /** Restores every system; returns the recovery actions as outcomes first, then one per system. */
    public List<Outcome> run(int timeoutSeconds, long probeMillis) throws VsysException {
        List<Outcome> out = new ArrayList<>();
        if (!Files.isDirectory(inst.systems(), LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        records.ensureLayout();
        ViewHelper view = new ViewHelper(inst, debug);
        view.requirePresent("restore");
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            for (Recovery.Action a : new Recovery(inst, debug).run()) {
                out.add(new Outcome(a.name(), List.of(), a.ok() ? null : new VsysException(ExitCode.CORRUPT, a.name(), a.what()),
                        a.what()));
            }
        }
        for (String name : records.systemNames()) {
            // one system at a time, each under the lock, so a slow server does not hold up other commands
            try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
                Steps.reach("restore.start");
                out.add(new Outcome(name, restoreOne(name, view, timeoutSeconds, probeMillis), null, null));
            } catch (VsysException e) {
                out.add(new Outcome(name, List.of(), e, null));
            }
        }
        return out;
    }

    /**
     * The marker {@code R/.state/<name>.restoring}: written before a restore or remount takes a
     * filesystem down, removed when it is done (or has failed and said so). A marker found by the
     * next command under the lock means that vsys was killed half way: {@link Recovery} restores
     * the system again.
     */
    static Path marker(Installation inst, String name) {
        return inst.stateDir().resolve(name + ".restoring");
    }

    public static void mark(Installation inst, String name) throws VsysException {
        Path m = marker(inst, name);
        try {
            if (!Files.isDirectory(inst.stateDir(), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(inst.stateDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            AtomicFile.write(m, "restoring\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, m.toString(), "cannot write: " + e.getMessage(), e);
        }
    }

    public static void unmark(Installation inst, String name) {
        try {
            AtomicFile.removeDurably(marker(inst, name));
        } catch (IOException e) {
            // the next command restores the system once more: harmless
        }
    }

    /** Restores one system under the lock the caller holds; returns what was done. */
    public List<String> restoreOne(String name, ViewHelper view, int timeoutSeconds, long probeMillis) throws VsysException {
        try {
            return restoreOneMarked(name, view, timeoutSeconds, probeMillis);
        } finally {
            unmark(inst, name);
        }
    }

    private List<String> restoreOneMarked(String name, ViewHelper view, int timeoutSeconds, long probeMillis) throws VsysException {
        List<String> done = new ArrayList<>();
        // a marker left by a killed remount, reset or switch: the view may be older than the mounts
        boolean interrupted = Files.exists(marker(inst, name), LinkOption.NOFOLLOW_LINKS);
        SystemRecord rec = records.system(name);
        if (rec == null) {
            return done; // destroyed meanwhile
        }
        if (rec.state() != SystemRecord.State.READY) {
            throw new VsysException(ExitCode.CORRUPT, name, "state is " + rec.state().word() + " (an interrupted operation that could not be finished; see vsys check)");
        }
        SystemMounts mounts = new SystemMounts(inst, rec, debug);
        Path dir = mounts.dir();
        List<AliasRecord> aliases = records.aliasesOf(name);
        if (!Ours.check(inst, dir, name, aliases, "left alone")) {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    mounts.makeDir();
                done.add("made " + dir);
            }
        }
        Health.SystemState st = Health.check(inst, rec, probeMillis);
        List<FsEntry> redo = Health.toRedo(rec, st);
        if (!redo.isEmpty() || !st.namespace()) {
            mark(inst, name);
        }
        if (!redo.isEmpty()) {
            MountContext ctx = new MountContext(name, inst, records.config(), timeoutSeconds, debug);
            mounts.remount(redo, ctx, "restore.unmounted", fs -> done.add("mounted " + fs.path()));
            Steps.reach("restore.mounted");
        }
        if (!redo.isEmpty() || !st.namespace() || interrupted) {
            view.run(name, "shared-up");
            view.run(name, "prepare", name);
            done.add("view prepared");
            Steps.reach("restore.prepared");
        }
        if (!Links.exists(inst.link(name))) {
            Links.create(inst.link(name));
            done.add("link " + inst.link(name) + " made");
        }
        for (AliasRecord a : aliases) {
            if (!Links.exists(inst.link(a.name()))) {
                Links.create(inst.link(a.name()));
                done.add("alias link " + inst.link(a.name()) + " made");
            }
        }
        Steps.reach("restore.linked");
        return done;
    }
}
