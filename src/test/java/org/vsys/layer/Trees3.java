package org.vsys.layer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.vsys.linux.Xattrs;
import org.vsys.linux.Inodes;


/**
 * Test trees from specs, and what an overlay of an upper over a lower shows at a path (the
 * kernel's rule: an upper whiteout hides, an upper non-directory wins, an upper opaque directory
 * hides the lower one, an upper directory otherwise merges).
 */
final class Trees3 {
    private Trees3() {
    }

    /** spec: {@code f:CONTENT}, {@code x:CONTENT} (mode 0600), {@code d}, {@code o} (opaque dir), {@code l:TARGET}, {@code w} (whiteout). */
    static void put(Path root, String rel, String spec) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        char k = spec.charAt(0);
        String v = spec.length() > 2 ? spec.substring(2) : "";
        switch (k) {
            case 'f', 'x' -> {
                Files.writeString(p, v);
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(k == 'x' ? "rw-------" : "rw-r--r--"));
            }
            case 'd' -> Files.createDirectories(p);
            case 'o' -> {
                Files.createDirectories(p);
                try {
                    Xattrs.get().set(Inodes.cstr(p.toString().getBytes(StandardCharsets.UTF_8)), Node.OPAQUE, new byte[] {'y'});
                } catch (org.vsys.linux.PosixException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
            case 'l' -> Files.createSymbolicLink(p, Path.of(v));
            case 'w' -> {
                try {
                    Inodes.get().mknod(Inodes.cstr(p.toString().getBytes(StandardCharsets.UTF_8)), 0020000, 0);
                } catch (org.vsys.linux.PosixException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
            default -> throw new IllegalArgumentException(spec);
        }
    }

    static void build(Path root, Map<String, String> specs) throws IOException {
        Files.createDirectories(root);
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(specs).entrySet()) {
            put(root, e.getKey(), e.getValue());
        }
    }

    /** What a path shows: {@code f:CONTENT} (x: for mode 0600), {@code l:TARGET}, {@code d}, or null when absent. */
    static String show(Path upper, Path lower, String rel) throws IOException {
        Path u = upper;
        Path l = lower;
        boolean lowerOn = true;
        String[] parts = rel.split("/");
        for (int i = 0; i < parts.length; i++) {
            u = u == null ? null : u.resolve(parts[i]);
            l = l.resolve(parts[i]);
            Node nu = u == null ? null : Node.of(u, true);
            Node nl = lowerOn ? Node.of(l, false) : null;
            boolean last = i == parts.length - 1;
            if (nu != null) {
                if (nu.kind == 'w') {
                    return null;
                }
                if (!nu.isDir() || nu.opaque || nl == null || !nl.isDir()) {
                    lowerOn = false; // the upper entry alone
                }
                if (!nu.isDir() && !last) {
                    return null;
                }
                if (last) {
                    return describe(nu, u);
                }
                continue;
            }
            u = null;
            if (nl == null || (!last && !nl.isDir())) {
                return null;
            }
            if (last) {
                return describe(nl, l);
            }
        }
        return null;
    }

    private static String describe(Node n, Path p) throws IOException {
        switch (n.kind) {
            case 'f':
                return (n.mode == 0600 ? "x:" : "f:") + Files.readString(p);
            case 'l':
                return "l:" + Files.readSymbolicLink(p);
            case 'd':
                return "d";
            default:
                return "?" + n.kind;
        }
    }

    static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }
}
