package org.vsys.core;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.Names;
import org.vsys.config.RecordFile;
import org.vsys.config.SystemRecord;
import org.vsys.linux.Posix;
import org.vsys.linux.PosixException;
import org.vsys.mount.MountTable;
import org.vsys.mount.UnmountPlan;

/**
 * {@code vsys check [--repair]}: the installation (directories, the launcher's owner and mode 4755,
 * the view helper), every record (owner, mode, parse), interrupted operations (state creating or
 * destroying), filesystems and views of ready systems, mounts under R that belong to no record,
 * directories under R without a record, launcher links without records and records without links.
 * With {@code --repair} what is safe is repaired: interrupted operations are finished or undone
 * ({@link Recovery}), mounts that belong to no record are unmounted (lazily; nothing is deleted),
 * empty directories without a record are removed, links are made or removed. Lost filesystems of a
 * ready system are left to {@code vsys restore}. Everything runs under the lock.
 *
 * <p>Restricted systems (docs/DESIGN.md "Restricted systems") are checked for what would let a
 * user read a tree that is not theirs: {@code R/.private} a root-owned 0700 directory, a tree at
 * {@code R/.private/NAME} for each ready restricted record, its {@code R/.var/NAME} 0700, in the
 * kmod link mode no copy at the open {@code R/.root/.os/NAME}, and no {@code R/.private/X} without
 * a record. Those findings are {@link ExitCode#UNSAFE} (exit 15 when any is left), the others
 * {@link ExitCode#CORRUPT} (13).
 */
public final class Check {
    /** Names directly under R that are vsys's own infrastructure. */
    static final Set<String> INFRA = Set.of("bin", "etc", ".root", ".ns", ".var", ".state");

    /**
     * One finding: what is wrong, and what {@code --repair} did about it (null: nothing); code is
     * the exit status it stands for while left (UNSAFE: a restricted tree may be readable).
     */
    public record Finding(String subject, String problem, String repaired, ExitCode code) {
        public Finding(String subject, String problem, String repaired) {
            this(subject, problem, repaired, ExitCode.CORRUPT);
        }

        public String line() {
            return subject + ": " + problem + (repaired == null ? "" : "; repaired: " + repaired);
        }

        /** Left after the run (not repaired, or the repair failed). */
        public boolean left() {
            return repaired == null || repaired.startsWith("FAILED");
        }
    }

    private final Installation inst;
    private final Records records;
    private final Debug debug;

    public Check(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.debug = debug;
    }

