package org.vsys.apply;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.vsys.config.AliasRecord;
import org.vsys.core.Automap;
import org.vsys.config.FsEntry;
import org.vsys.config.SystemRecord;
import org.vsys.core.Create;
import org.vsys.base.Debug;
import org.vsys.config.Installation;
import org.vsys.core.Links;
import org.vsys.core.Records;
import org.vsys.core.SystemMounts;
import org.vsys.base.VsysException;
import org.vsys.mount.MountTable;

/**
 * What {@code vsys apply} will do: the declarations against the records and the mount table, one
 * {@link Step} per system or alias. Computing it touches nothing (it is {@code --dry-run}).
 */
public final class Plan {

    /** What happens to a system or an alias. */
    public enum Kind {
        /** declared, no record: create it. */
        CREATE,
        /** declared and recorded as declared, a filesystem, the view or the link is missing: restore it. */
        REMOUNT,
        /** the record differs from the declaration: rewrite the record, or take the system down and create it again. */
        CHANGE,
        /** recorded as declared, no longer declared: destroy it (refused while in use). */
        REMOVE,
        /** declared and as declared: nothing to do. */
        LEAVE,
        /** a declared alias without its record: make it. */
        ALIAS,
        /** an alias recorded as declared, no longer declared: remove it. */
        UNALIAS,
        /** a record left by an interrupted operation: finished or undone first (only seen by --dry-run). */
        RECOVER,
        /** declared, but it cannot be applied (a name clash, a corrupt record): left as it is. */
        CONFLICT,
        /** declared on demand, its autofs entry missing or different: write it ({@link OnDemand}). */
        SERVE,
        /** an autofs entry written from this directory, no longer declared on demand: remove it. */
        UNSERVE;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One step. {@code desired} is the record to make (CREATE, CHANGE); {@code recreate} says a
     * CHANGE takes the system down and creates it again (its filesystems or setuid differ);
     * {@code system} is the system of an ALIAS or UNALIAS, the autofs map entry of a SERVE.
     */
    public record Step(Kind kind, String name, String detail, SystemRecord desired, SystemRecord current,
            boolean recreate, String system, int timeoutSeconds) {
    }

    private final List<Step> steps;
    private final List<String> problems;

    Plan(List<Step> steps, List<String> problems) {
        this.steps = steps;
        this.problems = problems;
    }

    public List<Step> steps() {
        return steps;
    }

    /** Bad declarations and declarations that cannot be checked, one {@code FILE:LINE: problem} each. */
    public List<String> problems() {
        return problems;
    }

    /** True if nothing is to be done (every step is LEAVE). */
    public boolean nothingToDo() {
        return steps.stream().allMatch(s -> s.kind() == Kind.LEAVE) && problems.isEmpty();
    }

    /** The plan for {@code decls} against the installation as it is now. */
    public static Plan compute(Installation inst, Declarations decls, Debug debug) {
        return compute(inst, new Records(inst), decls, debug);
    }

