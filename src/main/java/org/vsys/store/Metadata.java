package org.vsys.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.vsys.linux.PosixException;
import org.vsys.linux.StoreCalls;

/** Reads a file's metadata into an {@link Entry} (one lstat, one llistxattr) and puts it back on a file. */
final class Metadata {
    private static final String ATTRS = "unix:mode,uid,gid,size,lastModifiedTime,ino,dev,nlink,rdev";
    static final int S_IFMT = 0170000;
    /** Devices whose filesystem answered ENOTSUP to llistxattr: not asked again (sshfs). */
    private final Set<Long> noXattrs = ConcurrentHashMap.newKeySet();

    /** The entry for p (not following a symlink); name from the listing's bytes. */
    Entry read(Path p, byte[] name) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
        Entry e = new Entry();
        e.name = name;
        int mode = (Integer) a.get("mode");
        e.mode = mode & 07777;
        e.kind = switch (mode & S_IFMT) {
            case 0100000 -> 'f';
            case 0040000 -> 'd';
            case 0120000 -> 'l';
            case 0020000 -> 'c';
            case 0060000 -> 'b';
            case 0010000 -> 'p';
            case 0140000 -> 's';
            default -> throw new IOException(p + ": unknown file type " + Integer.toOctalString(mode & S_IFMT));
        };
        e.uid = (Integer) a.get("uid");
        e.gid = (Integer) a.get("gid");
        Instant t = ((FileTime) a.get("lastModifiedTime")).toInstant();
        e.mtimeSec = t.getEpochSecond();
        e.mtimeNsec = t.getNano();
        e.dev = (Long) a.get("dev");
        e.ino = (Long) a.get("ino");
        e.nlink = ((Number) a.get("nlink")).longValue();
        switch (e.kind) {
            case 'f' -> e.size = (Long) a.get("size");
            case 'l' -> {
                byte[] target = RawPaths.bytes0(Files.readSymbolicLink(p));
                e.size = target.length;
                e.ref = Escape.of(target);
            }
            case 'c', 'b' -> e.ref = Long.toString((Long) a.get("rdev"));
            default -> e.size = 0;
        }
        e.xattrs = xattrs(p, e.dev);
        return e;
    }

    List<byte[][]> xattrs(Path p, long dev) throws IOException {
        if (noXattrs.contains(dev)) {
            return List.of();
        }
        byte[] cp = RawPaths.cpath(p);
        List<byte[]> names = StoreCalls.listXattrs(cp);
        if (names == null) {
            noXattrs.add(dev);
            return List.of();
        }
        if (names.isEmpty()) {
            return List.of();
        }
        List<byte[][]> out = new ArrayList<>();
        for (byte[] n : names) {
            byte[] v = StoreCalls.getXattr(cp, n);
            if (v != null) {
                out.add(new byte[][] {n, v});
            }
        }
        out.sort((x, y) -> Arrays.compareUnsigned(x[0], y[0]));
        return out;
    }

    /**
     * Gives p (already of the right type and content) the entry's owner, xattrs, mode and mtime,
     * in that order: chown clears setuid bits and file capabilities, so it comes first; the mtime
     * comes last. atime is set to the mtime.
     */
    static void apply(Path p, Entry e) throws IOException {
        byte[] cp = RawPaths.cpath(p);
        try {
            StoreCalls.lchown(cp, e.uid, e.gid);
            for (byte[][] x : e.xattrs) {
                StoreCalls.setXattr(cp, x[0], x[1]);
            }
            if (e.kind != 'l') {
                StoreCalls.chmod(cp, e.mode);
            }
            StoreCalls.setTimes(cp, e.mtimeSec, e.mtimeNsec, e.mtimeSec, e.mtimeNsec);
        } catch (PosixException ex) {
            throw new IOException(p + ": cannot set metadata: " + ex.getMessage(), ex);
        }
    }
}
