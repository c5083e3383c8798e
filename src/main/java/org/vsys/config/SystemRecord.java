package org.vsys.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The record {@code R/etc/systems/<name>}: what the launcher reads to enter a system. */
public final class SystemRecord {
    public static final String VERSION = "1";
    public static final String DEFAULT_HOSTFILES = "passwd,group,hosts,resolv.conf,localtime";
    /** Paths never taken from a remote: the seed keeps temporary files local. */
    public static final Set<String> LOCAL_ONLY = Set.of("/tmp", "/var/tmp", "/usr/tmp");

    public enum State {
        CREATING, READY, DESTROYING;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static State of(String s) {
            for (State st : values()) {
                if (st.word().equals(s)) {
                    return st;
                }
            }
            return null;
        }
    }

    private final String name;
    private final State state;
    private final String created;
    private final List<FsEntry> filesystems;
    private final boolean setuid;
    private final String users;
    private final String groups;
    private final boolean cwdFallback;
    private final String hostfiles;
    /** view=: the absolute directory the system runs from instead of R/NAME (a snapshot checkout), or null. */
    private final String view;
    /**
     * origin=: {@code declared:DIR} for a system made by {@code vsys apply} from a declaration in
     * the directory DIR ({@link #declaredIn}); null when made by hand.
     */
    private final String origin;

    /** The prefix of {@code origin=} in the records of systems and aliases that {@code vsys apply} made. */
    public static final String DECLARED = "declared:";

    /** The origin= of what {@code vsys apply} makes from the declarations in {@code dir}. */
    public static String declaredIn(String dir) {
        return DECLARED + dir;
    }

    /** layer=persistent and its keys, or null (layer=none or session). */
    private final LayerSpec layer;

    /**
     * {@code layer=session}: every entry (a launch, a login, a job step) gets a throw-away
     * writable layer of its own (tmpfs upper over the tree, made by the launcher); nothing
     * on disk, nothing for vsys to mount.
     */
    private final boolean session;

    /**
     * A persistent local layer: {@code layer=persistent}; {@code layer.gen=} the generation
     * directory under {@code R/.layer/NAME} holding the upper and work directories;
     * {@code layer.lower=} the checkout the layer lies over (null: the system's mounted source,
     * {@code R/.lower/NAME}); {@code layer.merge=} the paths the 3-way merge of a switch covers;
     * {@code layer.prev=} the generation the last switch left (what rollback returns to), or null.
     * A generation is named {@code live.N} or {@code COMMIT.N} after the tree it lies over.
     */
    public record LayerSpec(String gen, String lower, List<String> merge, String prev) {
        public static final List<String> DEFAULT_MERGE = List.of("/etc");

        public LayerSpec {
            merge = List.copyOf(merge);
        }

        /** Over lower tree {@code l} (null: the mounted source) in generation {@code g}, coming from the current one. */
        public LayerSpec withGen(String g, String l) {
            return new LayerSpec(g, l, merge, gen);
        }

        /** The tree a generation lies over: null for {@code live.N}, else the commit. */
        public static String commitOf(String g) {
            int dot = g.lastIndexOf('.');
            String base = dot < 0 ? g : g.substring(0, dot);
            return base.equals("live") ? null : base;
        }

        /** A generation name: {@code [a-z0-9][a-z0-9.-]{0,79}}. */
        public static boolean validGen(String g) {
            return g != null && g.matches("[a-z0-9][a-z0-9.-]{0,79}") && !g.contains("..");
        }

        /** Null when every merge path is absolute, normalised, without commas or spaces; else the problem. */
        public static String mergeProblem(List<String> paths) {
            for (String m : paths) {
                if (!m.startsWith("/") || m.equals("/") || m.endsWith("/") || m.contains("//") || m.contains("/./")
                        || m.contains("/../") || m.endsWith("/..") || m.endsWith("/.") || m.chars().anyMatch(c -> c <= ' ' || c == ',')) {
                    return "merge path '" + Names.display(m) + "' is not an absolute normalised path below /";
                }
            }
            return null;
        }
    }

