package org.vsys.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Map;

import org.vsys.linux.PosixException;
import org.vsys.linux.Xattrs;
import org.vsys.linux.Inodes;
import org.vsys.linux.Errno;

/**
 * One entry of a layer or of a lower tree, read with one lstat (never following a symlink):
 * its kind, owner, mode, size, mtime, a symlink's target, and for a directory of an upper layer
 * whether it is opaque ({@code trusted.overlay.opaque=y}). An overlay whiteout (a character
 * device 0:0) is kind {@code 'w'}.
 */
public final class Node {
    /** f file, d directory, l symlink, w whiteout, c b p s other special files. */
    public final char kind;
    public final int mode;
    public final int uid;
    public final int gid;
    public final long size;
    public final FileTime mtime;
    public final long rdev;
    public final String target;
    public final boolean opaque;

    private Node(char kind, int mode, int uid, int gid, long size, FileTime mtime, long rdev, String target, boolean opaque) {
        this.kind = kind;
        this.mode = mode;
        this.uid = uid;
        this.gid = gid;
        this.size = size;
        this.mtime = mtime;
        this.rdev = rdev;
        this.target = target;
        this.opaque = opaque;
    }

    /** The entry at {@code p}, or null when there is none. {@code upper}: read the opaque mark of a directory. */
    public static Node of(Path p, boolean upper) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,rdev", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (java.nio.file.FileSystemException e) {
            if (e.getMessage() != null && e.getMessage().contains("Not a directory")) {
                return null; // a parent is not a directory: nothing there
            }
            throw e;
        }
        int mode = (Integer) a.get("mode");
        long rdev = (Long) a.get("rdev");
        char kind;
        switch (mode & 0170000) {
            case 0100000: kind = 'f'; break;
            case 0040000: kind = 'd'; break;
            case 0120000: kind = 'l'; break;
            case 0020000: kind = rdev == 0 ? 'w' : 'c'; break;
            case 0060000: kind = 'b'; break;
            case 0010000: kind = 'p'; break;
            default: kind = 's';
        }
        String target = kind == 'l' ? Files.readSymbolicLink(p).toString() : null;
        boolean opaque = false;
        if (upper && kind == 'd') {
            opaque = isOpaque(p);
        }
        return new Node(kind, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("size"),
                (FileTime) a.get("lastModifiedTime"), rdev, target, opaque);
    }

    static final byte[] OPAQUE = "trusted.overlay.opaque".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static boolean isOpaque(Path p) throws IOException {
        try {
            byte[] v = Xattrs.get().get(Inodes.cstr(p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)), OPAQUE);
            return v != null && v.length >= 1 && v[0] == 'y';
        } catch (PosixException e) {
            if (e.errno() == Errno.ENOTSUP) {
                return false;
            }
            throw new IOException(e.getMessage(), e);
        }
    }

    public boolean isDir() {
        return kind == 'd';
    }

    /** The entry's owner and mode equal {@code o}'s (mtime left out). */
    public boolean sameOwnerMode(Node o) {
        return o != null && mode == o.mode && uid == o.uid && gid == o.gid;
    }

    /** Same kind and same content: the bytes of a file, a symlink's target, a device number. */
    public static boolean sameContent(Node a, Path pa, Node b, Path pb) throws IOException {
        if (a.kind != b.kind) {
            return false;
        }
        switch (a.kind) {
            case 'f':
                return a.size == b.size && sameBytes(pa, pb);
            case 'l':
                return a.target.equals(b.target);
            case 'c':
            case 'b':
                return a.rdev == b.rdev;
            default:
                return true;
        }
    }

    static boolean sameBytes(Path a, Path b) throws IOException {
        try (InputStream ia = Files.newInputStream(a, LinkOption.NOFOLLOW_LINKS);
                InputStream ib = Files.newInputStream(b, LinkOption.NOFOLLOW_LINKS)) {
            byte[] ba = new byte[65536];
            byte[] bb = new byte[65536];
            while (true) {
                int na = ia.readNBytes(ba, 0, ba.length);
                int nb = ib.readNBytes(bb, 0, bb.length);
                if (na != nb || !Arrays.equals(ba, 0, na, bb, 0, nb)) {
                    return false;
                }
                if (na == 0) {
                    return true;
                }
            }
        }
    }
}
