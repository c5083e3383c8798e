package org.vsys.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One SHA-256 over a whole tree: for every entry (sorted, not following symlinks, not crossing
 * mounts is not needed for the trees we hash) its relative path, mode, uid, gid, and the content
 * of regular files or the target of symlinks.
 */
public final class TreeHash {
    private TreeHash() {
    }

    public record Result(String sha256, long entries, long bytes) {
    }

    public static Result of(Path root) {
        try {
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            long entries = 0;
            long bytes = 0;
            List<Path> paths;
            try (Stream<Path> s = Files.walk(root)) {
                paths = s.sorted().toList();
            }
            for (Path p : paths) {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                String head = root.relativize(p) + "\0" + Integer.toOctalString((Integer) a.get("mode")) + "\0"
                        + a.get("uid") + "\0" + a.get("gid") + "\0";
                all.update(head.getBytes(StandardCharsets.UTF_8));
                if (Files.isSymbolicLink(p)) {
                    all.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                        for (int n; (n = in.read(buf)) > 0;) {
                            all.update(buf, 0, n);
                            bytes += n;
                        }
                    }
                }
                all.update((byte) '\n');
                entries++;
            }
            return new Result(HexFormat.of().formatHex(all.digest()), entries, bytes);
        } catch (IOException e) {
            throw new AssertionError("cannot hash " + root + ": " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