    public SystemRecord(String name, State state, String created, List<FsEntry> filesystems, boolean setuid,
            String users, String groups, boolean cwdFallback, String hostfiles) {
        this(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, null);
    }

    public SystemRecord(String name, State state, String created, List<FsEntry> filesystems, boolean setuid,
            String users, String groups, boolean cwdFallback, String hostfiles, String view) {
        this(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, null);
    }

    public SystemRecord(String name, State state, String created, List<FsEntry> filesystems, boolean setuid,
            String users, String groups, boolean cwdFallback, String hostfiles, String view, String origin) {
        this(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, origin, null);
    }

    public SystemRecord(String name, State state, String created, List<FsEntry> filesystems, boolean setuid,
            String users, String groups, boolean cwdFallback, String hostfiles, String view, String origin, LayerSpec layer) {
        this(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, origin, layer, false);
    }

    public SystemRecord(String name, State state, String created, List<FsEntry> filesystems, boolean setuid,
            String users, String groups, boolean cwdFallback, String hostfiles, String view, String origin, LayerSpec layer,
            boolean session) {
        if (session && layer != null) {
            throw new IllegalArgumentException("a persistent and a session layer together");
        }
        this.session = session;
        this.view = view;
        this.origin = origin;
        this.layer = layer;
        this.name = name;
        this.state = state;
        this.created = created;
        this.filesystems = Collections.unmodifiableList(new ArrayList<>(filesystems));
        this.setuid = setuid;
        this.users = users;
        this.groups = groups;
        this.cwdFallback = cwdFallback;
        this.hostfiles = hostfiles;
    }

    public static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public String name() {
        return name;
    }

    public State state() {
        return state;
    }

    public String created() {
        return created;
    }

    public List<FsEntry> filesystems() {
        return filesystems;
    }

    public FsEntry root() {
        return filesystems.get(0);
    }

    public boolean setuid() {
        return setuid;
    }

    public String users() {
        return users;
    }

    public String groups() {
        return groups;
    }

    /** True when users= or groups= limit who may enter: the tree is then mounted where only root reaches it. */
    public boolean restricted() {
        return (users != null && !users.isEmpty()) || (groups != null && !groups.isEmpty());
    }

    public boolean cwdFallback() {
        return cwdFallback;
    }

    public String hostfiles() {
        return hostfiles;
    }

    public SystemRecord withState(State s) {
        return new SystemRecord(name, s, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, origin, layer, session);
    }

    /** The persistent layer, or null. */
    public LayerSpec layer() {
        return layer;
    }

    public boolean layered() {
        return layer != null;
    }

    /** {@code layer=session}: a throw-away layer per entry (made by the launcher). */
    public boolean session() {
        return session;
    }

    public SystemRecord withSession(boolean s) {
        return new SystemRecord(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, origin, layer, s);
    }

    public SystemRecord withLayer(LayerSpec l) {
        return new SystemRecord(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, origin, l, session);
    }

    /** origin=, or null (a system made by hand). */
    public String origin() {
        return origin;
    }

    /** True if {@code vsys apply} made the system from a declaration ({@code origin=declared:DIR}). */
    public boolean declared() {
        return origin != null;
    }

    /** The same record with origin= set to {@code o} (null: none). */
    public SystemRecord withOrigin(String o) {
        return new SystemRecord(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, view, o, layer, session);
    }

    /** The same record with what the launcher alone reads (users, groups, cwd_fallback, hostfiles) from {@code o}. */
    public SystemRecord withAccess(SystemRecord o) {
        return new SystemRecord(name, state, created, filesystems, setuid, o.users, o.groups, o.cwdFallback, o.hostfiles,
                view, origin, layer, session);
    }

    public String view() {
        return view;
    }

    /** The same record running from dir (absolute), or from its live mount when dir is null. */
    public SystemRecord withView(String dir) {
        return new SystemRecord(name, state, created, filesystems, setuid, users, groups, cwdFallback, hostfiles, dir, origin, layer, session);
    }

