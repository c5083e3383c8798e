package org.vsys.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.vsys.base.AtomicFile;
import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.Names;
import org.vsys.linux.Errno;
import org.vsys.linux.Posix;
import org.vsys.linux.PosixException;
import org.vsys.mount.MountTable;
import org.vsys.mount.UnmountPlan;

/**
 * The autofs entry files of the on-demand systems, {@code R/etc/automap/NAME} (written by
 * {@code vsys apply}, printed by the program map {@code vsys-automap}): a {@code # origin=} line, a
 * {@code # source=} line (the declared URL, for list and status), then the autofs map entry. The
 * one reader of the format, and the one safe removal of an entry (apply's unserve, {@code vsys -d}).
 * Nothing here looks up a path under {@code R/.auto} that is not mounted: such a lookup is what
 * makes the automounter mount it, through its server.
 */
public final class Automap {
    public static final String ORIGIN = "# origin=";
    public static final String SOURCE = "# source=";
    /**
     * The line of a restricted system's entry file ({@code users=} or {@code groups=}): served by
     * the automounter at {@code R/.private/.auto/NAME}, where no user reaches it, never at
     * {@code R/.auto/NAME} (vsys-automap prints such an entry only for the map of
     * {@code R/.private/.auto}, whose master line defines {@code VSYS_AUTOMAP=restricted}).
     */
    public static final String ACCESS = "# access=restricted";

    /** An entry file as read; {@code source} is null in files written before it was kept. */
    public record Entry(String name, String origin, String source, boolean restricted, String entry) {
        /** The declared source, or the entry's location (its last word) for an older file. */
        public String sourceOrLocation() {
            if (source != null) {
                return source;
            }
            String first = entry.lines().findFirst().orElse("");
            int sp = first.lastIndexOf(' ');
            return sp < 0 ? first : first.substring(sp + 1);
        }
    }

    private Automap() {
    }

    /** The entry files' directory. */
    public static Path dir(Installation inst) {
        return inst.etc().resolve("automap");
    }

    /**
     * The on-demand records' directory, {@code R/etc/ondemand}: beside {@code R/etc/automap}, not in
     * it, as the program map prints every file there that is a name (a record there would be served
     * to autofs as a map entry).
     */
    public static Path recordDir(Installation inst) {
        return inst.etc().resolve("ondemand");
    }

    /** The on-demand record of {@code name}: {@code R/etc/ondemand/NAME}. */
    public static Path recordFile(Installation inst, String name) {
        return recordDir(inst).resolve(name);
    }

    /**
     * The text of an on-demand record: a system record without {@code fs=} (the launcher's facts:
     * {@code setuid}, {@code users}, {@code groups}, {@code cwd_fallback}, {@code hostfiles}, and the
     * system's own {@code bind=} paths), in the record format, written by its one writer. The
     * launcher reads it with its one record parser ({@code record_system}) to enter the system.
     */
    public static byte[] recordText(String name, String origin, boolean setuid, String users, String groups,
            boolean cwdFallback, String hostfiles, List<String> binds, List<String> mounts) {
        org.vsys.config.RecordFile.Writer w = new org.vsys.config.RecordFile.Writer()
                .comment("vsys on-demand record; written by vsys apply with R/etc/automap/" + name
                        + ", read by the launcher; see vsys-systems.d(5)")
                .put("version", org.vsys.config.SystemRecord.VERSION)
                .put("name", name)
                .put("state", "ready")
                .put("setuid", setuid ? "yes" : "no")
                .put("users", users)
                .put("groups", groups)
                .put("cwd_fallback", cwdFallback ? "yes" : "no")
                .put("hostfiles", hostfiles)
                .put("origin", origin);
        for (String b : binds) {
            w.put("bind", b);
        }
        for (String m : mounts) {
            w.put("mount", m);
        }
        return w.toBytes();
    }

