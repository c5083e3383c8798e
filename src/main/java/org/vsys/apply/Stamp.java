package org.vsys.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.vsys.base.AtomicFile;
import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.SystemRecord;
import org.vsys.core.Automap;
import org.vsys.core.Records;
import org.vsys.core.SystemMounts;
import org.vsys.base.Debug;
import org.vsys.mount.MountTable;

/**
 * The quick check of {@code vsys apply} with nothing to do (as make, rsync and git's index do it):
 * after an apply that left every declared system as declared, {@code R/.state/apply-HASH.stamp}
 * (HASH of the declarations directory) holds a digest of the metadata of everything the plan
 * and recovery read for its systems (the declarations directory and each file in it; of each
 * declared or planned name its record, alias record, autofs entry and launcher link, by inode,
 * size, mtime and ctime, and its names in R, R/.private and R/.state; vsys.conf, the vsys jar,
 * each local source directory) and the mount points the declared systems need. The next
 * apply first computes the same digest from lstat alone (no file is read or parsed): equal, and
 * every listed mount point in the mount table, means the plan would be all {@code leave}, and it
 * says so without reading the declarations. Anything else is a full apply, as without a stamp.
 * A file changed within a second of the digest ("racily clean", as git calls it) cannot be told
 * from an unchanged one by its times: then no stamp is written.
 */
final class Stamp {
    private static final String MAGIC = "vsys-apply-stamp 1";
    private static final long RACY_NANOS = 1_000_000_000L;

    /** The digest and the newest mtime/ctime seen, in ns since the epoch. */
    record Digest(String hex, long newest) {
    }

    private Stamp() {
    }

    static Path file(Installation inst, Path declDir) {
        return inst.stateDir().resolve("apply-" + sha256(declDir.toString()).substring(0, 16) + ".stamp");
    }

