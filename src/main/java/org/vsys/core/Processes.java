package org.vsys.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.vsys.config.Installation;
import org.vsys.mount.MountTable;

/**
 * Who uses a system: processes whose mount namespace is the system's prepared one (they run
 * inside through the launcher), processes in a session namespace of it (layer=session: the
 * visible root is the launcher's overlay, source {@code vsys-session:NAME}), and processes on the host with their cwd, root, an open file or a
 * mapped file under {@code R/<name>}. Read from /proc only; nothing here touches the system's
 * filesystems, so a dead server cannot hang it.
 */
public final class Processes {

    /** One process and how it holds the system. */
    public record Holder(long pid, String command, String how) {
        @Override
        public String toString() {
            return "pid " + pid + " (" + command + ") " + how;
        }
    }

    private Processes() {
    }

    /** The inode of a namespace file, or -1. Reads the nsfs bind without following anything else. */
    static long nsInode(Path nsFile) {
        try {
            Object o = Files.getAttribute(nsFile, "unix:ino");
            return ((Number) o).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public static List<Holder> using(Installation inst, String name) {
        return using(inst, List.of(name)).get(0);
    }

    /**
     * One pass over /proc for several systems at once: for each system of {@code names} (same
     * index), the processes that hold it.
     */
    public static List<List<Holder>> using(Installation inst, List<String> names) {
        List<Path> systemDirs = new ArrayList<>();
        List<Path> nsFiles = new ArrayList<>();
        for (String name : names) {
            systemDirs.add(inst.systemDir(name));
            nsFiles.add(inst.nsFile(name));
        }
        return using(systemDirs, nsFiles, names.toArray(new String[0]), kmodLinks(inst.kmodProcs()));
    }

    /**
     * The processes with their cwd, root, an open or a mapped file under {@code dir} (an on-demand
     * system's {@code R/.auto/NAME}); no namespace of its own. Reads /proc only.
     */
    public static List<Holder> usingDir(Path dir) {
        java.util.List<Path> ns = new ArrayList<>();
        ns.add(null);
        return using(List.of(dir), ns, new String[] {dir.getFileName().toString()}, java.util.Map.of()).get(0);
    }

    private static List<List<Holder>> using(List<Path> systemDirs, List<Path> nsFiles, String[] names,
            java.util.Map<Long, String> kmodLinks) {
        int n = systemDirs.size();
        String[] dirs = new String[n];
        String[] nsLinks = new String[n];
        List<List<Holder>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            dirs[i] = systemDirs.get(i).toString();
            long ino = nsFiles.get(i) != null && Files.exists(nsFiles.get(i)) ? nsInode(nsFiles.get(i)) : -1;
            nsLinks[i] = ino > 0 ? "mnt:[" + ino + "]" : null;
            out.add(new ArrayList<>());
        }
        if (n == 0) {
            return out;
        }
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = n - 1; i >= 0; i--) {
            index.put(dirs[i], i);
        }
        long self = ProcessHandle.current().pid();
        java.util.Map<String, Integer> sessions = new java.util.HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isPid(p.getFileName().toString()))) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid == self) {
                    continue;
                }
                holds(proc, pid, index, nsLinks, kmodLinks.isEmpty() ? null : kmodLinks.get(pid), names, sessions, out);
            }
        } catch (IOException e) {
            // /proc unreadable: report nothing rather than fail
        }
        return out;
    }

    private static boolean isPid(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Which system (index) a path is under, or -1: the path and each of its ancestors looked up in
     * {@code index} (system directory to index), so the cost is the path's depth, not the number
     * of systems.
     */
    private static int owner(String path, java.util.Map<String, Integer> index, boolean[] done) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return -1;
        }
        String p = path;
        while (p.length() > 1) {
            Integer i = index.get(p);
            if (i != null) {
                return done[i] ? -1 : i;
            }
            int slash = p.lastIndexOf('/');
            p = slash <= 0 ? "/" : p.substring(0, slash);
        }
        Integer i = index.get("/");
        return i != null && !done[i] ? i : -1;
    }

    /**
     * The kmod link mode's table of linked processes ({@code procs}: "TGID NAME" lines,
     * root-readable); empty when the module is not mounted there (namespace mode).
     */
    static java.util.Map<Long, String> kmodLinks(Path procs) {
        java.util.Map<Long, String> out = new java.util.HashMap<>();
        try {
            if (!Files.isRegularFile(procs)) {
                return out;
            }
            for (String line : Files.readAllLines(procs, StandardCharsets.UTF_8)) {
                // "TGID NAME UID" (the uid it was linked for; older modules: "TGID NAME")
                String[] w = line.strip().split(" ");
                if (w.length >= 2 && isPid(w[0]) && !w[1].isEmpty()) {
                    out.put(Long.parseLong(w[0]), w[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not the module's table, or gone: nothing linked
        }
        return out;
    }

    /** The mountinfo source of a session layer's overlay (native/enter.c). */
    static final String SESSION_SOURCE = "vsys-session:";

    /**
     * The system whose session layer is the root of the mount namespace of {@code proc} (its
     * mountinfo has the overlay {@code vsys-session:NAME} at "/"), as an index of {@code names},
     * or -1. Read once per namespace ({@code cache}: the ns/mnt link to the answer).
     */
    static int sessionOf(Path proc, String mnt, String[] names, java.util.Map<String, Integer> cache) {
        if (mnt == null) {
            return -1;
        }
        Integer known = cache.get(mnt);
        if (known != null) {
            return known;
        }
        int found = -1;
        try {
            MountTable.Mount root = MountTable.read(proc.resolve("mountinfo")).at("/");
            if (root != null && root.fsType().equals("overlay") && root.source().startsWith(SESSION_SOURCE)) {
                String n = root.source().substring(SESSION_SOURCE.length());
                for (int i = 0; i < names.length && found < 0; i++) {
                    if (names[i].equals(n)) {
                        found = i;
                    }
                }
            }
        } catch (RuntimeException e) {
            return -1; // gone, or not ours to read: asked again for the next process
        }
        cache.put(mnt, found);
        return found;
    }

    private static void holds(Path proc, long pid, java.util.Map<String, Integer> dirs, String[] nsLinks, String kmodLink,
            String[] names, java.util.Map<String, Integer> sessions, List<List<Holder>> out) {
        boolean[] done = new boolean[names.length];
        int left = names.length;
        String cmd = null;
        String mnt = link(proc.resolve("ns/mnt"));
        boolean inSystem = false;
        for (int i = 0; i < names.length; i++) {
            if (nsLinks[i] != null && nsLinks[i].equals(mnt)) {
                inSystem = true;
                out.get(i).add(new Holder(pid, cmd = command(proc), "runs inside the system"));
                done[i] = true;
                left--;
            } else if (kmodLink != null && kmodLink.equals(names[i])) {
                out.get(i).add(new Holder(pid, cmd = command(proc), "runs inside the system (kmod link)"));
                done[i] = true;
                left--;
            }
        }
        int i = inSystem || kmodLink != null ? -1 : sessionOf(proc, mnt, names, sessions);
        if (i >= 0 && !done[i]) {
            out.get(i).add(new Holder(pid, cmd = command(proc), "runs inside the system (session layer)"));
            done[i] = true;
            left--;
        }
        String cwd = link(proc.resolve("cwd"));
        i = owner(cwd, dirs, done);
        if (i >= 0) {
            out.get(i).add(new Holder(pid, cmd == null ? cmd = command(proc) : cmd, "has its working directory in " + cwd));
            done[i] = true;
            left--;
        }
        String root = link(proc.resolve("root"));
        i = owner(root, dirs, done);
        if (i >= 0) {
            out.get(i).add(new Holder(pid, cmd == null ? cmd = command(proc) : cmd, "has its root in " + root));
            done[i] = true;
            left--;
        }
        if (left == 0) {
            return;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                String t = link(fd);
                i = owner(t, dirs, done);
                if (i >= 0) {
                    out.get(i).add(new Holder(pid, cmd == null ? cmd = command(proc) : cmd, "has " + t + " open"));
                    done[i] = true;
                    left--;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or not ours to read
        }
        if (left == 0) {
            return;
        }
        try {
            for (String line : Files.readAllLines(proc.resolve("maps"), StandardCharsets.UTF_8)) {
                int slash = line.indexOf('/');
                if (slash > 0) {
                    String path = line.substring(slash);
                    i = owner(path, dirs, done);
                    if (i >= 0) {
                        out.get(i).add(new Holder(pid, cmd == null ? cmd = command(proc) : cmd, "maps " + path));
                        done[i] = true;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
    }

    static String command(Path proc) {
        try {
            return Files.readString(proc.resolve("comm"), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** One line for an error message: the first holder and how many more. */
    public static String describe(List<Holder> holders) {
        if (holders.isEmpty()) {
            return "";
        }
        String s = holders.get(0).toString();
        return holders.size() == 1 ? s : s + " and " + (holders.size() - 1) + " more";
    }
}