    /**
     * The on-demand record of {@code name} checked as the launcher checks it (a root-owned regular
     * file, not group/other writable, version, name, state, the lists): null when it is sound, else
     * the problem.
     */
    public static String recordProblem(Installation inst, String name) {
        Path p = recordFile(inst, name);
        try {
            String unsafe = recordFileProblem(p);
            if (unsafe != null) {
                return unsafe;
            }
            org.vsys.config.RecordFile rf = org.vsys.config.RecordFile.read(p);
            if (!"1".equals(rf.get("version")) || !name.equals(rf.get("name")) || !"ready".equals(rf.get("state"))) {
                return p + ": version, name or state is not the launcher's (1, " + name + ", ready)";
            }
            for (String q : new String[] {org.vsys.config.SystemRecord.listProblem(rf.get("users", "")),
                    org.vsys.config.SystemRecord.listProblem(rf.get("groups", "")),
                    org.vsys.config.SystemRecord.hostfilesProblem(rf.get("hostfiles",
                            org.vsys.config.SystemRecord.DEFAULT_HOSTFILES))}) {
                if (q != null) {
                    return p + ": " + q;
                }
            }
            return null;
        } catch (NoSuchFileException e) {
            return p + " is missing (the launcher refuses the system)";
        } catch (IOException | org.vsys.config.RecordFormatException e) {
            return p + ": " + e.getMessage();
        }
    }

    /**
     * Null when {@code p} is a regular file of root's not writable by group or others (one lstat),
     * else the problem (the launcher refuses such a record).
     */
    public static String recordFileProblem(Path p) throws IOException {
        java.util.Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        if ((mode & 0170000) != 0100000) {
            return p + " is not a regular file";
        }
        if ((Integer) a.get("uid") != 0 || (mode & 022) != 0) {
            return p + " is not root's or is writable by group or others (the launcher refuses it)";
        }
        return null;
    }

    /** The autofs indirect mount point of the open on-demand systems: {@code R/.auto}. */
    public static Path mountPoint(Installation inst) {
        return inst.root().resolve(".auto");
    }

    /**
     * The autofs indirect mount point of the restricted on-demand systems: {@code R/.private/.auto}
     * ({@code R/.private} root's, 0700: no user reaches a tree there by a host path, as for an eager
     * restricted system; the launcher looks it up through an fd root opened).
     */
    public static Path privateMountPoint(Installation inst) {
        return inst.privateRoot().resolve(".auto");
    }

    /** Where autofs mounts the system of entry {@code e}: {@code R/.auto/NAME} or {@code R/.private/.auto/NAME}. */
    public static Path mountPoint(Installation inst, Entry e) {
        return (e.restricted() ? privateMountPoint(inst) : mountPoint(inst)).resolve(e.name());
    }

    /** Both places autofs may have system {@code name} mounted (its entry may have changed since). */
    public static List<Path> places(Installation inst, String name) {
        return List.of(mountPoint(inst).resolve(name), privateMountPoint(inst).resolve(name));
    }