    /**
     * The number of declared systems when the stamp says the plan for {@code declDir} is all
     * {@code leave}; null when it cannot say so (no stamp, anything changed, a mount gone).
     */
    static Integer nothingChanged(Installation inst, Path declDir) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file(inst, declDir), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (lines.size() < 3 || !lines.get(0).equals(MAGIC) || !lines.get(1).startsWith("digest ")
                || !lines.get(2).startsWith("systems ")) {
            return null;
        }
        List<String> sources = new ArrayList<>();
        List<String> mounts = new ArrayList<>();
        Set<String> names = new TreeSet<>();
        for (String l : lines.subList(3, lines.size())) {
            if (l.startsWith("source ")) {
                sources.add(l.substring(7));
            } else if (l.startsWith("name ")) {
                names.add(l.substring(5));
            } else if (l.startsWith("mount ")) {
                mounts.add(l.substring(6));
            } else {
                return null;
            }
        }
        Digest d = digest(inst, declDir, names, sources);
        if (d == null || !lines.get(1).equals("digest " + d.hex())) {
            return null;
        }
        Set<String> present = new HashSet<>();
        for (MountTable.Mount m : MountTable.read().mounts()) {
            present.add(m.mountPoint());
        }
        for (String m : mounts) {
            if (!present.contains(m)) {
                return null;
            }
        }
        try {
            return Integer.parseInt(lines.get(2).substring(8));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * After an apply whose every step was done or {@code leave}, with no bad declaration: writes the
     * stamp of the state now, under the lock the caller holds. Not written (and an old one removed)
     * when a file is too new to be told apart by its times, or a declared system lacks a mount.
     */
    static void write(Installation inst, Declarations decls, Plan plan, Debug debug) {
        Path f = file(inst, decls.dir());
        try {
            Files.deleteIfExists(f);
            String origin = SystemRecord.declaredIn(decls.dir().toString());
            Set<String> sources = new TreeSet<>();
            for (Declaration d : decls.declared()) {
                sources.add(d.request().source);
                for (String m : d.request().mounts) {
                    sources.add(m.substring(m.indexOf('=') + 1));
                }
            }
            List<String> local = new ArrayList<>();
            for (String s : sources) {
                if (s.startsWith("dir:")) {
                    local.add(s.substring(4));
                } else if (s.startsWith("/")) {
                    local.add(s);
                }
            }
            MountTable table = MountTable.read();
            Set<String> present = new HashSet<>();
            for (MountTable.Mount m : table.mounts()) {
                present.add(m.mountPoint());
            }
            Records records = new Records(inst);
            List<String> mounts = new ArrayList<>();
            for (Declaration d : decls.declared()) {
                if (d.autofsEntry() != null) {
                    continue;
                }
                SystemRecord rec = records.system(d.name());
                if (rec == null || rec.state() != SystemRecord.State.READY || !origin.equals(rec.origin())) {
                    return;
                }
                SystemMounts sm = new SystemMounts(inst, rec, Debug.off());
                for (FsEntry fs : rec.filesystems()) {
                    String t = sm.target(fs).toString();
                    if (!present.contains(t)) {
                        return;
                    }
                    mounts.add(t);
                }
                String ns = inst.nsFile(rec.name()).toString();
                String km = inst.kmodTree(rec.name()).toString();
                if (present.contains(ns)) {
                    mounts.add(ns);
                } else if (present.contains(km)) {
                    mounts.add(km);
                } else {
                    return;
                }
            }
            if (!Files.exists(inst.stateDir(), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(inst.stateDir(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            Set<String> names = new TreeSet<>();
            for (Declaration d : decls.declared()) {
                names.add(d.name());
                names.addAll(d.aliases());
            }
            for (Plan.Step st : plan.steps()) {
                names.add(st.name());
            }
            Digest dg = digest(inst, decls.dir(), names, local);
            if (dg == null || dg.newest() >= System.currentTimeMillis() * 1_000_000L - RACY_NANOS) {
                debug.line("apply: no stamp (a file changed within the last second)");
                return;
            }
            StringBuilder b = new StringBuilder(64 * (mounts.size() + local.size() + 3));
            b.append(MAGIC).append('\n').append("digest ").append(dg.hex()).append('\n')
                    .append("systems ").append(decls.declared().size()).append('\n');
            for (String s : local) {
                b.append("source ").append(s).append('\n');
            }
            for (String n : names) {
                b.append("name ").append(n).append('\n');
            }
            for (String m : mounts) {
                b.append("mount ").append(m).append('\n');
            }
            if (Files.isDirectory(inst.stateDir(), LinkOption.NOFOLLOW_LINKS)) {
                AtomicFile.write(f, b.toString().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | org.vsys.base.VsysException | RuntimeException e) {
            debug.line("apply: no stamp: " + e);
        }
    }

    /**
     * The digest of the state now; null when something cannot be read. Of the installation only
     * what concerns {@code names} (the declared systems and aliases and those the last plan named):
     * systems made or removed meanwhile by hand or by another directory's apply do not change this
     * plan, and recovery of theirs is the next command's.
     */
    static Digest digest(Installation inst, Path declDir, Set<String> names, List<String> localSources) {
        StringBuilder b = new StringBuilder(1 << 16);
        long[] newest = {0};
        try {
            b.append("decl ").append(declDir).append('\n');
            stat(b, declDir, newest); // its mtime: a file added and removed again shows
            entries(b, declDir, null, newest, true);
            for (Path p : List.of(inst.confFile(), inst.oldConf(), inst.etc().resolve("auto.vsys"), jar())) {
                stat(b, p, newest);
            }
            for (Path d : List.of(inst.systems(), inst.aliases(), Automap.dir(inst), Automap.recordDir(inst), inst.bin())) {
                b.append("dir ").append(d).append('\n');
                entries(b, d, names, newest, true);
            }
            for (Path d : List.of(inst.root(), inst.privateRoot(), inst.stateDir(), inst.root().resolve(".var"))) {
                b.append("names ").append(d).append('\n');
                entries(b, d, names, newest, false);
            }
            for (String s : localSources) {
                stat(b, Path.of(s), null);
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return new Digest(sha256(b.toString()), newest[0]);
    }

    /**
     * The entries of {@code dir}, sorted, with their lstat ({@code withStat}) or by name only; with
     * {@code names}, only those of a name there: {@code NAME}, {@code NAME.*} (markers, pid files)
     * and {@code .NAME.*} (temporary files of a writer).
     */
    private static void entries(StringBuilder b, Path dir, Set<String> names, long[] newest, boolean withStat)
            throws IOException {
        String[] list;
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || (list = dir.toFile().list()) == null) {
            b.append("-\n");
            return;
        }
        Arrays.sort(list);
        for (String n : list) {
            if (n.startsWith("apply-") && n.endsWith(".stamp")) {
                continue; // the stamps themselves
            }
            if (names != null && !concerns(n, names)) {
                continue;
            }
            if (withStat) {
                stat(b, dir.resolve(n), newest);
            } else {
                b.append(n).append('\n');
            }
        }
    }

    private static boolean concerns(String entry, Set<String> names) {
        String e = entry.startsWith(".") ? entry.substring(1) : entry;
        if (names.contains(e)) {
            return true;
        }
        for (int dot = e.indexOf('.'); dot > 0; dot = e.indexOf('.', dot + 1)) {
            if (names.contains(e.substring(0, dot))) {
                return true; // a name may hold dots itself
            }
        }
        return false;
    }

    private static void stat(StringBuilder b, Path p, long[] newest) throws IOException {
        b.append(p.getFileName()).append(' ');
        Map<String, Object> a;
        try {
            a = Files.readAttributes(p, "unix:ino,size,lastModifiedTime,ctime,mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            b.append("-\n");
            return;
        }
        long m = nanos((FileTime) a.get("lastModifiedTime"));
        long c = nanos((FileTime) a.get("ctime"));
        b.append(a.get("ino")).append(' ').append(a.get("size")).append(' ').append(m).append(' ').append(c).append(' ')
                .append(a.get("mode")).append('\n');
        if (newest != null) {
            newest[0] = Math.max(newest[0], Math.max(m, c));
        }
    }

    private static long nanos(FileTime t) {
        java.time.Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** The jar (or class directory) this code runs from: a new vsys plans anew. */
    private static Path jar() {
        try {
            return Path.of(Stamp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            return Path.of("/nonexistent");
        }
    }

    static String sha256(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder(64);
            for (byte x : h) {
                b.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
            }
            return b.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
