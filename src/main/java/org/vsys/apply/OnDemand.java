package org.vsys.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.vsys.base.AtomicFile;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.Names;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.core.Automap;
import org.vsys.core.CreateRequest;
import org.vsys.core.Links;
import org.vsys.mount.MountTable;

/**
 * Systems declared {@code mode=on-demand}: served to the kernel automounter (autofs) through a
 * program map. {@code vsys apply} writes one entry file per system, {@code R/etc/automap/NAME}
 * (a {@code # origin=declared:DIR} line, a {@code # source=URL} line, then the autofs map entry); the program map
 * {@code PREFIX/lib/vsys/vsys-automap KEY}, which the automount daemon runs on the first lookup of
 * {@code R/.auto/KEY}, prints that entry, and autofs mounts it and unmounts it after its idle
 * timeout. {@code R/etc/auto.vsys} is the master map line for {@code R/.auto}. Nothing is mounted
 * by vsys itself and nothing is polled; only {@code nfs://} and {@code dir:} sources. The entry
 * files are read and removed through {@link Automap}.
 */
public final class OnDemand {
    /** The characters a path or option may have in a map entry (autofs splits on blanks, quotes, &amp;, \). */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._/+:@,=-]+");

    private OnDemand() {
    }

    /** The entry files' directory. */
    public static Path dir(Installation inst) {
        return Automap.dir(inst);
    }

    /** The autofs indirect mount point of the on-demand systems: {@code R/.auto}. */
    public static Path mountPoint(Installation inst) {
        return Automap.mountPoint(inst);
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
                List<String> given = transportNames(r, path);
                if (!given.contains("proto") && !given.contains("udp") && !given.contains("tcp")) {
                    // automount probes a single server before it mounts, over UDP too unless told
                    // TCP: a server without UDP costs an RPC timeout (5 s) at every first access
                    o.add("proto=tcp");
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

    /** The names of the transport options given for {@code path} ({@code proto=tcp} gives "proto"). */
    private static List<String> transportNames(CreateRequest r, String path) {
        List<String> out = new ArrayList<>();
        for (String x : r.options) {
            if (x.startsWith(path + "=")) {
                for (String o : x.substring(path.length() + 1).split(",")) {
                    int eq = o.indexOf('=');
                    out.add(eq < 0 ? o : o.substring(0, eq));
                }
            }
        }
        return out;
    }

    private static void safe(String s) throws VsysException {
        if (!SAFE.matcher(s).matches()) {
            throw new VsysException(ExitCode.USAGE, Names.display(s), "a character autofs map entries cannot carry");
        }
    }

    /** The entry files there are, by name ({@link Automap}: files that do not read as ours are left out). */
    static Map<String, Automap.Entry> served(Installation inst) {
        return Automap.all(inst);
    }

    /** The on-demand record of declaration {@code d} ({@link Automap#recordText}). */
    static byte[] record(Declaration d, String origin) {
        CreateRequest r = d.request();
        List<String> offsets = new ArrayList<>();
        for (String m : r.mounts) {
            offsets.add(m.substring(0, m.indexOf('=')));
        }
        return Automap.recordText(d.name(), origin, r.suid, r.users, r.groups, r.cwdFallback,
                r.hostfiles == null ? SystemRecord.DEFAULT_HOSTFILES : r.hostfiles, d.binds(), offsets);
    }

    /**
     * Writes the on-demand record, the system's {@code R/.var/NAME/tmp} (its /var/tmp: 1777 in
     * {@code R/.var/NAME}, 0700 when restricted), then the entry file (each atomically: a launch never
     * finds an entry without its record) and the master map line when it is missing or not this one.
     * What autofs has mounted at the system's other place ({@code table}: the mount table before;
     * null: none) is unmounted, unless in use (exit 11).
     */
    static void serve(Installation inst, String name, String origin, String source, String entry, byte[] record,
            boolean restricted, MountTable table) throws VsysException {
        try {
            Path rd = Automap.recordDir(inst);
            if (!Files.isDirectory(rd, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(rd);
            }
            AtomicFile.write(rd.resolve(name), record);
            varTmp(inst, name, restricted);
            Path d = dir(inst);
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(d);
            }
            Files.createDirectories(mountPoint(inst));
            privateMountPoint(inst);
            AtomicFile.write(d.resolve(name), Automap.text(origin, source, restricted, entry));
            // users=/groups= set or cleared: the system moves between R/.auto and R/.private/.auto;
            // what autofs has mounted at the other place (readable there by every user, when that is
            // R/.auto) goes now, unless in use (exit 11; the next apply tries again)
            Path other = (restricted ? Automap.mountPoint(inst) : Automap.privateMountPoint(inst)).resolve(name);
            if (table != null && table.atOrUnder(other.toString()).stream().anyMatch(m -> !m.fsType().equals("autofs"))) {
                Automap.unmountPlace(name, other.toString(), false, Debug.off());
            }
            // the launcher link: R/bin/NAME enters it through the automounter (native/enter.c)
            Links.checkOursOrAbsent(inst.link(name));
            if (!Links.isOurs(inst.link(name))) {
                Links.create(inst.link(name));
            }
            Path master = inst.etc().resolve("auto.vsys");
            byte[] line = masterLine(inst).getBytes(StandardCharsets.UTF_8);
            if (!Files.exists(master, LinkOption.NOFOLLOW_LINKS) || !java.util.Arrays.equals(Files.readAllBytes(master), line)) {
                AtomicFile.write(master, line);
            }
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, name, "cannot write the autofs entry: " + e.getMessage(), e);
        }
    }

    /**
     * {@code R/.private} (root's, 0700: made so if it is not) and in it {@code R/.private/.auto},
     * the mount point of the restricted systems' autofs map; refused when {@code R/.private} is not
     * a directory of root's.
     */
    private static void privateMountPoint(Installation inst) throws IOException, VsysException {
        Path p = inst.privateRoot();
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(p, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0) {
            throw new VsysException(ExitCode.UNSAFE, p.toString(), "is not a directory of root's; left alone");
        }
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path a = Automap.privateMountPoint(inst);
        if (!Files.isDirectory(a, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(a);
        }
    }

    /** {@code R/.var/NAME/tmp} (1777) in {@code R/.var/NAME} (0755, 0700 when restricted), as vsys-view makes it for an eager system. */
    private static void varTmp(Installation inst, String name, boolean restricted) throws IOException {
        Path var = inst.root().resolve(".var");
        Path sys = var.resolve(name);
        Path tmp = sys.resolve("tmp");
        for (Path p : List.of(var, sys, tmp)) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(p);
            }
        }
        Files.setPosixFilePermissions(var, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(sys, java.nio.file.attribute.PosixFilePermissions.fromString(restricted ? "rwx------" : "rwxr-xr-x"));
        Files.setAttribute(tmp, "unix:mode", 01777, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Seconds the automount daemon answers a key from its map cache after the program map last
     * answered it (autofs 5.1.8, lookup_program.c: a cached entry younger than the negative
     * timeout is mounted without running the map again; a HUP does not clear a program map's
     * cache). Short, so that a removed entry is forgotten soon: it is older than this when its
     * mount expires (the idle timeout is longer), and a failed lookup is retried this soon.
     */
    static final int NEGATIVE_TIMEOUT = 5;

    /** The idle timeout of the master map line: autofs unmounts a system idle this long. */
    static final int IDLE_TIMEOUT = 300;

    /**
     * The autofs master map lines (for {@code /etc/auto.master.d/vsys.autofs}): {@code R/.auto} for
     * the open systems, {@code R/.private/.auto} for the restricted ones; the same program map, told
     * which by the macro {@code VSYS_AUTOMAP} (automount passes a map's {@code -D} macros to a
     * program map in its environment).
     */
    static String masterLine(Installation inst) {
        String map = " program:" + inst.libexec().resolve("vsys-automap") + " --timeout=" + IDLE_TIMEOUT
                + " --negative-timeout=" + NEGATIVE_TIMEOUT;
        return "# vsys: on-demand systems (vsys apply); ln -s this file /etc/auto.master.d/vsys.autofs\n"
                + mountPoint(inst) + map + "\n"
                + Automap.privateMountPoint(inst) + map + " -DVSYS_AUTOMAP=restricted\n";
    }
}
