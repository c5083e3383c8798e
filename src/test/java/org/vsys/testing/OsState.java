package org.vsys.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What vsys may change on disk: the entries of /OS, the contents of /OS/bin, /OS/etc (records
 * with their bytes) and the private state directories, and the mount table entries under /OS or
 * of network filesystems. Two snapshots are equal when a failed command changed nothing.
 */
public final class OsState {
    private OsState() {
    }

    /** Names of /OS that are vsys's own infrastructure, never a system. */
    public static final Set<String> INFRA = Set.of("bin", "etc", "systems", "aliases", "vsys.conf", ".root", ".ns", ".var",
            ".state", ".lock");

    /**
     * A snapshot for comparing before and after a command that must change nothing. Under
     * CI=true (an exclusive machine) it is {@link #take()}. On a shared workstation other people's
     * systems come and go meanwhile, so lines about names that are neither infrastructure, nor
     * test systems ({@code it-*}), nor named in {@code args} are left out.
     */
    public static String takeFor(Collection<String> args) {
        String all = take();
        if (ItEnv.CI) {
            return all;
        }
        StringBuilder b = new StringBuilder();
        for (String line : all.split("\n")) {
            String name = systemNameOf(line);
            if (name == null || INFRA.contains(name) || name.startsWith("it-") || args.contains(name)) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    /** The system/alias name a snapshot line is about, or null. */
    public static String systemNameOf(String line) {
        String p = line.split(" ", 2)[0];
        for (String dir : List.of("/OS/bin/", "/OS/etc/systems/", "/OS/etc/aliases/", "/OS/.ns/", "/OS/.var/",
                "/OS/.state/", "/OS/")) {
            if (p.startsWith(dir)) {
                String rest = p.substring(dir.length());
                int slash = rest.indexOf('/');
                String n = slash < 0 ? rest : rest.substring(0, slash);
                if (dir.equals("/OS/.state/") && n.endsWith(".pid")) {
                    n = n.substring(0, n.length() - 4);
                }
                if (dir.equals("/OS/") && (n.equals("bin") || n.equals("etc") || n.startsWith("."))
                        && slash >= 0) {
                    return null; // a deeper path of infrastructure: handled by the longer prefixes
                }
                return n;
            }
        }
        return null;
    }

    public static String take() {
        List<String> lines = new ArrayList<>();
        Path r = ItEnv.R;
        list(r, lines, false);
        for (String d : List.of("bin", "etc", "etc/systems", "etc/aliases", ".state")) {
            list(r.resolve(d), lines, true);
        }
        for (String d : List.of(".var", ".ns")) { // .ns holds nsfs binds: listed, never read
            list(r.resolve(d), lines, false);
        }
        lines.add("-- mounts");
        lines.addAll(mounts());
        return String.join("\n", lines);
    }

    /** The mount table lines that concern vsys: mount point, type and source. */
    public static List<String> mounts() {
        List<String> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
                String[] f = l.split(" ");
                int dash = List.of(f).indexOf("-");
                String mp = f[4];
                String type = f[dash + 1];
                String src = f[dash + 2];
                if (mp.startsWith("/OS/.root/home/") || mp.startsWith("/OS/.root/tmp/")) {
                    continue; // host mounts under /home and /tmp, propagated into the shared tree
                }
                if (mp.equals("/OS") || mp.startsWith("/OS/") || type.startsWith("fuse.sshfs") || type.startsWith("nfs")) {
                    out.add(mp + " " + type + " " + src);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        out.sort(null);
        return out;
    }

    /** Mount points at or below dir, from the host mount table. */
    public static List<String> mountPointsUnder(Path dir) {
        List<String> out = new ArrayList<>();
        String d = dir.toString();
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
                String mp = l.split(" ")[4].replace("\\040", " ");
                if (mp.equals(d) || mp.startsWith(d + "/")) {
                    out.add(mp);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    private static void list(Path dir, List<String> lines, boolean hashFiles) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            lines.add(dir + " absent");
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (p.getFileName().toString().equals(".lock")) {
                    continue; // the lock file appears with the first vsys run: not a change of state
                }
                lines.add(describe(p, hashFiles));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public static String describe(Path p, boolean hashFiles) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        StringBuilder b = new StringBuilder(p.toString()).append(' ')
                .append(Integer.toOctalString((Integer) a.get("mode"))).append(' ')
                .append(a.get("uid")).append(':').append(a.get("gid"));
        if (Files.isSymbolicLink(p)) {
            b.append(" -> ").append(Files.readSymbolicLink(p));
        } else if (hashFiles && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            b.append(" sha256=").append(sha256(p));
        }
        return b.toString();
    }

    public static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Equal snapshots, else a failure that shows the lines that differ. */
    public static void assertUnchanged(String before, String after, Cmd.Result r) {
        if (before.equals(after)) {
            return;
        }
        List<String> b = List.of(before.split("\n"));
        List<String> a = List.of(after.split("\n"));
        StringBuilder d = new StringBuilder();
        b.stream().filter(l -> !a.contains(l)).forEach(l -> d.append("\n  - ").append(l));
        a.stream().filter(l -> !b.contains(l)).forEach(l -> d.append("\n  + ").append(l));
        org.junit.jupiter.api.Assertions.fail("changed on disk after: " + r + d);
    }
}
