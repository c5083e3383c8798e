package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.FsEntry;
import org.vsys.config.GlobalConfig;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.Names;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountContext;
import org.vsys.mount.MountTable;
import org.vsys.mount.NfsTransport;
import org.vsys.mount.Transport;

/**
 * {@code vsys create}: validate everything, then under the lock write the record (creating), make
 * {@code R/<name>}, mount each filesystem in order, prepare the view, make the launcher link and
 * mark the record ready. Any failure undoes the steps done so far, in reverse.
 */
public final class Create {
    private final Installation inst;
    private final Records records;
    private final Debug debug;

    private final Set<String> checkedSources = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** vsys.conf, read once per Create (an apply plans and creates many systems with one). */
    private volatile GlobalConfig config;

    private GlobalConfig config() throws VsysException {
        GlobalConfig c = config;
        if (c == null) {
            c = records.config();
            config = c;
        }
        return c;
    }

    public Create(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.debug = debug;
    }

    /** An undo step of a half-made system. */
    @FunctionalInterface
    interface Undo {
        void run() throws VsysException;
    }

    private static VsysException usage(String what, String why) {
        return new VsysException(ExitCode.USAGE, what, why);
    }

    private static VsysException bad(String what, String why) {
        return new VsysException(ExitCode.BAD_SOURCE, what, why);
    }

