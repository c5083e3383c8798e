package org.vsys.layer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import org.vsys.mount.MountTable;

/**
 * Removing and copying inside a layer's directories. Removal walks from an open directory
 * ({@link SecureDirectoryStream}: openat and unlinkat relative to the directory's fd, every
 * open with O_NOFOLLOW), so a symlink planted anywhere below is removed as a link and never
 * followed, and a directory swapped for a symlink meanwhile is refused by the open. The callers
 * first check that nothing is mounted at or below the tree (never delete across a mount).
 */
public final class Trees {
    private Trees() {
    }

    /** Refuses (IOException) when anything is mounted at or below {@code dir}. */
    public static void requireNoMountBelow(Path dir) throws IOException {
        List<MountTable.Mount> m = MountTable.read().atOrUnder(dir.toString());
        if (!m.isEmpty()) {
            throw new IOException(m.get(0).mountPoint() + " is a mount point inside " + dir + "; nothing removed");
        }
    }

    /** Opens directory {@code dir} (itself not a symlink) for relative operations. */
    public static SecureDirectoryStream<Path> open(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory (or is a symlink)");
        }
        DirectoryStream<Path> ds = Files.newDirectoryStream(dir);
        if (!(ds instanceof SecureDirectoryStream)) {
            ds.close();
            throw new IOException("no openat-based directory access on this platform");
        }
        return (SecureDirectoryStream<Path>) ds;
    }

    /** The entry {@code name} of {@code parent}, as lstat sees it, or null. */
    public static BasicFileAttributes attrs(SecureDirectoryStream<Path> parent, Path name) throws IOException {
        try {
            return parent.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Removes entry {@code name} of {@code parent} and, for a directory, everything below it. */
    public static long remove(SecureDirectoryStream<Path> parent, Path name) throws IOException {
        BasicFileAttributes a = attrs(parent, name);
        if (a == null) {
            return 0;
        }
        long n = 1;
        if (a.isDirectory()) {
            try (SecureDirectoryStream<Path> child = parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                List<Path> names = new ArrayList<>();
                for (Path p : child) {
                    names.add(p.getFileName());
                }
                for (Path c : names) {
                    n += remove(child, c);
                }
            }
            parent.deleteDirectory(name);
        } else {
            parent.deleteFile(name);
        }
        return n;
    }

    /** Removes {@code path} (a file, link or whole directory) below {@code base}, which it must be under. */
    public static long remove(Path base, Path path) throws IOException {
        Path rel = base.relativize(path);
        if (rel.toString().isEmpty() || rel.startsWith("..")) {
            throw new IOException(path + " is not below " + base);
        }
        SecureDirectoryStream<Path> d = open(base);
        try {
            for (int i = 0; i < rel.getNameCount() - 1; i++) {
                BasicFileAttributes a = attrs(d, rel.getName(i));
                if (a == null || !a.isDirectory()) {
                    return 0; // nothing there below a non-directory
                }
                SecureDirectoryStream<Path> next = d.newDirectoryStream(rel.getName(i), LinkOption.NOFOLLOW_LINKS);
                d.close();
                d = next;
            }
            return remove(d, rel.getFileName());
        } finally {
            d.close();
        }
    }

    /** Copies {@code src} to {@code dst} (absent) with owners, modes, times, xattrs and special files: {@code cp -a}. */
    public static void copy(Path src, Path dst) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("cp", "-a", "--no-target-directory", "--", src.toString(), dst.toString());
        pb.redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException("cp -a " + src + " " + dst + " failed: " + out.replace('\n', ' '));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** True when two lower trees hold the same entry at these paths (kind, owner, mode, content; recursively). */
    public static boolean sameTree(Path a, Path b) throws IOException {
        Node na = Node.of(a, false);
        Node nb = Node.of(b, false);
        if (na == null || nb == null) {
            return na == nb;
        }
        if (!Node.sameContent(na, a, nb, b) || !na.sameOwnerMode(nb)) {
            return false;
        }
        if (!na.isDir()) {
            return true;
        }
        java.util.TreeSet<String> ca = Diff.names(a);
        if (!ca.equals(Diff.names(b))) {
            return false;
        }
        for (String c : ca) {
            if (!sameTree(a.resolve(c), b.resolve(c))) {
                return false;
            }
        }
        return true;
    }
}
