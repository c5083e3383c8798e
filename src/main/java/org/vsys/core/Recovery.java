package org.vsys.core;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vsys.base.AtomicFile;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.Installation;
import org.vsys.config.Names;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountTable;

/**
 * Finishes what a killed vsys left half done. Every state change holds the lock from its first
 * write to its last, so a record found in state {@code creating} or {@code destroying} by a
 * process that holds the lock belongs to a vsys that died: a create is undone, a destroy is
 * completed (both take the system down the same way, record last, so this step can itself be
 * interrupted and run again). Then the launcher links are brought in line with the records: an
 * alias record of a ready system gets its link back, a link of ours without a record goes, and so
 * do the temporary files of interrupted atomic writes. It never deletes anything else: unmounts
 * (lazily), rmdir of empty directories, removal of vsys's own links and records.
 *
 * <p>Called under the lock at the start of every state-changing command and by {@code check
 * --repair} and {@code restore}.
 */
public final class Recovery {
    private static final Pattern TEMP = Pattern.compile("\\.(.+)\\.tmp\\.([0-9]{1,10})");

    /**
     * One thing found ({@code found}) and what was done about it ({@code done}: null when only
     * looked at, or why it failed when {@code ok} is false).
     */
    public record Action(String name, String found, String done, boolean ok) {
        /** {@code found: done}, or just what was found. */
        public String what() {
            return done == null ? found : found + ": " + done;
        }

        @Override
        public String toString() {
            return name + ": " + what();
        }
    }

    private final Installation inst;
    private final Records records;
    private final Debug debug;

    public Recovery(Installation inst, Debug debug) {
        this(inst, debug, new Records(inst));
    }

    /** Recovery reading the records through {@code records} (one pass shared with the caller, {@link Records#readAll}). */
    public Recovery(Installation inst, Debug debug, Records records) {
        this.inst = inst;
        this.records = records;
        this.debug = debug;
    }

    /**
     * Recovers under the lock the caller holds and prints each action as a {@code vsys: } line on
     * standard error (a command that finds leftovers says what it did about them).
     */
    public static void atStart(Installation inst, Debug debug) {
        atStart(inst, debug, new Records(inst));
    }

    /** {@link #atStart(Installation, Debug)} through {@code records}; returns whether it did anything. */
    public static boolean atStart(Installation inst, Debug debug, Records records) {
        List<Action> done = new Recovery(inst, debug, records).run();
        for (Action a : done) {
            System.err.println("vsys: " + a.name() + ": " + a.what());
        }
        System.err.flush();
        return !done.isEmpty();
    }

    /** The actions needed, without doing them (for {@code check}). */
    public List<Action> pending() {
        return work(false);
    }

    /** Does the work; returns what was done and what could not be. The caller holds the lock. */
    public List<Action> run() {
        return work(true);
    }

