package org.vsys.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.vsys.base.AtomicFile;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.Names;
import org.vsys.config.SourceUrl;
import org.vsys.core.CreateRequest;

/**
 * Systems declared {@code mode=on-demand}: served to the kernel automounter (autofs) through a
 * program map. {@code vsys apply} writes one entry file per system, {@code R/etc/automap/NAME}
 * (a {@code # origin=declared:DIR} line, then the autofs map entry); the program map
 * {@code PREFIX/lib/vsys/vsys-automap KEY}, which the automount daemon runs on the first lookup of
 * {@code R/.auto/KEY}, prints that entry, and autofs mounts it and unmounts it after its idle
 * timeout. {@code R/etc/auto.vsys} is the master map line for {@code R/.auto}. Nothing is mounted
 * by vsys itself and nothing is polled; only {@code nfs://} and {@code dir:} sources.
 */
public final class OnDemand {
    /** The characters a path or option may have in a map entry (autofs splits on blanks, quotes, &amp;, \). */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._/+:@,=-]+");
    static final String ORIGIN = "# origin=";

    private OnDemand() {
    }

    /** The entry files' directory. */
    public static Path dir(Installation inst) {
        return inst.etc().resolve("automap");
    }

    /** The autofs indirect mount point of the on-demand systems: {@code R/.auto}. */
    public static Path mountPoint(Installation inst) {
        return inst.root().resolve(".auto");
    }

    /** The autofs entry of a declaration ({@code -fstype=... SOURCE}, or a multi-mount for {@code mount=}). */
    static String entry(CreateRequest r, boolean singleLine) throws VsysException {
        List<String> parts = new ArrayList<>();
        String root = one(r, "/", r.source, true);
        if (r.mounts.isEmpty()) {
            return root;
        }
        parts.add("/ " + root);
        for (String m : r.mounts) {
            int eq = m.indexOf('=');
            String path = m.substring(0, eq);
            safe(path);
            parts.add(path + " " + one(r, path, m.substring(eq + 1), false));
        }
        return String.join(singleLine ? " " : " \\\n  ", parts);
    }

    private static String one(CreateRequest r, String path, String url, boolean isRoot) throws VsysException {
        SourceUrl u = SourceUrl.parse(url);
        List<String> o = new ArrayList<>();
        boolean rw = isRoot ? r.readWrite.contains(path) : !r.readOnly.contains(path);
        o.add(rw ? "rw" : "ro");
        if (!r.suid) {
            o.add("nosuid");
        }
        if (!r.dev) {
            o.add("nodev");
        }
        String location;
        switch (u.kind()) {
            case NFS:
                o.add(0, "-fstype=nfs");
                if (r.nfsVersion != null) {
                    o.add("vers=" + r.nfsVersion);
                }
                location = u.hostForPath() + ":" + u.path();
                break;
            case DIR:
                o.add(0, "-fstype=bind");
                location = ":" + u.path();
                break;
            default:
                throw new VsysException(ExitCode.USAGE, url, "mode=on-demand takes nfs:// and dir: sources (autofs mounts them)");
        }
        for (String x : r.options) {
            if (x.startsWith(path + "=")) {
                o.add(x.substring(path.length() + 1));
            }
        }
        String opts = String.join(",", o);
        safe(opts);
        safe(location);
        return opts + " " + location;
    }

    private static void safe(String s) throws VsysException {
        if (!SAFE.matcher(s).matches()) {
            throw new VsysException(ExitCode.USAGE, Names.display(s), "a character autofs map entries cannot carry");
        }
    }

    /** The file's text: origin line, then the entry. */
    static byte[] fileText(String origin, String entry) {
        return (ORIGIN + origin + "\n" + entry + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** An entry file as read: its origin and its entry; null when there is none. */
    record Served(String name, String origin, String entry) {
    }

    /** The entry files there are, by name (files that do not read as ours are left out: never removed). */
    static Map<String, Served> served(Installation inst) {
        Map<String, Served> out = new TreeMap<>();
        Path d = dir(inst);
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!Names.isValid(n) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    String t = Files.readString(p, StandardCharsets.UTF_8);
                    int nl = t.indexOf('\n');
                    if (t.startsWith(ORIGIN) && nl > 0) {
                        out.put(n, new Served(n, t.substring(ORIGIN.length(), nl), t.substring(nl + 1).strip()));
                    }
                } catch (IOException | java.io.UncheckedIOException e) {
                    // unreadable: left alone
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** Writes the entry file (atomically) and the master map line if missing. */
    static void serve(Installation inst, String name, String origin, String entry) throws VsysException {
        try {
            Path d = dir(inst);
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(d);
            }
            Files.createDirectories(mountPoint(inst));
            AtomicFile.write(d.resolve(name), fileText(origin, entry));
            Path master = inst.etc().resolve("auto.vsys");
            if (!Files.exists(master, LinkOption.NOFOLLOW_LINKS)) {
                AtomicFile.write(master, masterLine(inst).getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, name, "cannot write the autofs entry: " + e.getMessage(), e);
        }
    }

    /** The autofs master map line (for {@code /etc/auto.master.d/vsys.autofs}). */
    static String masterLine(Installation inst) {
        return "# vsys: on-demand systems (vsys apply); ln -s this file /etc/auto.master.d/vsys.autofs\n"
                + mountPoint(inst) + " program:" + inst.libexec().resolve("vsys-automap") + " --timeout=300\n";
    }

    /**
     * Removes the entry file: no new mount of the system can start (the map answers "no such key").
     * A mount autofs already made stays until its timeout or until it is idle.
     */
    static void unserve(Installation inst, String name) throws VsysException {
        try {
            AtomicFile.removeDurably(dir(inst).resolve(name));
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, name, "cannot remove the autofs entry: " + e.getMessage(), e);
        }
    }
}
