package org.vsys.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.vsys.base.VsysException;

/**
 * One {@code fs=<path> <source> <options>} line of a system record: a filesystem mounted at
 * {@code path} inside the system. Options: {@code ro} or {@code rw} first, then optional
 * {@code suid}, {@code dev}, then transport options ({@code vers=4.1}, {@code identity=FILE},
 * {@code known_hosts=FILE}, any other NFS mount option).
 */
public final class FsEntry {
    private final String path;
    private final SourceUrl source;
    private final List<String> options;

    public FsEntry(String path, SourceUrl source, List<String> options) {
        this.path = path;
        this.source = source;
        this.options = Collections.unmodifiableList(new ArrayList<>(options));
    }

    public String path() {
        return path;
    }

    public SourceUrl source() {
        return source;
    }

    public List<String> options() {
        return options;
    }

    public boolean readOnly() {
        return options.contains("ro");
    }

    public boolean suid() {
        return options.contains("suid");
    }

    public boolean dev() {
        return options.contains("dev");
    }

    /** The value of a {@code key=value} option, or null. */
    public String option(String key) {
        for (String o : options) {
            if (o.startsWith(key + "=")) {
                return o.substring(key.length() + 1);
            }
        }
        return null;
    }

    /** Options other than ro/rw/suid/dev and the vsys-level ones: what goes to the transport. */
    public List<String> transportOptions() {
        List<String> out = new ArrayList<>();
        for (String o : options) {
            if (!(o.equals("ro") || o.equals("rw") || o.equals("suid") || o.equals("dev")
                    || o.startsWith("identity=") || o.startsWith("known_hosts="))) {
                out.add(o);
            }
        }
        return out;
    }

    /** The record form: {@code path source options}. */
    public String value() {
        return path + " " + source + " " + String.join(",", options);
    }

    @Override
    public String toString() {
        return value();
    }

    /** Checks an options list: non-empty items, no spaces, exactly one of ro/rw and it comes first. */
    public static String optionsProblem(List<String> options) {
        if (options.isEmpty() || !(options.get(0).equals("ro") || options.get(0).equals("rw"))) {
            return "options must start with ro or rw";
        }
        for (int i = 0; i < options.size(); i++) {
            String o = options.get(i);
            if (o.isEmpty()) {
                return "empty option";
            }
            for (int k = 0; k < o.length(); k++) {
                char c = o.charAt(k);
                if (c <= ' ' || c == 0x7f || c == ',') {
                    return "option '" + Names.display(o) + "' contains a space or control character";
                }
            }
            if (i > 0 && (o.equals("ro") || o.equals("rw"))) {
                return "ro/rw given twice";
            }
        }
        return null;
    }

    /** Parses a record value; the format is strict (single spaces, canonical source and path). */
    public static FsEntry parse(String value) throws RecordFormatException {
        String[] f = value.split(" ", -1);
        if (f.length != 3) {
            throw new RecordFormatException("fs: expected '<path> <source> <options>'");
        }
        String path;
        SourceUrl src;
        try {
            path = SourceUrl.systemPath(f[0]);
            src = SourceUrl.parse(f[1]);
        } catch (VsysException e) {
            throw new RecordFormatException("fs: " + e.why());
        }
        if (!path.equals(f[0])) {
            throw new RecordFormatException("fs: path '" + Names.display(f[0]) + "' is not in normal form");
        }
        if (!src.toString().equals(f[1])) {
            throw new RecordFormatException("fs: source '" + Names.display(f[1]) + "' is not in canonical form");
        }
        List<String> opts = List.of(f[2].split(",", -1));
        String p = optionsProblem(opts);
        if (p != null) {
            throw new RecordFormatException("fs: " + p);
        }
        return new FsEntry(path, src, opts);
    }
}