    public List<Finding> run(boolean repair) throws VsysException {
        List<Finding> out = new ArrayList<>();
        installation(out);
        if (!Files.isDirectory(inst.etc(), LinkOption.NOFOLLOW_LINKS) || !Files.isDirectory(inst.systems(), LinkOption.NOFOLLOW_LINKS)) {
            return out; // nothing was ever made (or the layout is broken: reported above)
        }
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            if (repair) {
                for (Recovery.Action a : new Recovery(inst, debug).run()) {
                    out.add(new Finding(a.name(), a.found(), a.done()));
                }
            } else {
                for (Recovery.Action a : new Recovery(inst, debug).pending()) {
                    out.add(new Finding(a.name(), a.found(), null));
                }
            }
            recordFiles(inst.systems(), "system record", out);
            recordFiles(inst.aliases(), "alias record", out);
            systems(repair, out);
            strays(repair, out);
            restricted(repair, out);
            onDemand(repair, out);
        }
        return out;
    }

    /**
     * On-demand systems: each autofs entry has its on-demand record {@code R/etc/ondemand/NAME} as
     * the launcher wants it (else the launcher refuses the system: exit 13, {@code vsys apply}
     * writes it again), a restricted one's {@code R/.var/NAME} 0700 (15). A record without an entry
     * (left by a killed serve or unserve) is {@link Recovery}'s.
     */
    private void onDemand(boolean repair, List<Finding> out) {
        Map<String, Automap.Entry> entries = Automap.all(inst);
        for (String n : entries.keySet()) {
            String p = Automap.recordProblem(inst, n);
            if (p != null) {
                out.add(new Finding(n, "on demand, but " + p + " (vsys apply writes it)", null));
                continue;
            }
            try {
                RecordFile rf = RecordFile.read(Automap.recordFile(inst, n));
                Path var = inst.root().resolve(".var").resolve(n);
                if ((!rf.get("users", "").isEmpty() || !rf.get("groups", "").isEmpty()) && Files.exists(var, LinkOption.NOFOLLOW_LINKS)) {
                    String q = modeProblem(var, 0700);
                    if (q != null) {
                        boolean dir = Files.isDirectory(var, LinkOption.NOFOLLOW_LINKS);
                        out.add(new Finding(n, "restricted (on demand), but " + var + " (its /var/tmp's parent) " + q,
                                repair && dir ? attempt(() -> chmodRoot700(var), "made root's, mode 0700") : null, ExitCode.UNSAFE));
                    }
                }
            } catch (IOException | org.vsys.config.RecordFormatException e) {
                out.add(new Finding(n, "on demand, but its record cannot be read: " + e.getMessage(), null));
            }
        }
    }

    /** The exit status for what is left: UNSAFE before CORRUPT, OK when nothing is left. */
    public static ExitCode exitCode(List<Finding> findings) {
        ExitCode code = ExitCode.OK;
        for (Finding f : findings) {
            if (f.left()) {
                if (f.code() == ExitCode.UNSAFE) {
                    return ExitCode.UNSAFE;
                }
                code = f.code();
            }
        }
        return code;
    }

    private void installation(List<Finding> out) {
        for (Path d : List.of(inst.root(), inst.bin(), inst.etc(), inst.systems(), inst.aliases())) {
            if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                if (!d.equals(inst.systems()) && !d.equals(inst.aliases())) {
                    out.add(new Finding(d.toString(), "missing (run install.sh)", null));
                }
                continue;
            }
            String p = ownedDirProblem(d);
            if (p != null) {
                out.add(new Finding(d.toString(), p, null));
            }
        }
        Path l = inst.launcher();
        try {
            PosixFileAttributes a = Files.readAttributes(l, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(l, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(l, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                out.add(new Finding(l.toString(), "the launcher is not a regular file", null));
            } else if (uid != 0 || (mode & 07777) != 04755) {
                out.add(new Finding(l.toString(), String.format("the launcher must be owned by root with mode 4755 (is uid %d, mode %o; run install.sh)",
                        uid, mode & 07777), null));
            }
        } catch (IOException e) {
            out.add(new Finding(l.toString(), "the launcher is not installed (run install.sh)", null));
        }
        if (!new ViewHelper(inst, debug).present()) {
            out.add(new Finding(inst.viewHelper().toString(), "the view helper is missing (run install.sh)", null));
        }
        if (Files.exists(inst.conf(), LinkOption.NOFOLLOW_LINKS)) {
            String p = recordFileProblem(inst.conf());
            if (p == null) {
                try {
                    records.config();
                } catch (VsysException e) {
                    p = e.why();
                }
            }
            if (p != null) {
                out.add(new Finding(inst.conf().toString(), p, null));
            }
        }
        if (!inst.confFile().equals(inst.oldConf()) && Files.exists(inst.confFile(), LinkOption.NOFOLLOW_LINKS)
                && Files.exists(inst.oldConf(), LinkOption.NOFOLLOW_LINKS)) {
            out.add(new Finding(inst.oldConf().toString(), "ignored: " + inst.confFile()
                    + " is the configuration in use (merge what you need into it and remove this one)", null));
        }
    }

    static String ownedDirProblem(Path d) {
        try {
            PosixFileAttributes a = Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory()) {
                return "not a directory (a symlink or file is in its place)";
            }
            if (uid != 0 || a.permissions().contains(PosixFilePermission.GROUP_WRITE)
                    || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
                return "must be a directory owned by root, not group or other writable (0755)";
            }
            return null;
        } catch (IOException e) {
            return "cannot stat: " + e.getMessage();
        }
    }

    /** The launcher's rule for a record: a regular file owned by root, not group or other writable. */
    static String recordFileProblem(Path f) {
        try {
            PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return "not a regular file (the launcher refuses it)";
            }
            if (uid != 0 || a.permissions().contains(PosixFilePermission.GROUP_WRITE)
                    || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
                return "must be owned by root and not group or other writable (0644; the launcher refuses it)";
            }
            return null;
        } catch (IOException e) {
            return "cannot stat: " + e.getMessage();
        }
    }

    private void recordFiles(Path dir, String kind, List<Finding> out) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".") && n.contains(".tmp.")) {
                    continue; // a temporary file: Recovery's
                }
                if (!Names.isValid(n)) {
                    out.add(new Finding(p.toString(), "not a valid " + kind + " name; ignored by vsys and the launcher", null));
                    continue;
                }
                String problem = recordFileProblem(p);
                if (problem == null) {
                    try {
                        if (kind.equals("alias record")) {
                            AliasRecord a = records.alias(n);
                            if (a != null && !records.systemExists(a.system()) && Automap.read(inst, a.system()) == null) {
                                problem = "alias of " + a.system() + ", which does not exist";
                            }
                        } else {
                            records.system(n);
                        }
                    } catch (VsysException e) {
                        problem = e.why();
                    }
                }
                if (problem != null) {
                    out.add(new Finding(n, kind + " " + p + ": " + problem + " (left for the admin)", null));
                }
            }
        } catch (IOException e) {
            out.add(new Finding(dir.toString(), "cannot read: " + e.getMessage(), null));
        }
    }

    /** The records of the ready systems (a record that does not parse is reported with the record files). */
    private List<SystemRecord> readySystems() {
        List<SystemRecord> ready = new ArrayList<>();
        for (String n : records.systemNames()) {
            try {
                SystemRecord rec = records.system(n);
                if (rec != null && rec.state() == SystemRecord.State.READY) {
                    ready.add(rec);
                }
            } catch (VsysException e) {
                // reported with the record files
            }
        }
        return ready;
    }

    /** Ready systems: each filesystem mounted, the view prepared, the links in place. */
    private void systems(boolean repair, List<Finding> out) {
        MountTable table = MountTable.read();
        for (SystemRecord rec : readySystems()) {
            String n = rec.name();
            if (rec.restricted() && !Files.isDirectory(inst.privateDir(n), LinkOption.NOFOLLOW_LINKS)) {
                out.add(new Finding(n, "restricted (users=/groups=), but its tree " + inst.privateDir(n)
                        + (Files.exists(inst.privateDir(n), LinkOption.NOFOLLOW_LINKS) ? " is not a directory" : " is missing")
                        + " (run vsys restore)", null, ExitCode.UNSAFE));
                continue;
            }
            SystemMounts sm = new SystemMounts(inst, rec, debug);
            List<String> missing = new ArrayList<>();
            for (FsEntry fs : rec.filesystems()) {
                if (table.at(sm.target(fs).toString()) == null) {
                    missing.add(fs.path());
                }
            }
            if (!missing.isEmpty()) {
                out.add(new Finding(n, "filesystems not mounted: " + String.join(" ", missing) + " (run vsys restore)", null));
            }
            if (!table.isViewMounted(inst, n)) {
                out.add(new Finding(n, "view not prepared: no " + inst.nsFile(n) + " nor " + inst.kmodTree(n)
                        + " (run vsys restore)", null));
            }
            List<String> names = new ArrayList<>(List.of(n));
            for (AliasRecord a : records.aliasesOf(n)) {
                names.add(a.name());
            }
            for (String x : names) {
                Path link = inst.link(x);
                if (Links.isOurs(link)) {
                    continue;
                }
                if (Links.exists(link)) {
                    out.add(new Finding(x, link + " is not a symlink to 'bin' made by vsys (left alone)", null));
                } else if (x.equals(n)) { // an alias's missing link is Recovery's
                    out.add(new Finding(x, "launcher link " + link + " missing", repair ? attempt(() -> Links.create(link), "made " + link) : null));
                }
            }
        }
    }

    /** Things under R that no record accounts for: mounts, directories, ns binds. */
    private void strays(boolean repair, List<Finding> out) {
        Set<String> known = new LinkedHashSet<>(records.systemNames());
        Set<String> tops = new LinkedHashSet<>();
        String root = inst.root().toString();
        MountTable table = MountTable.read();
        for (MountTable.Mount m : table.atOrUnder(root)) {
            if (m.mountPoint().equals(root)) {
                continue;
            }
            String rest = m.mountPoint().substring(root.length() + 1);
            String top = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
            if (top.equals(".ns") && rest.contains("/")) {
                String ns = rest.substring(4);
                if (!ns.contains("/") && Names.isValid(ns) && !known.contains(ns)) {
                    out.add(new Finding(ns, "prepared view " + m.mountPoint() + " belongs to no record",
                            repair ? attempt(() -> new ViewHelper(inst, debug).run(ns, "release", ns), "released") : null));
                }
                continue;
            }
            if (top.equals("bin") || top.equals("etc")) {
                out.add(new Finding(m.mountPoint(), "something is mounted over vsys's own " + top
                        + " (" + m.fsType() + "); left for the admin", null));
                continue;
            }
            if (INFRA.contains(top) || known.contains(top) || !Names.isValid(top)) {
                continue; // vsys's own, a system's, or infrastructure of another part (.store, ...): never a system
            }
            tops.add(top);
        }
        for (String top : tops) {
            Path dir = inst.root().resolve(top);
            List<MountTable.Mount> ms = UnmountPlan.of(table, dir.toString());
            List<String> points = new ArrayList<>();
            for (MountTable.Mount m : ms) {
                points.add(m.mountPoint() + " (" + m.fsType() + ")");
            }
            out.add(new Finding(top, "mounts that belong to no record: " + String.join(", ", points),
                    repair ? attempt(() -> unmountStray(dir), "unmounted (lazily; nothing deleted)") : null));
        }
        // directories under R without a record (left by a failed rmdir or made by hand)
        MountTable now = MountTable.read();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inst.root())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (INFRA.contains(n) || known.contains(n) || !Names.isValid(n)) {
                    continue;
                }
                if (now.isMountPoint(p.toString())) {
                    continue; // still mounted: reported above (or the unmount failed); never lstat through a mount (a dead server hangs it)
                }
                if (Files.isSymbolicLink(p)) {
                    out.add(new Finding(n, p + " is a symlink that no record accounts for (left alone)", null));
                    continue;
                }
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                boolean empty;
                try (DirectoryStream<Path> inner = Files.newDirectoryStream(p)) {
                    empty = !inner.iterator().hasNext();
                } catch (IOException e) {
                    empty = false;
                }
                if (empty) {
                    out.add(new Finding(n, "empty directory " + p + " without a record",
                            repair ? attempt(() -> rmdir(p), "removed") : null));
                } else {
                    out.add(new Finding(n, "directory " + p + " without a record is not empty (left for the admin)", null));
                }
            }
        } catch (IOException e) {
            out.add(new Finding(inst.root().toString(), "cannot read: " + e.getMessage(), null));
        }
    }

    /**
     * Restricted systems: R/.private root's and 0700; no R/.private/X without a record; per ready
     * restricted record R/.var/NAME 0700 and, in the kmod link mode, no copy of the tree at the
     * open R/.root/.os/NAME (vsys-view prepare puts it behind the module's gate).
     */
    private void restricted(boolean repair, List<Finding> out) {
        Path priv = inst.privateRoot();
        MountTable table = MountTable.read();
        if (Files.exists(priv, LinkOption.NOFOLLOW_LINKS)) {
            String p = modeProblem(priv, 0700);
            if (p != null) {
                boolean dir = Files.isDirectory(priv, LinkOption.NOFOLLOW_LINKS);
                out.add(new Finding(priv.toString(), p + ": the restricted systems' trees are not out of reach",
                        repair && dir ? attempt(() -> chmodRoot700(priv), "made root's, mode 0700") : null, ExitCode.UNSAFE));
            }
            Set<String> known = new LinkedHashSet<>(records.systemNames());
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(priv)) {
                for (Path x : ds) {
                    String n = x.getFileName().toString();
                    if (known.contains(n) || x.equals(Automap.privateMountPoint(inst))) {
                        continue; // R/.private/.auto: the restricted on-demand systems' autofs mount
                    }
                    if (table.isMountPoint(x.toString()) || !table.atOrUnder(x.toString()).isEmpty()) {
                        out.add(new Finding(n, "restricted tree " + x + " belongs to no record (mounted)",
                                repair ? attempt(() -> new SystemMounts(inst, n, debug).unmountAll(x.toString(), true),
                                        "unmounted (lazily; nothing deleted)") : null, ExitCode.UNSAFE));
                    } else {
                        boolean empty = Files.isDirectory(x, LinkOption.NOFOLLOW_LINKS) && isEmpty(x);
                        out.add(new Finding(n, "restricted tree " + x + " belongs to no record"
                                + (empty ? " (empty)" : " (not empty: left for the admin)"),
                                repair && empty ? attempt(() -> rmdir(x), "removed") : null, ExitCode.UNSAFE));
                    }
                }
            } catch (IOException e) {
                out.add(new Finding(priv.toString(), "cannot read: " + e.getMessage(), null, ExitCode.UNSAFE));
            }
        }
        for (SystemRecord rec : readySystems()) {
            String n = rec.name();
            if (!rec.restricted()) {
                continue;
            }
            Path var = inst.root().resolve(".var").resolve(n);
            if (Files.exists(var, LinkOption.NOFOLLOW_LINKS)) {
                String p = modeProblem(var, 0700);
                if (p != null) {
                    boolean dir = Files.isDirectory(var, LinkOption.NOFOLLOW_LINKS);
                    out.add(new Finding(n, "restricted, but " + var + " (its /var/tmp's parent) " + p,
                            repair && dir ? attempt(() -> chmodRoot700(var), "made root's, mode 0700") : null, ExitCode.UNSAFE));
                }
            }
            Path open = inst.root().resolve(".root").resolve(".os").resolve(n);
            if (table.isMountPoint(open.toString())) {
                out.add(new Finding(n, "restricted, but its tree is mounted at " + open
                        + ", where every user reads it (kmod link mode: prepared before users=/groups= were set)",
                        repair ? attempt(() -> new ViewHelper(inst, debug).run(n, "prepare", n), "prepared again behind the gate") : null,
                        ExitCode.UNSAFE));
            }
        }
    }

    /** Null if d is a directory owned by root with exactly the given mode, else what it is. */
    static String modeProblem(Path d, int mode) {
        try {
            PosixFileAttributes a = Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int m = (Integer) Files.getAttribute(d, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
            if (!a.isDirectory()) {
                return "is not a directory (a symlink or file is in its place)";
            }
            if (uid != 0 || m != mode) {
                return String.format("must be owned by root with mode %o (is uid %d, mode %o)", mode, uid, m);
            }
            return null;
        } catch (IOException e) {
            return "cannot stat: " + e.getMessage();
        }
    }

    private static boolean isEmpty(Path d) {
        try (DirectoryStream<Path> inner = Files.newDirectoryStream(d)) {
            return !inner.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /** Root's, 0700 (d was just seen to be a directory, not a symlink, in root's R). */
    private static void chmodRoot700(Path d) throws VsysException {
        try {
            Files.setAttribute(d, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(d, "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(d, java.util.EnumSet.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
        } catch (IOException | UnsupportedOperationException e) {
            throw new VsysException(ExitCode.INTERNAL, d.toString(), "chown/chmod failed: " + e.getMessage(), e);
        }
    }

    private void unmountStray(Path dir) throws VsysException {
        new SystemMounts(inst, dir.getFileName().toString(), debug).unmountAll(dir.toString(), true);
    }

    private static void rmdir(Path p) throws VsysException {
        try {
            Posix.get().rmdir(p.toString());
        } catch (PosixException e) {
            throw new VsysException(ExitCode.INTERNAL, p.toString(), "rmdir failed: " + e.reason(), e);
        }
    }

    @FunctionalInterface
    interface Step {
        void run() throws VsysException;
    }

    /** Runs a repair; returns what was done, or "FAILED: why" (the finding stays). */
    private static String attempt(Step s, String done) {
        try {
            s.run();
            return done;
        } catch (VsysException e) {
            return "FAILED: " + e.why();
        }
    }
}
