package org.vsys.apply;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.vsys.config.Names;
import org.vsys.config.RecordFile;
import org.vsys.config.RecordFormatException;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.core.CreateRequest;
import org.vsys.base.VsysException;

/**
 * One declared system: the file {@code DIR/NAME.conf} (vsys-systems.d(5)), in the record format
 * of {@link RecordFile}, turned into what {@code vsys create} takes ({@link CreateRequest}) and
 * the aliases the system should have. Unknown keys are errors here (a misspelt {@code users=}
 * must not open a system to everyone).
 */
public final class Declaration {
    /** The keys a declaration may hold; {@code mount} may be repeated. */
    static final Set<String> KEYS = Set.of("name", "source", "options", "mount", "suid", "dev", "identity",
            "known_hosts", "nfs.version", "users", "groups", "cwd_fallback", "hostfiles", "aliases", "mode", "timeout", "layer", "bind");
    static final String SUFFIX = ".conf";

    private final String name;
    private final String file;
    private final CreateRequest request;
    private final List<String> aliases;
    private final RecordFile rf;
    private final String autofsEntry;
    private final List<String> binds;

    private Declaration(String name, String file, CreateRequest request, List<String> aliases, RecordFile rf,
            String autofsEntry, List<String> binds) {
        this.autofsEntry = autofsEntry;
        this.binds = binds;
        this.name = name;
        this.file = file;
        this.request = request;
        this.aliases = aliases;
        this.rf = rf;
    }

    public String name() {
        return name;
    }

    /** The file it was read from, as given. */
    public String file() {
        return file;
    }

    public CreateRequest request() {
        return request;
    }

    /** The aliases declared ({@code aliases=}), in order, without duplicates. */
    public List<String> aliases() {
        return aliases;
    }

    /** A problem of a declaration, already in the form {@code FILE:LINE: problem}. */
    public static final class Problem extends Exception {
        private static final long serialVersionUID = 1L;
        private final String name;

        Problem(String name, String message) {
            super(message);
            this.name = name;
        }

        /** The system the file declares (from its file name), or null when even that is bad. */
        public String system() {
            return name;
        }
    }

    /** The system name of a file name {@code NAME.conf}, or null when it is not one. */
    static String nameOf(String fileName) {
        if (!fileName.endsWith(SUFFIX) || fileName.length() == SUFFIX.length()) {
            return null;
        }
        return fileName.substring(0, fileName.length() - SUFFIX.length());
    }

    public static Declaration read(Path file) throws Problem {
        String name = nameOf(file.getFileName().toString());
        RecordFile rf;
        try {
            rf = RecordFile.read(file);
        } catch (RecordFormatException e) {
            throw new Problem(name, e.getMessage());
        } catch (IOException e) {
            throw new Problem(name, file + ": cannot read: " + e.getMessage());
        }
        return parse(rf, file.toString(), name);
    }

    /** Parses {@code bytes} as the declaration of system {@code name}; {@code file} names it in messages. */
    public static Declaration parse(byte[] bytes, String file, String name) throws Problem {
        try {
            return parse(RecordFile.parse(bytes, file), file, name);
        } catch (RecordFormatException e) {
            throw new Problem(name, e.getMessage());
        }
    }