    private List<Action> work(boolean act) {
        List<Action> out = new ArrayList<>();
        if (!Files.isDirectory(inst.systems(), LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        boolean tookDown = false;
        // the records read on every core (at 1000 systems most of this pass), then looked at in order
        List<String> names = records.systemNames();
        SystemRecord[] read = new SystemRecord[names.size()];
        java.util.stream.IntStream.range(0, read.length).parallel().forEach(i -> {
            try {
                read[i] = records.system(names.get(i));
            } catch (VsysException e) {
                read[i] = null; // a corrupt record is check's to report; it is never guessed at
            }
        });
        for (int i = 0; i < read.length; i++) {
            String n = names.get(i);
            SystemRecord rec = read[i];
            if (rec != null && rec.state() == SystemRecord.State.READY) {
                out.addAll(placement(rec, act));
                continue;
            }
            if (rec == null) {
                continue;
            }
            String what = (rec.state() == SystemRecord.State.CREATING ? "interrupted create" : "interrupted destroy")
                    + " (state=" + rec.state().word() + ")";
            String done = rec.state() == SystemRecord.State.CREATING ? "rolled back" : "completed";
            if (!act) {
                out.add(new Action(n, what, null, false));
                continue;
            }
            try {
                takeDown(rec);
                tookDown = true;
                out.add(new Action(n, what, done, true));
            } catch (VsysException e) {
                out.add(new Action(n, what, "FAILED: could not be " + done + ": " + e.why(), false));
            }
        }
        out.addAll(restores(act));
        out.addAll(links(act));
        out.addAll(tempFiles(act));
        out.addAll(onDemandRecords(act));
        if (act && tookDown) {
            sharedDownIfUnused();
        }
        return out;
    }

    /**
     * A ready system whose tree is at the other place than its record calls for ({@code R/NAME}
     * against {@code R/.private/NAME}): users=/groups= changed, or a vsys died while moving it.
     */
    private List<Action> placement(SystemRecord rec, boolean act) {
        Path other = inst.systemDir(rec.name(), !rec.restricted());
        if (!Files.exists(other, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        String what = other + " left (the record " + (rec.restricted() ? "restricts" : "no longer restricts")
                + " it: its tree belongs at " + inst.systemDir(rec.name(), rec.restricted()) + ")";
        if (!act) {
            return List.of(new Action(rec.name(), what, null, false));
        }
        try {
            new SystemMounts(inst, rec, debug).place();
            return List.of(new Action(rec.name(), what, "moved", true));
        } catch (VsysException e) {
            return List.of(new Action(rec.name(), what, "FAILED: " + e.why(), false));
        }
    }

    /**
     * Takes a system down completely: release its view, unmount everything under {@code R/<name>}
     * (lazily: no process can enter a system that is not ready, and a lazy unmount never waits for
     * a dead server), stop its helpers, remove its links and aliases, rmdir its directory and
     * remove the record last. Refuses (exit 15) when {@code R/<name>} is not a directory.
     */
    public void takeDown(SystemRecord rec) throws VsysException {
        String name = rec.name();
        SystemMounts mounts = new SystemMounts(inst, rec, debug);
        Path dir = mounts.dir();
        List<AliasRecord> aliases = records.aliasesOf(name);
        Ours.check(inst, dir, name, aliases, "left alone");
        ViewHelper view = new ViewHelper(inst, debug);
        if (MountTable.read().isPrepared(inst, name)) {
            view.run(name, "release", name);
        }
        mounts.unmountAll(dir.toString(), true);
        Layer layer = new Layer(inst, name);
        mounts.unmountAll(layer.lowerMount().toString(), true);
        mounts.stopHelpers();
        mounts.writeHelpers(Map.of());
        Ours.removeLinks(inst, records, name, aliases);
        mounts.removeDir();
        layer.removeLowerMount();
        mounts.removeLocalTmpIfEmpty();
        records.removeSystem(name);
        debug.line(name + ": taken down");
    }

    /** Systems whose restore or remount was killed half way ({@code R/.state/<name>.restoring}). */
    private List<Action> restores(boolean act) {
        List<Action> out = new ArrayList<>();
        if (!Files.isDirectory(inst.stateDir(), LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inst.stateDir(), "*.restoring")) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                names.add(f.substring(0, f.length() - ".restoring".length()));
            }
        } catch (IOException e) {
            return out;
        }
        for (String n : names) {
            String found = "interrupted restore or remount";
            SystemRecord rec;
            try {
                rec = Names.isValid(n) ? records.system(n) : null;
            } catch (VsysException e) {
                rec = null;
            }
            if (rec == null || rec.state() != SystemRecord.State.READY) {
                out.add(step(act, n, found + " of a system that is gone", "marker removed", () -> Restore.unmark(inst, n)));
                continue;
            }
            if (!act) {
                out.add(new Action(n, found, null, false));
                continue;
            }
            try {
                List<String> done = new Restore(inst, debug).restoreOne(n, new ViewHelper(inst, debug), 10, 2000);
                out.add(new Action(n, found, "completed" + (done.isEmpty() ? "" : ": " + String.join(", ", done)), true));
            } catch (VsysException e) {
                out.add(new Action(n, found, "FAILED: " + e.why() + " (vsys restore tries again)", false));
            }
        }
        return out;
    }

    /** With no system left, the shared tree goes too (as after the last destroy). */
    void sharedDownIfUnused() {
        ViewHelper view = new ViewHelper(inst, debug);
        if (records.systemNames().isEmpty() && Automap.all(inst).isEmpty() && view.present()) {
            try {
                view.run("recovery", "shared-down");
            } catch (VsysException e) {
                debug.line("shared-down: " + e.why());
            }
        }
    }

    /** Launcher links against records: the link is the last step of create and alias. */
    private List<Action> links(boolean act) {
        List<Action> out = new ArrayList<>();
        // alias records: a ready system's alias without its link (alias or unalias interrupted)
        for (String a : records.aliasNames()) {
            AliasRecord ar;
            try {
                ar = records.alias(a);
            } catch (VsysException e) {
                continue;
            }
            if (ar == null) {
                continue;
            }
            SystemRecord sys;
            try {
                sys = records.system(ar.system());
            } catch (VsysException e) {
                continue;
            }
            Path link = inst.link(a);
            if (sys == null && Automap.read(inst, ar.system()) != null) {
                // an alias of a system served on demand (R/etc/automap/SYSTEM): kept, its link made
                if (!Links.exists(link)) {
                    out.add(step(act, a, "alias without its launcher link (interrupted alias or unalias)", "link made",
                            () -> Links.create(link)));
                }
            } else if (sys == null) {
                if (Links.exists(link) && !Links.isOurs(link)) {
                    continue; // not ours: check reports it
                }
                out.add(step(act, a, "alias of the missing system " + ar.system(), "removed", () -> {
                    Links.removeIfOurs(link);
                    records.removeAlias(a);
                }));
            } else if (sys.state() == SystemRecord.State.READY && !Links.exists(link)) {
                out.add(step(act, a, "alias without its launcher link (interrupted alias or unalias)", "link made",
                        () -> Links.create(link)));
            }
        }
        // links of ours with no record behind them
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inst.bin())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.equals(Links.TARGET) || !Links.isOurs(p)) {
                    continue;
                }
                Matcher m = TEMP.matcher(n);
                if (m.matches()) {
                    if (!alive(m.group(2))) {
                        out.add(step(act, m.group(1), "temporary link " + p + " of an interrupted write", "removed",
                                () -> removeFile(p)));
                    }
                    continue;
                }
                // an on-demand system's link (vsys apply serves it) has its autofs entry instead
                if (Names.isValid(n) && !records.systemExists(n) && !records.aliasExists(n) && Automap.read(inst, n) == null) {
                    out.add(step(act, n, "launcher link without a record", "removed", () -> Links.removeIfOurs(p)));
                }
            }
        } catch (IOException e) {
            // no R/bin yet
        }
        return out;
    }

    /**
     * On-demand records ({@code R/etc/ondemand/NAME}) without their autofs entry: a serve killed
     * after the record and before the entry, or an unserve killed after the entry went; the
     * launcher never reads such a record (it looks for the entry first). Removed, with the empty
     * {@code R/.var/NAME/tmp}; the next apply serves the system again if it is declared.
     */
    private List<Action> onDemandRecords(boolean act) {
        List<Action> out = new ArrayList<>();
        Path rd = Automap.recordDir(inst);
        if (!Files.isDirectory(rd, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(rd)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (Names.isValid(n) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        && !Files.exists(Automap.dir(inst).resolve(n), LinkOption.NOFOLLOW_LINKS)) {
                    out.add(step(act, n, "on-demand record " + p + " without its autofs entry (an interrupted serve or unserve)",
                            "removed", () -> Automap.removeRecord(inst, n)));
                }
            }
        } catch (IOException e) {
            // unreadable: check reports it
        }
        return out;
    }

    /** Temporary record files {@code .<name>.tmp.<pid>} of a writer that died. */
    private List<Action> tempFiles(boolean act) {
        List<Action> out = new ArrayList<>();
        for (Path dir : List.of(inst.systems(), inst.aliases(), inst.stateDir(), Automap.dir(inst), Automap.recordDir(inst))) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    Matcher m = TEMP.matcher(p.getFileName().toString());
                    if (m.matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !alive(m.group(2))) {
                        out.add(step(act, m.group(1), "temporary file " + p + " of an interrupted write", "removed",
                                () -> removeFile(p)));
                    }
                }
            } catch (IOException e) {
                // unreadable: check reports the directory
            }
        }
        return out;
    }

    private static boolean alive(String pid) {
        try {
            long p = Long.parseLong(pid);
            return p != ProcessHandle.current().pid() && ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void removeFile(Path p) throws VsysException {
        try {
            AtomicFile.removeDurably(p);
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, p.toString(), "cannot remove: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    interface Step {
        void run() throws VsysException;
    }

    private static Action step(boolean act, String name, String found, String done, Step s) {
        if (!act) {
            return new Action(name, found, null, false);
        }
        try {
            s.run();
            return new Action(name, found, done, true);
        } catch (VsysException e) {
            return new Action(name, found, "FAILED: " + e.why(), false);
        }
    }
}