    /** {@link #compute(Installation, Declarations, Debug)} reading the records through {@code records}. */
    public static Plan compute(Installation inst, Records records, Declarations decls, Debug debug) {
        MountTable table = MountTable.read();
        Set<String> mountPoints = new HashSet<>(table.mounts().size() * 2);
        for (MountTable.Mount m : table.mounts()) {
            mountPoints.add(m.mountPoint());
        }
        List<Step> steps = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Declaration.Problem p : decls.problems()) {
            problems.add(p.getMessage());
        }
        Create create = new Create(inst, debug);
        Map<String, List<AliasRecord>> aliasesBySystem = aliasesBySystem(records);
        Set<String> declaredNames = new HashSet<>();
        String origin = SystemRecord.declaredIn(decls.dir().toString());
        List<Declaration> all = decls.declared();
        // each declaration against its record on its own (reads and the source checks), on every
        // core; the steps then in declaration order
        @SuppressWarnings("unchecked")
        List<Step>[] stepsOf = new List[all.size()];
        String[] problemOf = new String[all.size()];
        Map<String, Automap.Entry> served = OnDemand.served(inst);
        java.util.stream.IntStream.range(0, all.size()).parallel().forEach(i -> {
            List<Step> out = new ArrayList<>(2);
            Declaration d = all.get(i);
            problemOf[i] = d.autofsEntry() != null
                    ? onDemand(inst, records, d, origin, served.get(d.name()), aliasesBySystem, table, out)
                    : one(inst, records, create, d, origin, mountPoints, aliasesBySystem, out);
            stepsOf[i] = out;
        });
        for (int i = 0; i < all.size(); i++) {
            declaredNames.add(all.get(i).name());
            steps.addAll(stepsOf[i]);
            if (problemOf[i] != null) {
                problems.add(problemOf[i]);
            }
        }
        // declared here before, no longer declared (a bad file keeps its system: only a missing file
        // removes; systems declared in another directory or made by hand are not this plan's)
        for (String n : records.systemNames()) {
            if (declaredNames.contains(n) || decls.mentions(n)) {
                continue;
            }
            SystemRecord rec;
            try {
                rec = records.system(n);
            } catch (VsysException e) {
                continue; // corrupt: vsys check's to report; never removed on a guess
            }
            if (rec != null && origin.equals(rec.origin())) {
                steps.add(new Step(Kind.REMOVE, n, "no longer declared in " + decls.dir(), null, rec, false, null, 10));
            }
        }
        for (Automap.Entry e : served.values()) {
            if (origin.equals(e.origin()) && !decls.mentions(e.name())) {
                steps.add(new Step(Kind.UNSERVE, e.name(), "no longer declared in " + decls.dir()
                        + (Automap.mounted(table, inst, e.name()) ? " (mounted by autofs: unmounted unless in use)" : ""),
                        null, null, false, null, 10));
            }
        }
        return new Plan(steps, problems);
    }

    /**
     * The steps of an on-demand declaration: its autofs entry written, or left (a record of the
     * name first removed if ours), then its aliases as for an eager system (alias records naming it).
     */
    private static String onDemand(Installation inst, Records records, Declaration d, String origin, Automap.Entry have,
            Map<String, List<AliasRecord>> aliasesBySystem, MountTable table, List<Step> steps) {
        String name = d.name();
        int timeout = d.request().timeoutSeconds;
        try {
            SystemRecord rec = records.system(name);
            AliasRecord ar = rec == null ? records.alias(name) : null;
            if (rec != null && origin.equals(rec.origin())) {
                steps.add(new Step(Kind.REMOVE, name, "declared on demand now: the eager system is taken down", null, rec,
                        false, null, timeout));
            } else if (rec != null || ar != null) {
                steps.add(new Step(Kind.CONFLICT, name, "the name is taken by a " + (rec != null ? "system" : "alias")
                        + " not declared here; not served on demand", null, null, false, null, timeout));
                return null;
            }
        } catch (VsysException e) {
            steps.add(new Step(Kind.CONFLICT, name, e.why() + "; left as it is (vsys check)", null, null, false, null, timeout));
            return null;
        }
        if (have != null && !origin.equals(have.origin())) {
            steps.add(new Step(Kind.CONFLICT, name, "served on demand from " + have.origin() + "; left", null, null, false,
                    null, timeout));
            return null;
        }
        boolean restricted = !d.request().users.isEmpty() || !d.request().groups.isEmpty();
        boolean entryAsDeclared = have != null && have.entry().equals(d.autofsEntry()) && d.request().source.equals(have.source())
                && have.restricted() == restricted;
        boolean recordAsDeclared = java.util.Arrays.equals(readOrNull(Automap.recordFile(inst, name)), OnDemand.record(d, origin))
                && safeRecord(Automap.recordFile(inst, name))
                && Files.isDirectory(inst.root().resolve(".var").resolve(name).resolve("tmp"), LinkOption.NOFOLLOW_LINKS);
        // mounted at the place it had before users=/groups= changed (a busy one was left there)
        String old = (restricted ? Automap.mountPoint(inst) : Automap.privateMountPoint(inst)).resolve(name).toString();
        boolean stray = table.atOrUnder(old).stream().anyMatch(m -> !m.fsType().equals("autofs"));
        if (entryAsDeclared && recordAsDeclared && !stray && Links.isOurs(inst.link(name))) {
            steps.add(new Step(Kind.LEAVE, name, "on demand, as declared", null, null, false, null, timeout));
        } else {
            steps.add(new Step(Kind.SERVE, name, (have == null ? "on demand (autofs): "
                    : !entryAsDeclared ? "on demand, entry changed: " : !recordAsDeclared ? "on demand, record changed: "
                    : stray ? "on demand, still mounted at " + old + ": " : "on demand, link missing: ") + d.autofsEntry(), null, null, false, d.autofsEntry(), timeout));
        }
        aliases(inst, records, d, origin, null, aliasesBySystem, steps);
        return null;
    }