    private static Declaration parse(RecordFile rf, String file, String name) throws Problem {
        String p = name == null ? "not a NAME.conf file" : Names.problem(name);
        if (p != null) {
            throw new Problem(null, file + ":0: the file name does not give a system name: " + p);
        }
        for (RecordFile.Entry e : rf.entries()) {
            if (e.key().equals("view")) {
                throw new Problem(name, at(file, e) + "view= is not declared: a system runs from R/NAME, or from the "
                        + "checkout vsys switch makes (the record's view=); vsys create takes no view either");
            }
            if (!KEYS.contains(e.key())) {
                throw new Problem(name, at(file, e) + "unknown key '" + e.key() + "'");
            }
        }
        RecordFile.Entry n = rf.entry("name");
        if (n != null && !n.value().equals(name)) {
            throw new Problem(name, at(file, n) + "name=" + Names.display(n.value()) + " is not the file's name " + name);
        }
        RecordFile.Entry mode = rf.entry("mode");
        if (mode != null && !mode.value().equals("eager") && !mode.value().equals("on-demand")) {
            throw new Problem(name, at(file, mode) + "mode must be eager or on-demand");
        }
        boolean onDemand = mode != null && mode.value().equals("on-demand");
        List<String> binds = new ArrayList<>();
        for (RecordFile.Entry e : rf.entries()) {
            if (!e.key().equals("bind")) {
                continue;
            }
            if (!onDemand) {
                throw new Problem(name, at(file, e) + "bind= of an eager system is not declared: vsys.conf's bind= is for "
                        + "every system (vsys create takes no bind); use mount=PATH dir:/PATH rw for one system, "
                        + "or mode=on-demand");
            }
            String q = bindProblem(e.value());
            if (q != null) {
                throw new Problem(name, at(file, e) + "bind=" + Names.display(e.value()) + ": " + q);
            }
            if (binds.contains(e.value())) {
                throw new Problem(name, at(file, e) + "bind=" + e.value() + " given twice");
            }
            binds.add(e.value());
        }
        CreateRequest r = new CreateRequest();
        r.name = name;
        RecordFile.Entry src = rf.entry("source");
        if (src == null) {
            throw new Problem(name, file + ":0: no source= (where the root filesystem comes from)");
        }
        r.source = checkSource(file, name, src, src.value());
        RecordFile.Entry opts = rf.entry("options");
        if (opts != null) {
            options(file, opts, "/", opts.value(), r);
        }
        for (RecordFile.Entry e : rf.entries()) {
            if (!e.key().equals("mount")) {
                continue;
            }
            String[] f = e.value().split(" ", -1);
            if (f.length < 2 || f.length > 3 || f[0].isEmpty() || f[1].isEmpty()) {
                throw new Problem(name, at(file, e) + "expected mount=PATH SOURCE [OPTIONS]");
            }
            String path;
            try {
                path = SourceUrl.systemPath(f[0]);
            } catch (VsysException x) {
                throw new Problem(name, at(file, e) + x.why());
            }
            checkSource(file, name, e, f[1]);
            r.mounts.add(path + "=" + f[1]);
            if (f.length == 3) {
                options(file, e, path, f[2], r);
            }
        }
        r.suid = yesNo(file, name, rf.entry("suid"));
        r.dev = yesNo(file, name, rf.entry("dev"));
        r.cwdFallback = yesNo(file, name, rf.entry("cwd_fallback"));
        r.identity = rf.get("identity");
        r.knownHosts = rf.get("known_hosts");
        r.nfsVersion = rf.get("nfs.version");
        for (String key : List.of("users", "groups")) {
            RecordFile.Entry e = rf.entry(key);
            if (e != null) {
                String q = SystemRecord.listProblem(e.value());
                if (q != null) {
                    throw new Problem(name, at(file, e) + q);
                }
            }
        }
        r.users = rf.get("users", "");
        r.groups = rf.get("groups", "");
        RecordFile.Entry hf = rf.entry("hostfiles");
        if (hf != null) {
            String q = SystemRecord.hostfilesProblem(hf.value());
            if (q != null) {
                throw new Problem(name, at(file, hf) + q);
            }
            r.hostfiles = hf.value();
        }
        RecordFile.Entry ly = rf.entry("layer");
        if (ly != null) {
            if (!ly.value().equals("none") && !ly.value().equals("session")) {
                throw new Problem(name, at(file, ly) + "layer must be none or session");
            }
            if (onDemand && ly.value().equals("session")) {
                throw new Problem(name, at(file, ly) + "layer=session of an on-demand system is not supported yet");
            }
            r.layer = ly.value();
        }
        RecordFile.Entry t = rf.entry("timeout");
        if (t != null) {
            try {
                r.timeoutSeconds = Integer.parseInt(t.value());
            } catch (NumberFormatException x) {
                r.timeoutSeconds = -1;
            }
            if (r.timeoutSeconds < 1 || r.timeoutSeconds > 3600) {
                throw new Problem(name, at(file, t) + "timeout must be between 1 and 3600 seconds");
            }
        }
        Set<String> aliases = new LinkedHashSet<>();
        RecordFile.Entry a = rf.entry("aliases");
        if (a != null && !a.value().isEmpty()) {
            for (String x : a.value().split(",", -1)) {
                String q = Names.problem(x);
                if (q != null) {
                    throw new Problem(name, at(file, a) + "alias '" + Names.display(x) + "': " + q);
                }
                if (x.equals(name)) {
                    throw new Problem(name, at(file, a) + "alias " + x + " is the system's own name");
                }
                aliases.add(x);
            }
        }
        Declaration d = new Declaration(name, file, r, List.copyOf(aliases), rf, null, List.of());
        if (!onDemand) {
            return d;
        }
        // users=, groups=, hostfiles=, cwd_fallback=, suid= and bind= go to its on-demand record
        // (R/etc/ondemand/NAME), which the launcher reads
        try {
            return new Declaration(name, file, r, List.copyOf(aliases), rf, OnDemand.entry(r, true), List.copyOf(binds));
        } catch (VsysException e) {
            throw new Problem(name, d.locate(e) + e.what() + ": " + e.why());
        }
    }

