package org.vsys.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who uses a system: processes whose mount namespace is the system's prepared one (they run
 * inside through the launcher), and processes on the host with their cwd, root, an open file or a
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

    public static List<Holder> using(Path systemDir, Path nsFile) {
        long ns = Files.exists(nsFile) ? nsInode(nsFile) : -1;
        String dir = systemDir.toString();
        long self = ProcessHandle.current().pid();
        List<Holder> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isPid(p.getFileName().toString()))) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid == self) {
                    continue;
                }
                String how = holds(proc, dir, ns);
                if (how != null) {
                    out.add(new Holder(pid, command(proc), how));
                }
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

    private static boolean under(String path, String dir) {
        return path.equals(dir) || path.startsWith(dir + "/");
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String holds(Path proc, String dir, long ns) {
        if (ns > 0) {
            String mnt = link(proc.resolve("ns/mnt"));
            if (mnt != null && mnt.equals("mnt:[" + ns + "]")) {
                return "runs inside the system";
            }
        }
        String cwd = link(proc.resolve("cwd"));
        if (cwd != null && under(cwd, dir)) {
            return "has its working directory in " + cwd;
        }
        String root = link(proc.resolve("root"));
        if (root != null && under(root, dir)) {
            return "has its root in " + root;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                String t = link(fd);
                if (t != null && under(t, dir)) {
                    return "has " + t + " open";
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or not ours to read
        }
        try {
            for (String line : Files.readAllLines(proc.resolve("maps"), StandardCharsets.UTF_8)) {
                int slash = line.indexOf('/');
                if (slash > 0) {
                    String path = line.substring(slash);
                    if (under(path, dir)) {
                        return "maps " + path;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return null;
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