    /** Refuses a name that is taken in any way: record, alias, directory or link (exit 4). */
    void checkFree(String name) throws VsysException {
        if (records.systemExists(name)) {
            throw new VsysException(ExitCode.EXISTS, name, "a system of this name exists");
        }
        if (records.aliasExists(name)) {
            throw new VsysException(ExitCode.EXISTS, name, "an alias of this name exists");
        }
        if (Files.exists(inst.systemDir(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new VsysException(ExitCode.EXISTS, name, inst.systemDir(name) + " exists");
        }
        if (Files.exists(inst.link(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new VsysException(ExitCode.EXISTS, name, inst.link(name) + " exists");
        }
    }

    /**
     * True if {@code name}'s record is the leftover of an interrupted create or destroy: the locked
     * phase recovers it first ({@link Recovery}) and then checks the name again.
     */
    private boolean interrupted(String name) {
        try {
            SystemRecord old = records.system(name);
            return old != null && old.state() != SystemRecord.State.READY;
        } catch (VsysException e) {
            return false;
        }
    }

    private static String[] split(String item, String option) throws VsysException {
        int eq = item.indexOf('=');
        if (eq <= 0 || eq == item.length() - 1) {
            throw usage(option + " " + Names.display(item), "expected PATH=VALUE");
        }
        return new String[] {item.substring(0, eq), item.substring(eq + 1)};
    }

    private static boolean localOnly(String path) {
        for (String l : SystemRecord.LOCAL_ONLY) {
            if (path.equals(l) || path.startsWith(l + "/")) {
                return true;
            }
        }
        return false;
    }

    private static String checkFile(String file, String option) throws VsysException {
        if (file == null) {
            return null;
        }
        if (!file.startsWith("/") || file.indexOf(',') >= 0 || file.chars().anyMatch(c -> c <= ' ')) {
            throw bad(option + " " + Names.display(file), "must be an absolute path without spaces or commas");
        }
        if (!Files.isRegularFile(Path.of(file))) {
            throw bad(option + " " + Names.display(file), "no such file");
        }
        return file;
    }

    /**
     * The persistent layer asked for: null for none and for session (a session layer is the
     * launcher's, per entry: nothing to mount); generation {@code live.1} over the mounted source.
     */
    static SystemRecord.LayerSpec layerOf(CreateRequest r) throws VsysException {
        String mode = r.layer == null ? "none" : r.layer;
        if (!mode.equals("none") && !mode.equals("persistent") && !mode.equals("session")) {
            throw usage("--layer " + Names.display(mode), "expected none, persistent or session");
        }
        if (!mode.equals("persistent")) {
            if (!r.merge.isEmpty()) {
                throw usage("--merge", "only applies with --layer persistent");
            }
            return null;
        }
        List<String> merge = r.merge.isEmpty() ? SystemRecord.LayerSpec.DEFAULT_MERGE : r.merge;
        String p = SystemRecord.LayerSpec.mergeProblem(merge);
        if (p != null) {
            throw usage("--merge", p);
        }
        return new SystemRecord.LayerSpec("live.1", null, merge, null);
    }

    MountContext context(String name, GlobalConfig cfg, int timeout) {
        return new MountContext(name, inst, cfg, timeout, debug);
    }

    /** Validates a request and turns it into the record to write. Touches nothing on disk. */
    public SystemRecord plan(CreateRequest r) throws VsysException {
        return plan(r, true);
    }

    /**
     * The record a request calls for, validated as for a create (sources checked), but whether
     * the name is free is not looked at: what {@code vsys apply} compares with the record there.
     */
    public SystemRecord desired(CreateRequest r) throws VsysException {
        return plan(r, false);
    }

    private SystemRecord plan(CreateRequest r, boolean mustBeFree) throws VsysException {
        String name = Names.check(r.name);
        if (r.timeoutSeconds < 1 || r.timeoutSeconds > 3600) {
            throw usage("--timeout", "must be between 1 and 3600 seconds");
        }
        GlobalConfig cfg = config();
        MountContext ctx = context(name, cfg, r.timeoutSeconds);

        // cheap checks of every option first
        String identity = checkFile(r.identity, "--identity");
        String knownHosts = checkFile(r.knownHosts, "--known-hosts");
        if (r.nfsVersion != null && !r.nfsVersion.matches("[234](\\.[0-9])?")) {
            throw bad("--nfs-version " + Names.display(r.nfsVersion), "expected 3, 4, 4.0, 4.1 or 4.2");
        }
        String hostfiles = r.hostfiles == null ? SystemRecord.DEFAULT_HOSTFILES : r.hostfiles;
        String p = SystemRecord.hostfilesProblem(hostfiles);
        if (p != null) {
            throw bad("--hostfiles", p);
        }
        for (String[] l : new String[][] {{"--users", r.users}, {"--groups", r.groups}}) {
            p = SystemRecord.listProblem(l[1] == null ? "" : l[1]);
            if (p != null) {
                throw bad(l[0], p);
            }
        }
        Map<String, SourceUrl> items = new LinkedHashMap<>();
        List<String[]> extra = new ArrayList<>();
        SystemRecord.LayerSpec layer = layerOf(r);
        for (String m : r.mounts) {
            String[] kv = split(m, "--mount");
            String path = SourceUrl.systemPath(kv[0]);
            if (path.equals("/")) {
                throw usage("--mount " + Names.display(m), "the root filesystem is SOURCE, not --mount");
            }
            if (localOnly(path)) {
                throw bad("--mount " + Names.display(m), path + " is never taken from a remote (the local one is used)");
            }
            extra.add(new String[] {path, kv[1]});
        }
        Map<String, List<String>> perPath = new LinkedHashMap<>();
        for (String o : r.options) {
            String[] kv = split(o, "--options");
            String path = SourceUrl.systemPath(kv[0]);
            List<String> list = perPath.computeIfAbsent(path, k -> new ArrayList<>());
            for (String item : kv[1].split(",", -1)) {
                if (item.equals("ro") || item.equals("rw") || item.equals("suid") || item.equals("dev")) {
                    throw usage("--options " + Names.display(o), "use --ro, --rw, --suid, --dev for " + item);
                }
                list.add(item);
            }
        }
        Set<String> ro = new HashSet<>();
        Set<String> rw = new HashSet<>();
        for (String x : r.readOnly) {
            ro.add(SourceUrl.systemPath(x));
        }
        for (String x : r.readWrite) {
            String path = SourceUrl.systemPath(x);
            if (ro.contains(path)) {
                throw usage(path, "given both --ro and --rw");
            }
            rw.add(path);
        }
        if (r.source != null && !r.exclude.isEmpty()) {
            throw usage("--exclude", "only applies with no SOURCE (the NFS default mode)");
        }
        SourceUrl rootSource = r.source == null ? null : SourceUrl.parse(r.source);
        List<SourceUrl> extraSources = new ArrayList<>();
        for (String[] e : extra) {
            extraSources.add(SourceUrl.parse(e[1]));
        }
        if (mustBeFree && !interrupted(name)) {
            checkFree(name); // again under the lock
        }

        // the NFS default mode: the server's own export list (kernel checked first)
        if (rootSource == null) {
            if (!SourceUrl.validHost(name)) {
                throw bad(name, "not a host name; give a SOURCE");
            }
            NfsTransport.checkSupport(name);
            List<String> exports = NfsTransport.exports(name, ctx);
            debug.line(name + " exports " + exports);
            if (!exports.contains("/")) {
                throw bad(name, "exports no '/' (exports: " + (exports.isEmpty() ? "none" : String.join(" ", exports))
                        + "); give a SOURCE such as nfs://" + name + "/PATH");
            }
            Set<String> excluded = new HashSet<>();
            for (String x : r.exclude) {
                String path = SourceUrl.systemPath(x);
                if (!exports.contains(path)) {
                    throw bad("--exclude " + path, name + " does not export it");
                }
                excluded.add(path);
            }
            items.put("/", SourceUrl.nfs(name, "/"));
            for (String e : exports) {
                if (!e.equals("/") && !excluded.contains(e) && !localOnly(e)) {
                    items.put(e, SourceUrl.nfs(name, e));
                }
            }
        } else {
            items.put("/", rootSource);
        }
        for (int i = 0; i < extra.size(); i++) {
            String path = extra.get(i)[0];
            if (items.containsKey(path)) {
                throw bad("--mount " + path, "a filesystem is already mounted there");
            }
            items.put(path, extraSources.get(i));
        }
        for (String path : ro) {
            if (!items.containsKey(path)) {
                throw bad("--ro " + path, "no filesystem is mounted there");
            }
        }
        for (String path : rw) {
            if (!items.containsKey(path)) {
                throw bad("--rw " + path, "no filesystem is mounted there");
            }
        }
        for (String path : perPath.keySet()) {
            if (!items.containsKey(path)) {
                throw bad("--options " + path, "no filesystem is mounted there");
            }
        }

        List<FsEntry> fss = new ArrayList<>();
        for (Map.Entry<String, SourceUrl> e : items.entrySet()) {
            String path = e.getKey();
            SourceUrl src = e.getValue();
            List<String> opts = new ArrayList<>();
            boolean readOnly = ro.contains(path) || (path.equals("/") && !rw.contains(path));
            opts.add(readOnly ? "ro" : "rw");
            if (r.suid) {
                opts.add("suid");
            }
            if (r.dev) {
                opts.add("dev");
            }
            List<String> own = perPath.getOrDefault(path, List.of());
            switch (src.kind()) {
                case NFS:
                    if (r.nfsVersion != null && own.stream().noneMatch(o -> o.startsWith("vers=") || o.startsWith("nfsvers="))) {
                        opts.add("vers=" + r.nfsVersion);
                    }
                    break;
                case SSH:
                    if (identity != null) {
                        opts.add("identity=" + identity);
                    }
                    if (knownHosts != null) {
                        opts.add("known_hosts=" + knownHosts);
                    }
                    break;
                default:
                    if (!own.isEmpty()) {
                        throw bad("--options " + path, "a local tree takes no transport options");
                    }
            }
            opts.addAll(own);
            p = FsEntry.optionsProblem(opts);
            if (p != null) {
                throw bad("--options " + path, p);
            }
            fss.add(new FsEntry(path, src, opts));
        }
        // parents before children: "/" first, then by depth (stable)
        List<FsEntry> nested = new ArrayList<>(fss.subList(1, fss.size()));
        nested.sort(Comparator.comparingInt(f -> f.path().split("/").length));
        List<FsEntry> ordered = new ArrayList<>();
        ordered.add(fss.get(0));
        ordered.addAll(nested);
        p = SystemRecord.filesystemsProblem(ordered);
        if (p != null) {
            throw bad(name, p);
        }
        for (FsEntry fs : ordered) {
            // a source checked once by this Create is not checked again (an apply of 1000 systems
            // from a few trees or servers: a few path resolutions and host look-ups, not 1000)
            if (!checkedSources.contains(fs.value())) {
                Transport.of(fs.source().kind()).check(fs, ctx);
                checkedSources.add(fs.value());
            }
        }
        return new SystemRecord(name, SystemRecord.State.CREATING, SystemRecord.now(), ordered, r.suid,
                r.users == null ? "" : r.users, r.groups == null ? "" : r.groups, r.cwdFallback, hostfiles, null, null, layer,
                "session".equals(r.layer));
    }

    /** Creates the system; returns its record (state ready). */
    public SystemRecord run(CreateRequest r) throws VsysException {
        SystemRecord rec = plan(r);
        String name = rec.name();
        new ViewHelper(inst, debug).requirePresent(name);
        records.ensureLayout();
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            Recovery.atStart(inst, debug);
            return createLocked(rec, r.timeoutSeconds, true);
        }
    }

    /**
     * Creates the system of {@code rec} (from {@link #plan} or {@link #desired}) under the lock the
     * caller holds, with every step and undo of {@link #run}. Without {@code sharedUp} the caller
     * has brought the shared tree up already (several creates at once in one process).
     */
    public SystemRecord createLocked(SystemRecord rec, int timeoutSeconds, boolean sharedUp) throws VsysException {
        String name = rec.name();
        ViewHelper view = new ViewHelper(inst, debug);
        MountContext ctx = context(name, config(), timeoutSeconds);
        SystemMounts mounts = new SystemMounts(inst, rec, debug);
        Layer layer = new Layer(inst, name);
        {
            checkFree(name);
            Deque<Undo> undo = new ArrayDeque<>();
            try {
                Steps.reach("create.start");
                records.write(rec);
                undo.push(() -> records.removeSystem(name));
                Steps.reach("create.record");
                Path dir = mounts.dir();
                mounts.makeDir();
                undo.push(mounts::removeDir);
                Steps.reach("create.dir");
                Map<String, Long> helpers = new LinkedHashMap<>();
                if (rec.layered() && !Files.exists(layer.home(), LinkOption.NOFOLLOW_LINKS)) {
                    undo.push(() -> layer.removeEmptyGeneration(rec.layer().gen())); // after the unmounts below
                }
                undo.push(() -> {
                    mounts.unmountAll(dir.toString(), true);
                    if (rec.layered()) {
                        mounts.unmountAll(layer.lowerMount().toString(), true);
                        layer.removeLowerMount();
                    }
                    mounts.stopHelpers();
                    mounts.writeHelpers(Map.of());
                });
                for (FsEntry fs : rec.filesystems()) {
                    if (!fs.path().equals("/")) {
                        mounts.checkMountPoint(fs);
                    } else if (rec.layered()) {
                        layer.makeLowerMount();
                    }
                    Path target = mounts.target(fs);
                    long pid = Transport.of(fs.source().kind()).mount(fs, target, ctx);
                    if (pid > 0) {
                        helpers.put(target.toString(), pid);
                        mounts.writeHelpers(helpers);
                    }
                    if (fs.path().equals("/") && rec.layered()) {
                        layer.mount(rec, debug); // the file systems below / go on the overlay
                        Steps.reach("create.layer");
                    }
                    Steps.reach("create.mounted");
                }
                undo.push(() -> {
                    if (MountTable.read().isPrepared(inst, name)) {
                        view.run(name, "release", name);
                    }
                    mounts.removeLocalTmpIfEmpty();
                    // (a caller that brought the shared tree up for several creates takes it down itself)
                    if (sharedUp && records.systemNames().stream().allMatch(n -> n.equals(name)) && Automap.all(inst).isEmpty()) {
                        view.run(name, "shared-down");
                    }
                });
                if (sharedUp) {
                    view.run(name, "shared-up");
                }
                view.run(name, "prepare", name);
                Steps.reach("create.prepared");
                Links.create(inst.link(name));
                undo.push(() -> Links.removeIfOurs(inst.link(name)));
                Steps.reach("create.linked");
                SystemRecord ready = rec.withState(SystemRecord.State.READY);
                records.write(ready);
                return ready;
            } catch (VsysException | RuntimeException e) {
                List<String> left = new ArrayList<>();
                while (!undo.isEmpty()) {
                    try {
                        undo.pop().run();
                    } catch (VsysException | RuntimeException u) {
                        left.add(u instanceof VsysException ? ((VsysException) u).why() : u.toString());
                    }
                }
                debug.line("rolled back" + (left.isEmpty() ? "" : " with problems: " + left));
                if (e instanceof RuntimeException) {
                    throw (RuntimeException) e;
                }
                VsysException ve = (VsysException) e;
                if (!left.isEmpty()) {
                    throw new VsysException(ve.exitCode(), ve.what(), ve.why() + "; rollback incomplete: " + String.join("; ", left), ve);
                }
                throw ve;
            }
        }
    }
}