    /** The top directories of a system's own tree that a bind= may go below but not replace (vsys-view's link_dirs). */
    static final Set<String> TOP_DIRS = Set.of("bin", "boot", "etc", "lib", "lib32", "lib64", "libx32", "media", "mnt", "opt",
            "root", "sbin", "srv", "usr", "var");

    /** The {@code bind=} paths of an on-demand system (host directories shown at the same path), in order. */
    public List<String> binds() {
        return binds;
    }

    /**
     * Null if {@code p} may be a {@code bind=} path of an on-demand system: absolute, normalised,
     * without spaces, not {@code /} and not in a local part ({@code /proc /dev /sys /run /home /tmp
     * /var/tmp /usr/tmp}, which the launcher puts there itself); else the problem.
     */
    static String bindProblem(String p) {
        if (!RecordFile.absoluteNormalised(p) || p.indexOf(' ') >= 0) {
            return "not an absolute normalised path without spaces";
        }
        for (String l : List.of("/proc", "/dev", "/sys", "/run", "/home", "/tmp", "/var/tmp", "/usr/tmp", "/.link")) {
            if (p.equals(l) || p.startsWith(l + "/")) {
                return "inside " + l + ", a local part of every system";
            }
        }
        if (TOP_DIRS.contains(p.substring(1))) {
            return "would hide the system's own " + p + " (as vsys.conf's bind= would; give a directory below it)";
        }
        return null;
    }

    /** The autofs map entry of a {@code mode=on-demand} system, or null for an eager one. */
    public String autofsEntry() {
        return autofsEntry;
    }

    /** {@code FILE:LINE: } of an entry. */
    static String at(String file, RecordFile.Entry e) {
        return file + ":" + e.line() + ": ";
    }

    /** The line the message of a failed check of the whole request most likely comes from. */
    String locate(VsysException e) {
        String what = e.what();
        for (RecordFile.Entry x : rf.entries()) {
            if (!x.key().equals("name") && !x.value().isEmpty() && (what.contains(x.value()) || x.value().contains(what))) {
                return at(file, x);
            }
        }
        for (RecordFile.Entry x : rf.entries()) {
            String key = x.key().replace('_', '-').replace("nfs.version", "nfs-version");
            if (what.contains("--" + key)) {
                return at(file, x);
            }
        }
        RecordFile.Entry src = rf.entry("source");
        return src == null ? file + ":0: " : at(file, src);
    }

    private static String checkSource(String file, String name, RecordFile.Entry e, String value) throws Problem {
        try {
            SourceUrl.parse(value);
            return value;
        } catch (VsysException x) {
            throw new Problem(name, at(file, e) + x.what() + ": " + x.why());
        }
    }

    /** ro/rw go to --ro/--rw, everything else to --options PATH=...; suid and dev are keys of their own. */
    private static void options(String file, RecordFile.Entry e, String path, String value, CreateRequest r) throws Problem {
        List<String> transport = new ArrayList<>();
        for (String o : value.split(",", -1)) {
            switch (o) {
                case "ro":
                    r.readOnly.add(path);
                    break;
                case "rw":
                    r.readWrite.add(path);
                    break;
                case "suid":
                case "dev":
                    throw new Problem(r.name, at(file, e) + o + " is a key of its own (" + o + "=yes), for every filesystem");
                case "":
                    throw new Problem(r.name, at(file, e) + "empty option in '" + Names.display(value) + "'");
                default:
                    transport.add(o);
            }
        }
        if (r.readOnly.contains(path) && r.readWrite.contains(path)) {
            throw new Problem(r.name, at(file, e) + "both ro and rw");
        }
        if (!transport.isEmpty()) {
            r.options.add(path + "=" + String.join(",", transport));
        }
    }

    private static boolean yesNo(String file, String name, RecordFile.Entry e) throws Problem {
        if (e == null || e.value().equals("no")) {
            return false;
        }
        if (e.value().equals("yes")) {
            return true;
        }
        throw new Problem(name, at(file, e) + e.key() + " must be yes or no");
    }
}
