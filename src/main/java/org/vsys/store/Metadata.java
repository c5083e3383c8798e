package org.vsys.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
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
import org.vsys.linux.Xattrs;
import org.vsys.linux.Statx;
import org.vsys.linux.Inodes;
import org.vsys.linux.Errno;

/** Reads a file's metadata into an {@link Entry} (one lstat, one llistxattr) and puts it back on a file. */
public final class Metadata {
    private static final String ATTRS = "unix:mode,uid,gid,size,lastModifiedTime,ino,dev,nlink,rdev";
    static final int S_IFMT = 0170000;
    /** Devices whose filesystem answered ENOTSUP to llistxattr: not asked again (sshfs). */
    private final Set<Long> noXattrs = ConcurrentHashMap.newKeySet();

    /** Per thread: the struct statx of {@link #read}. */
    private static final ThreadLocal<byte[]> STATX = ThreadLocal.withInitial(() -> new byte[Statx.SIZE]);
    /** The statx fields read needs: type, mode, nlink, uid, gid, mtime, ino, size. */
    private static final int STATX_NEEDED = 0x35f;

    /** The entry for p (not following a symlink); name from the listing's bytes. */
    public Entry read(Path p, byte[] name) throws IOException {
        if (Statx.get().available()) {
            byte[] cp = RawPaths.cpath(p);
            byte[] b = STATX.get();
            int err = Statx.get().lstat(cp, b);
            if (err == Errno.ENOENT) {
                throw new NoSuchFileException(p.toString());
            }
            if (err != 0) {
                throw new FileSystemException(p.toString(), null, Errno.message(err));
            }
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
            if ((bb.getInt(0) & STATX_NEEDED) == STATX_NEEDED) {
                return fromStatx(p, cp, name, bb);
            }
        }
        return readNio(p, name);
    }

    /** The entry from a struct statx (see Statx.lstat): the same values as java.nio's. */
    private Entry fromStatx(Path p, byte[] cp, byte[] name, ByteBuffer bb) throws IOException {
        Entry e = new Entry();
        e.name = name;
        int mode = bb.getShort(28) & 0xffff;
        e.mode = mode & 07777;
        e.kind = kind(p, mode);
        e.nlink = bb.getInt(16) & 0xffffffffL;
        e.uid = bb.getInt(20);
        e.gid = bb.getInt(24);
        e.ino = bb.getLong(32);
        e.dev = Statx.makedev(bb.getInt(136) & 0xffffffffL, bb.getInt(140) & 0xffffffffL);
        long sec = bb.getLong(112);
        int nsec = bb.getInt(120);
        if (nsec != 0) {
            try {
                Math.addExact(nsec, Math.multiplyExact(sec, 1_000_000_000L));
            } catch (ArithmeticException x) {
                nsec = nsec / 1000 * 1000; // java.nio keeps microseconds where nanoseconds overflow a long
            }
        }
        e.mtimeSec = sec;
        e.mtimeNsec = nsec;
        switch (e.kind) {
            case 'f' -> e.size = bb.getLong(40);
            case 'l' -> {
                byte[] target = RawPaths.bytes0(Files.readSymbolicLink(p));
                e.size = target.length;
                e.ref = Escape.of(target);
            }
            case 'c', 'b' -> e.ref = Long.toString(Statx.makedev(bb.getInt(128) & 0xffffffffL, bb.getInt(132) & 0xffffffffL));
            default -> e.size = 0;
        }
        e.xattrs = xattrs(cp, e.dev);
        return e;
    }

    private static char kind(Path p, int mode) throws IOException {
        char k = kind(mode);
        if (k == 0) {
            throw new IOException(p + ": unknown file type " + Integer.toOctalString(mode & S_IFMT));
        }
        return k;
    }

    /** The tree line's KIND of a st_mode (its S_IFMT bits), or 0 for a type the store has none for. */
    public static char kind(int mode) {
        return switch (mode & S_IFMT) {
            case 0100000 -> 'f';
            case 0040000 -> 'd';
            case 0120000 -> 'l';
            case 0020000 -> 'c';
            case 0060000 -> 'b';
            case 0010000 -> 'p';
            case 0140000 -> 's';
            default -> 0;
        };
    }

    /** {@link #read} through java.nio (no statx). */
    Entry readNio(Path p, byte[] name) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
        Entry e = new Entry();
        e.name = name;
        int mode = (Integer) a.get("mode");
        e.mode = mode & 07777;
        e.kind = kind(p, mode);
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
        return xattrs(RawPaths.cpath(p), dev);
    }

    private List<byte[][]> xattrs(byte[] cp, long dev) throws IOException {
        if (noXattrs.contains(dev)) {
            return List.of();
        }
        List<byte[]> names = Xattrs.get().list(cp);
        if (names == null) {
            noXattrs.add(dev);
            return List.of();
        }
        if (names.isEmpty()) {
            return List.of();
        }
        List<byte[][]> out = new ArrayList<>();
        for (byte[] n : names) {
            byte[] v = Xattrs.get().get(cp, n);
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
    public static void apply(Path p, Entry e) throws IOException {
        byte[] cp = RawPaths.cpath(p);
        try {
            Inodes.get().lchown(cp, e.uid, e.gid);
            for (byte[][] x : e.xattrs) {
                Xattrs.get().set(cp, x[0], x[1]);
            }
            if (e.kind != 'l') {
                Inodes.get().chmod(cp, e.mode);
            }
            Inodes.get().setTimes(cp, e.mtimeSec, e.mtimeNsec, e.mtimeSec, e.mtimeNsec);
        } catch (PosixException ex) {
            throw new IOException(p + ": cannot set metadata: " + ex.getMessage(), ex);
        }
    }
}