    /** Whether the on-demand record is one the launcher takes (root's regular file, not group/other writable). */
    private static boolean safeRecord(Path p) {
        try {
            return Automap.recordFileProblem(p) == null;
        } catch (IOException e) {
            return false;
        }
    }

    /** The bytes of a file, or null when it cannot be read (absent). */
    private static byte[] readOrNull(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return null;
        }
    }

    /** The steps of one declaration into {@code steps}; returns its problem, or null. */
    private static String one(Installation inst, Records records, Create create, Declaration d, String origin,
            Set<String> mountPoints, Map<String, List<AliasRecord>> aliasesBySystem, List<Step> steps) {
        String name = d.name();
        int timeout = d.request().timeoutSeconds;
        SystemRecord desired;
        try {
            desired = create.desired(d.request()).withOrigin(origin);
        } catch (VsysException e) {
            return d.locate(e) + e.what() + ": " + e.why();
        }
        SystemRecord current;
        AliasRecord asAlias;
        try {
            current = records.system(name);
            asAlias = current == null ? records.alias(name) : null;
        } catch (VsysException e) {
            steps.add(new Step(Kind.CONFLICT, name, e.why() + "; left as it is (vsys check)", null, null, false, null, timeout));
            return null;
        }
        if (asAlias != null) {
            steps.add(new Step(Kind.CONFLICT, name, "is an alias of " + asAlias.system() + "; not created", null, null,
                    false, null, timeout));
            return null;
        }
        if (current == null) {
            steps.add(new Step(Kind.CREATE, name, "/ <- " + desired.root().source(), desired, null, false, null, timeout));
        } else if (current.state() != SystemRecord.State.READY) {
            steps.add(new Step(Kind.RECOVER, name, "interrupted " + (current.state() == SystemRecord.State.CREATING
                    ? "create: rolled back, then created" : "destroy: completed, then created"), desired, current,
                    false, null, timeout));
        } else {
            List<String> mountDiff = mountDifferences(current, desired);
            List<String> accessDiff = accessDifferences(current, desired);
            if (!mountDiff.isEmpty()) {
                steps.add(new Step(Kind.CHANGE, name, String.join("; ", mountDiff) + " (taken down and created again)",
                        desired, current, true, null, timeout));
            } else if (!accessDiff.isEmpty()) {
                steps.add(new Step(Kind.CHANGE, name, String.join("; ", accessDiff), desired, current, false, null, timeout));
            } else {
                String missing = missing(inst, current, mountPoints);
                steps.add(missing == null ? new Step(Kind.LEAVE, name, "as declared", null, current, false, null, timeout)
                        : new Step(Kind.REMOUNT, name, missing, null, current, false, null, timeout));
            }
        }
        aliases(inst, records, d, origin, current, aliasesBySystem, steps);
        return null;
    }

    /**
     * The alias steps of declaration {@code d}: the declared aliases made, those recorded as
     * declared here and no longer declared removed. {@code current} is the system's record (null
     * for an on-demand system: it has no launcher link of its own to restore).
     */
    private static void aliases(Installation inst, Records records, Declaration d, String origin, SystemRecord current,
            Map<String, List<AliasRecord>> aliasesBySystem, List<Step> steps) {
        String name = d.name();
        int timeout = d.request().timeoutSeconds;
        List<AliasRecord> have = aliasesBySystem.getOrDefault(name, List.of());
        for (String a : d.aliases()) {
            AliasRecord ar = null;
            boolean clash = false;
            try {
                ar = records.alias(a);
                clash = ar == null && records.systemExists(a);
            } catch (VsysException e) {
                clash = true;
            }
            if (clash) {
                steps.add(new Step(Kind.CONFLICT, a, "alias of " + name + ": the name is taken by a system or a bad record",
                        null, null, false, name, timeout));
            } else if (ar == null) {
                steps.add(new Step(Kind.ALIAS, a, "-> " + name, null, null, false, name, timeout));
            } else if (!ar.system().equals(name)) {
                steps.add(new Step(Kind.CONFLICT, a, "alias of " + name + ": is an alias of " + ar.system(), null, null,
                        false, name, timeout));
            } else if (!Links.isOurs(inst.link(a)) && current != null) {
                steps.add(new Step(Kind.REMOUNT, name, "alias link " + inst.link(a) + " missing", null, current, false,
                        null, timeout));
            }
        }
        for (AliasRecord ar : have) {
            if (origin.equals(ar.origin()) && !d.aliases().contains(ar.name())) {
                steps.add(new Step(Kind.UNALIAS, ar.name(), "-> " + name + " no longer declared", null, null, false, name,
                        timeout));
            }
        }
    }

    private static Map<String, List<AliasRecord>> aliasesBySystem(Records records) {
        Map<String, List<AliasRecord>> out = new java.util.HashMap<>();
        for (String a : records.aliasNames()) {
            try {
                AliasRecord r = records.alias(a);
                if (r != null) {
                    out.computeIfAbsent(r.system(), k -> new ArrayList<>()).add(r);
                }
            } catch (VsysException e) {
                // corrupt alias records are vsys check's to report
            }
        }
        return out;
}

    /** What differs in what is mounted (filesystems, their sources and options, setuid): needs a new create. */
    static List<String> mountDifferences(SystemRecord current, SystemRecord desired) {
        List<String> out = new ArrayList<>();
        List<FsEntry> a = current.filesystems();
        List<FsEntry> b = desired.filesystems();
        Map<String, FsEntry> byPath = new java.util.LinkedHashMap<>();
        for (FsEntry f : a) {
            byPath.put(f.path(), f);
        }
        for (FsEntry f : b) {
            FsEntry old = byPath.remove(f.path());
            if (old == null) {
                out.add("mount " + f.path() + " <- " + f.source() + " added");
            } else if (!old.source().toString().equals(f.source().toString())) {
                out.add("source of " + f.path() + ": " + old.source() + " -> " + f.source());
            } else if (!old.options().equals(f.options())) {
                out.add("options of " + f.path() + ": " + String.join(",", old.options()) + " -> " + String.join(",", f.options()));
            }
        }
        for (FsEntry f : byPath.values()) {
            out.add("mount " + f.path() + " removed");
        }
        if (out.isEmpty() && !a.stream().map(FsEntry::path).toList().equals(b.stream().map(FsEntry::path).toList())) {
            out.add("mount order changed");
        }
        if (current.setuid() != desired.setuid()) {
            out.add("setuid: " + yesNo(current.setuid()) + " -> " + yesNo(desired.setuid()));
        }
        return out;
}

    /** What only the launcher reads (a new record is enough), and whether the record says it was declared. */
    static List<String> accessDifferences(SystemRecord current, SystemRecord desired) {
        List<String> out = new ArrayList<>();
        diff(out, "users", current.users(), desired.users());
        diff(out, "groups", current.groups(), desired.groups());
        diff(out, "cwd_fallback", yesNo(current.cwdFallback()), yesNo(desired.cwdFallback()));
        diff(out, "hostfiles", current.hostfiles(), desired.hostfiles());
        diff(out, "layer", current.session() ? "session" : "none", desired.session() ? "session" : "none");
        if (!current.declared()) {
            out.add("made by hand: now declared (origin=" + desired.origin() + ")");
        } else if (!current.origin().equals(desired.origin())) {
            out.add("origin: " + current.origin() + " -> " + desired.origin());
        }
        return out;
}

    private static void diff(List<String> out, String key, String a, String b) {
        if (!Objects.equals(a, b)) {
            out.add(key + ": '" + a + "' -> '" + b + "'");
        }
}

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
}

    /** What of a recorded system is not there (from the mount table and names only), or null. */
    static String missing(Installation inst, SystemRecord rec, Set<String> mountPoints) {
        SystemMounts sm = new SystemMounts(inst, rec, Debug.off());
        List<String> gone = new ArrayList<>();
        for (FsEntry fs : rec.filesystems()) {
            if (!mountPoints.contains(sm.target(fs).toString())) {
                gone.add(fs.path());
            }
        }
        if (!gone.isEmpty()) {
            return "not mounted: " + String.join(" ", gone);
        }
        if (!mountPoints.contains(inst.nsFile(rec.name()).toString()) && !mountPoints.contains(inst.kmodTree(rec.name()).toString())) {
            return "view not prepared";
        }
        if (!Links.isOurs(inst.link(rec.name()))) {
            return "launcher link " + inst.link(rec.name()) + " missing";
        }
        return null;
    }
}