    public byte[] toBytes() {
        RecordFile.Writer w = new RecordFile.Writer()
                .comment("vsys system record; written by vsys, read by the launcher; see vsys.conf(5)")
                .put("version", VERSION)
                .put("name", name)
                .put("state", state.word())
                .put("created", created);
        for (FsEntry fs : filesystems) {
            w.put("fs", fs.value());
        }
        w.put("setuid", yesNo(setuid))
                .put("users", users)
                .put("groups", groups)
                .put("cwd_fallback", yesNo(cwdFallback))
                .put("hostfiles", hostfiles);
        if (view != null) {
            w.put("view", view);
        }
        if (origin != null) {
            w.put("origin", origin);
        }
        if (session) {
            w.put("layer", "session");
        }
        if (layer != null) {
            w.put("layer", "persistent").put("layer.gen", layer.gen());
            if (layer.lower() != null) {
                w.put("layer.lower", layer.lower());
            }
            w.put("layer.merge", String.join(",", layer.merge()));
            if (layer.prev() != null) {
                w.put("layer.prev", layer.prev());
            }
        }
        return w.toBytes();
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    private static boolean yesNo(String key, String v) throws RecordFormatException {
        if ("yes".equals(v)) {
            return true;
        }
        if ("no".equals(v) || v == null) {
            return false;
        }
        throw new RecordFormatException(key + ": expected yes or no");
    }

    /** Checks a comma list of user/group names (empty allowed). */
    public static String listProblem(String list) {
        if (list.isEmpty()) {
            return null;
        }
        for (String n : list.split(",", -1)) {
            if (!isListName(n)) {
                return "bad name '" + Names.display(n) + "' in list";
            }
        }
        return null;
    }

    /**
     * {@code [A-Za-z0-9_][A-Za-z0-9._-]{0,31}\$?} without a regex: String.matches compiled a
     * pattern for every name of every record read (vsys list at 1000 systems: 5000 compiles).
     */
    static boolean isListName(String n) {
        int len = n.endsWith("$") ? n.length() - 1 : n.length();
        if (len < 1 || len > 32 || !wordChar(n.charAt(0))) {
            return false;
        }
        for (int i = 1; i < len; i++) {
            if (!nameChar(n.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@code [A-Za-z0-9_][A-Za-z0-9._-]*}, at most 255 bytes (a file name). */
    static boolean isHostFile(String n) {
        if (n.isEmpty() || n.length() > 255 || !wordChar(n.charAt(0))) {
            return false;
        }
        for (int i = 1; i < n.length(); i++) {
            if (!nameChar(n.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean wordChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }

    private static boolean nameChar(char c) {
        return wordChar(c) || c == '.' || c == '-';
    }

    public static String hostfilesProblem(String list) {
        if (list.equals("none") || list.isEmpty()) {
            return null;
        }
        for (String n : list.split(",", -1)) {
            if (!isHostFile(n) || n.equals("..")) {
                return "bad host file '" + Names.display(n) + "' (a file name directly under /etc)";
            }
        }
        return null;
    }

    /** Semantic checks shared by the parser and create: first fs at "/", unique paths, local-only paths. */
    public static String filesystemsProblem(List<FsEntry> fss) {
        if (fss.isEmpty()) {
            return "no filesystem";
        }
        if (!fss.get(0).path().equals("/")) {
            return "the first filesystem must be at /";
        }
        Set<String> seen = new HashSet<>();
        for (FsEntry fs : fss) {
            if (!seen.add(fs.path())) {
                return "two filesystems at " + fs.path();
            }
            if (LOCAL_ONLY.contains(fs.path())) {
                return fs.path() + " is never taken from a remote (it stays local)";
            }
        }
        return null;
    }

    public static SystemRecord parse(RecordFile rf, String fileName) throws RecordFormatException {
        String where = "systems/" + fileName;
        if (!VERSION.equals(rf.get("version"))) {
            throw new RecordFormatException(where + ": version is not " + VERSION);
        }
        String name = rf.get("name");
        if (name == null || !name.equals(fileName)) {
            throw new RecordFormatException(where + ": name does not match the file name");
        }
        State state = State.of(rf.get("state"));
        if (state == null) {
            throw new RecordFormatException(where + ": bad state");
        }
        List<FsEntry> fss = new ArrayList<>();
        for (String v : rf.getAll("fs")) {
            try {
                fss.add(FsEntry.parse(v));
            } catch (RecordFormatException e) {
                throw new RecordFormatException(where + ": " + e.getMessage());
            }
        }
        String p = filesystemsProblem(fss);
        if (p != null) {
            throw new RecordFormatException(where + ": " + p);
        }
        String users = rf.get("users", "");
        String groups = rf.get("groups", "");
        String hostfiles = rf.get("hostfiles", DEFAULT_HOSTFILES);
        for (String q : new String[] {listProblem(users), listProblem(groups), hostfilesProblem(hostfiles)}) {
            if (q != null) {
                throw new RecordFormatException(where + ": " + q);
            }
        }
        return new SystemRecord(name, state, rf.get("created", ""), fss, yesNo("setuid", rf.get("setuid")), users,
                groups, yesNo("cwd_fallback", rf.get("cwd_fallback")), hostfiles, viewOf(rf.get("view"), where),
                originOf(rf.get("origin"), where), layerOf(rf, where), "session".equals(rf.get("layer")));
    }

    private static LayerSpec layerOf(RecordFile rf, String where) throws RecordFormatException {
        String mode = rf.get("layer", "none");
        if (mode.equals("none") || mode.equals("session")) {
            for (String k : List.of("layer.gen", "layer.lower", "layer.merge", "layer.prev")) {
                if (rf.get(k) != null) {
                    throw new RecordFormatException(where + ": " + k + ": only with layer=persistent");
                }
            }
            return null;
        }
        if (!mode.equals("persistent")) {
            throw new RecordFormatException(where + ": layer: expected none, persistent or session");
        }
        String gen = rf.get("layer.gen");
        if (!LayerSpec.validGen(gen)) {
            throw new RecordFormatException(where + ": layer.gen: missing or not a generation name");
        }
        String lower = rf.get("layer.lower");
        if (lower != null) {
            viewOf(lower, where + ": layer.lower");
        }
        String m = rf.get("layer.merge", "/etc");
        List<String> merge = m.isEmpty() ? List.of() : List.of(m.split(",", -1));
        String p = LayerSpec.mergeProblem(merge);
        if (p != null) {
            throw new RecordFormatException(where + ": layer.merge: " + p);
        }
        if (rf.get("view") != null) {
            throw new RecordFormatException(where + ": view and layer together (a layered system names its checkout in layer.lower)");
        }
        String prev = rf.get("layer.prev");
        if (prev != null && !LayerSpec.validGen(prev)) {
            throw new RecordFormatException(where + ": layer.prev: not a generation name");
        }
        return new LayerSpec(gen, lower, merge, prev);
    }

    static String originOf(String v, String where) throws RecordFormatException {
        // "declared" alone (no directory): declared, by an apply whose directory is not known; such a
        // system is never removed by an apply, only taken over by one that declares it
        if (v != null && !v.equals("declared")
                && (!v.startsWith(DECLARED + "/") || v.indexOf(' ') >= 0 || v.contains("/../") || v.endsWith("/.."))) {
            throw new RecordFormatException(where + ": origin must be " + DECLARED + "DIR (an absolute path) when given");
        }
        return v;
    }

    private static String viewOf(String v, String where) throws RecordFormatException {
        if (v == null) {
            return null;
        }
        if (!RecordFile.absoluteNormalised(v)) {
            throw new RecordFormatException(where + ": view is not an absolute normalised path");
        }
        return v;
    }

    public static SystemRecord read(Path file) throws IOException, RecordFormatException {
        return parse(RecordFile.read(file), file.getFileName().toString());
    }
}