    /** The text of an entry file. */
    public static byte[] text(String origin, String source, boolean restricted, String entry) {
        return (ORIGIN + origin + "\n" + SOURCE + source + "\n" + (restricted ? ACCESS + "\n" : "") + entry + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The entry of {@code name}, or null when there is none (or the file is not ours: never touched). */
    public static Entry read(Installation inst, String name) {
        if (!Names.isValid(name)) {
            return null;
        }
        Path p = dir(inst).resolve(name);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            return parse(name, Files.readString(p, StandardCharsets.UTF_8));
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    /** Every entry there is, by name. */
    public static Map<String, Entry> all(Installation inst) {
        Map<String, Entry> out = new TreeMap<>();
        Path d = dir(inst);
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                Entry e = read(inst, n);
                if (e != null) {
                    out.put(n, e);
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static Entry parse(String name, String t) {
        int nl = t.indexOf('\n');
        if (!t.startsWith(ORIGIN) || nl < 0) {
            return null;
        }
        String origin = t.substring(ORIGIN.length(), nl);
        String rest = t.substring(nl + 1);
        String source = null;
        int nl2 = rest.indexOf('\n');
        if (rest.startsWith(SOURCE) && nl2 > 0) {
            source = rest.substring(SOURCE.length(), nl2);
            rest = rest.substring(nl2 + 1);
        }
        boolean restricted = rest.startsWith(ACCESS + "\n");
        if (restricted) {
            rest = rest.substring(ACCESS.length() + 1);
        }
        return new Entry(name, origin, source, restricted, rest.strip());
    }

    /** Whether autofs has the system mounted (a filesystem at or under either of its {@link #places}). */
    public static boolean mounted(MountTable table, Installation inst, String name) {
        for (Path p : places(inst, name)) {
            for (MountTable.Mount m : table.atOrUnder(p.toString())) {
                if (!m.fsType().equals("autofs")) {
                    return true; // an offset trigger of a multi-mount alone is not the system mounted
                }
            }
        }
        return false;
    }

    /**
     * Removes the entry of {@code name}, under the lock the caller holds. Not mounted: the file
     * goes, nothing else is touched. Mounted: the file goes first (no new lookup finds it), then
     * the mounts under {@code R/.auto/NAME}, deepest first, without detaching: a mount in use
     * (EBUSY) stops it, the file is written back and the system stays as it was (exit 11). Nothing
     * is deleted across a mount, and the only paths looked up are mount points the table lists.
     */
    public static void unserve(Installation inst, String name, Debug debug) throws VsysException {
        unserve(inst, name, false, debug);
    }

    /**
     * {@link #unserve(Installation, String, Debug)}; with {@code detach} ({@code vsys -d --force})
     * the tops of the mounts are detached lazily instead (the processes in it keep what they have).
     */
    public static void unserve(Installation inst, String name, boolean detach, Debug debug) throws VsysException {
        Path f = dir(inst).resolve(name);
        byte[] old;
        try {
            old = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            Links.removeIfOurs(inst.link(name));
            removeRecord(inst, name);
            return; // gone already
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, name, "cannot read the autofs entry: " + e.getMessage(), e);
        }
        remove(f, name);
        Steps.reach("unserve.removed");
        try {
            for (Path p : places(inst, name)) {
                unmountPlace(name, p.toString(), detach, debug);
            }
        } catch (VsysException e) {
            putBack(f, old, name);
            throw new VsysException(e.exitCode(), name, e.why() + "; its entry is kept"
                    + (e.exitCode() == ExitCode.BUSY ? " (--force detaches lazily)" : ""), e);
        }
        Links.removeIfOurs(inst.link(name));
        removeRecord(inst, name);
    }

    /**
     * Unmounts what autofs has at {@code mp} (a system's place), deepest first, without detaching
     * ({@code detach}: the tops lazily); a mount in use stops it (exit 11). Only mount points the
     * table lists are looked up.
     */
    public static void unmountPlace(String name, String mp, boolean detach, Debug debug) throws VsysException {
        Posix posix = Posix.get();
        for (int round = 0; round < 8; round++) {
            MountTable table = MountTable.read();
            List<MountTable.Mount> plan = detach ? UnmountPlan.tops(table, mp) : UnmountPlan.of(table, mp);
            if (plan.isEmpty()) {
                return;
            }
            for (MountTable.Mount m : plan) {
                try {
                    posix.umount2(m.mountPoint(), Posix.UMOUNT_NOFOLLOW | (detach ? Posix.MNT_DETACH : 0));
                    debug.line((detach ? "detached " : "unmounted ") + m.mountPoint() + " (" + m.fsType() + ")");
                } catch (PosixException e) {
                    if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                        continue; // expired meanwhile: the next round reads the table again
                    }
                    if (e.errno() == Errno.EBUSY) {
                        List<Processes.Holder> h = Processes.usingDir(Path.of(mp));
                        throw new VsysException(ExitCode.BUSY, name, "mounted by autofs and in use"
                                + (h.isEmpty() ? "" : ": " + Processes.describe(h)));
                    }
                    throw new VsysException(ExitCode.MOUNT_FAILED, name, "cannot unmount " + m.mountPoint() + ": " + e.reason(), e);
                }
            }
        }
        throw new VsysException(ExitCode.MOUNT_FAILED, name, "mounts remain under " + mp + " after 8 rounds");
    }

    /**
     * Removes the on-demand record of {@code name} (after its entry: an entry is never left without
     * its record) and its empty {@code R/.var/NAME/tmp} and {@code R/.var/NAME} (rmdir: files users
     * left in its /var/tmp stay).
     */
    public static void removeRecord(Installation inst, String name) throws VsysException {
        remove(recordFile(inst, name), name);
        Path var = inst.root().resolve(".var").resolve(name);
        for (Path d : List.of(var.resolve("tmp"), var)) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                break; // not empty: left
            }
        }
    }

    private static void remove(Path f, String name) throws VsysException {
        try {
            AtomicFile.removeDurably(f);
        } catch (NoSuchFileException e) {
            // gone meanwhile
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, name, "cannot remove the autofs entry: " + e.getMessage(), e);
        }
    }

    private static void putBack(Path f, byte[] old, String name) throws VsysException {
        try {
            AtomicFile.write(f, old);
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, name, "cannot write the autofs entry back: " + e.getMessage(), e);
        }
    }
}
