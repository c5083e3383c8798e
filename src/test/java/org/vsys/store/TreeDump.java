package org.vsys.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.vsys.linux.Xattrs;


/**
 * One line per entry of a tree, for comparing a checkout with its source: path bytes (through the
 * URI, exact for any name), type and mode, uid, gid, size, mtime in ns, xattrs, link target,
 * SHA-256 of the content. The root's own line has path ".".
 */
public final class TreeDump {
    private TreeDump() {
    }

    public static List<String> of(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(root)) {
            paths = new ArrayList<>(s.toList());
        }
        String base = root.toUri().getRawPath();
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            String rel = p.toUri().getRawPath();
            rel = rel.length() <= base.length() ? "." : rel.substring(base.length());
            if (rel.endsWith("/")) {
                rel = rel.substring(0, rel.length() - 1);
            }
            out.add(rel + " " + line(p));
        }
        out.sort(null);
        return out;
    }

    static String line(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,rdev", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        StringBuilder sb = new StringBuilder();
        sb.append(Integer.toOctalString(mode)).append(' ').append(a.get("uid")).append(' ').append(a.get("gid"));
        boolean dir = (mode & 0170000) == 0040000;
        sb.append(' ').append(dir ? "-" : a.get("size"));
        FileTime t = (FileTime) a.get("lastModifiedTime");
        sb.append(' ').append(t.toInstant().getEpochSecond()).append('.').append(t.toInstant().getNano());
        if ((mode & 0170000) == 0020000 || (mode & 0170000) == 0060000) {
            sb.append(" rdev=").append(a.get("rdev"));
        }
        byte[] cp = RawPaths.cpath(p);
        List<byte[]> names = Xattrs.get().list(cp);
        if (names != null) {
            names.sort(Arrays::compareUnsigned);
            for (byte[] n : names) {
                sb.append(" x:").append(Escape.of(n)).append('=').append(Escape.of(Xattrs.get().get(cp, n)));
            }
        }
        if (Files.isSymbolicLink(p)) {
            sb.append(" -> ").append(Files.readSymbolicLink(p).toUri().getRawPath());
        } else if ((mode & 0170000) == 0100000) {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 16];
                try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                    for (int n; (n = in.read(buf)) > 0;) {
                        md.update(buf, 0, n);
                    }
                }
                sb.append(' ').append(HexFormat.of().formatHex(md.digest()));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return sb.toString();
    }
}
