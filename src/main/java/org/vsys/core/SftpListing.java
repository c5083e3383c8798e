package org.vsys.core;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.vsys.store.Entry;
import org.vsys.store.Escape;

/**
 * The listing of a remote tree over SFTP version 3 (draft-ietf-secsh-filexfer-02), the protocol
 * sshfs speaks, on a session of its own through the sshfs's ssh connection: OPENDIR, READDIR until
 * EOF and CLOSE for every directory, READLINK for every symlink, {@link #WINDOW} requests in
 * flight across the whole tree. Every entry is what the mount shows for it, from the same
 * attributes (mode, uid, gid, size, mtime in seconds; no nlink, no device numbers, no xattrs).
 * The one reader of the server's answers (docs/DESIGN.md, "Remote walk"), as hostile input: a
 * packet over {@link #MAX_PACKET} bytes, of an unknown type or for a request not in flight, an
 * entry without size, owner, permissions and times, a name that is empty or has a "/" (other than
 * "." and "..", which are skipped), a name twice in a directory, a READDIR of no names, a
 * directory path over {@link RemoteTree#MAX_PATH} bytes, more than {@link RemoteTree#MAX_LISTING_BYTES}, a type other than file, directory,
 * symlink, device, fifo or socket, a link target over {@link RemoteTree#MAX_TARGET} bytes, more than
 * {@link RemoteTree#MAX_ENTRIES} entries, or an error status are refused.
 */
final class SftpListing {
    static final int WINDOW = 64;
    static final int MAX_PACKET = 1 << 18;
    private static final int INIT = 1;
    private static final int VERSION = 2;
    private static final int CLOSE = 4;
    private static final int OPENDIR = 11;
    private static final int READDIR = 12;
    private static final int READLINK = 19;
    private static final int STATUS = 101;
    private static final int HANDLE = 102;
    private static final int NAME = 104;
    private static final int FX_EOF = 1;
    private static final int A_SIZE = 1;
    private static final int A_UIDGID = 2;
    private static final int A_PERMISSIONS = 4;
    private static final int A_ACMODTIME = 8;
    private static final int A_EXTENDED = 0x80000000;

    private final DataInputStream in;
    private final OutputStream out;
    private final byte[] root;
    private final RemoteTree.Listing listing = new RemoteTree.Listing();

    /** A request in flight: what it is for. */
    private record Pending(int type, byte[] path, String rel, byte[] handle, Entry link) {
    }

    private final Map<Integer, Pending> inFlight = new HashMap<>();
    private final ArrayDeque<Pending> toSend = new ArrayDeque<>();
    private final Map<String, Set<String>> names = new HashMap<>();
    private int nextId = 1;
    private long total;

    SftpListing(InputStream in, OutputStream out, byte[] root) {
        this.in = new DataInputStream(in);
        this.out = out;
        this.root = root;
    }

    /** Lists the whole tree below root. */
    RemoteTree.Listing run() throws IOException, RemoteTree.Refused {
        ByteBuffer init = packet(INIT, 4);
        init.putInt(3);
        send(init);
        out.flush();
        ByteBuffer v = read();
        if (v.get() != VERSION || v.getInt() != 3) {
            throw new RemoteTree.Refused("sftp: not version 3");
        }
        names.put("", new HashSet<>());
        toSend.add(new Pending(OPENDIR, root, "", null, null));
        while (!toSend.isEmpty() || !inFlight.isEmpty()) {
            while (!toSend.isEmpty() && inFlight.size() < WINDOW) {
                Pending p = toSend.poll();
                int id = nextId++;
                inFlight.put(id, p);
                byte[] arg = p.type == OPENDIR || p.type == READLINK ? p.path : p.handle;
                ByteBuffer b = packet(p.type, 4 + 4 + arg.length);
                b.putInt(id);
                putString(b, arg);
                send(b);
            }
            out.flush();
            try {
                answer(read());
            } catch (java.nio.BufferUnderflowException x) {
                throw new RemoteTree.Refused("sftp: a packet cut short");
            }
        }
        return listing;
    }

    private void answer(ByteBuffer b) throws RemoteTree.Refused {
        int type = b.get() & 0xff;
        int id = b.getInt();
        Pending p = inFlight.remove(id);
        if (p == null) {
            throw new RemoteTree.Refused("sftp: an answer to no request");
        }
        switch (type) {
            case HANDLE -> {
                if (p.type != OPENDIR) {
                    throw new RemoteTree.Refused("sftp: a handle for no opendir");
                }
                byte[] h = string(b, 256);
                toSend.addFirst(new Pending(READDIR, p.path, p.rel, h, null));
            }
            case NAME -> {
                int n = b.getInt();
                if (p.type == READLINK) {
                    if (n != 1) {
                        throw new RemoteTree.Refused("sftp: a link target of " + n + " names");
                    }
                    byte[] t = string(b, RemoteTree.MAX_TARGET);
                    if (t.length == 0) {
                        throw new RemoteTree.Refused("sftp: an empty link target");
                    }
                    p.link.size = t.length;
                    p.link.ref = Escape.of(t);
                    return;
                }
                if (p.type != READDIR) {
                    throw new RemoteTree.Refused("sftp: names for no readdir");
                }
                if (n <= 0 || n > 100_000) {
                    throw new RemoteTree.Refused("sftp: a bad count of names");
                }
                for (int i = 0; i < n; i++) {
                    entry(p, string(b, RemoteTree.MAX_PATH), b);
                }
                toSend.addFirst(new Pending(READDIR, p.path, p.rel, p.handle, null)); // until EOF
            }
            case STATUS -> {
                int code = b.getInt();
                if (p.type == READDIR && code == FX_EOF) {
                    toSend.addFirst(new Pending(CLOSE, p.path, p.rel, p.handle, null));
                } else if (p.type == CLOSE && code == 0) {
                    return;
                } else {
                    throw new RemoteTree.Refused("sftp: status " + code + " for " + Escape.of(p.path));
                }
            }
            default -> throw new RemoteTree.Refused("sftp: an answer of type " + type);
        }
    }

    /** One READDIR name with its attributes (the longname between is skipped). */
    private void entry(Pending dir, byte[] name, ByteBuffer b) throws RemoteTree.Refused {
        skip(b); // longname: for people
        int flags = b.getInt();
        int need = A_SIZE | A_UIDGID | A_PERMISSIONS | A_ACMODTIME;
        if ((flags & need) != need) {
            throw new RemoteTree.Refused("sftp: an entry without size, owner, permissions or times");
        }
        long size = b.getLong();
        int uid = b.getInt();
        int gid = b.getInt();
        int perm = b.getInt();
        b.getInt(); // atime
        long mtime = b.getInt() & 0xffffffffL;
        if ((flags & A_EXTENDED) != 0) {
            int n = b.getInt();
            if (n < 0 || n > 1000) {
                throw new RemoteTree.Refused("sftp: a bad count of extended attributes");
            }
            for (int i = 0; i < 2 * n; i++) {
                skip(b);
            }
        }
        if (Arrays.equals(name, new byte[] {'.'}) || Arrays.equals(name, new byte[] {'.', '.'})) {
            return;
        }
        if (name.length == 0 || indexOf(name, (byte) '/') >= 0) {
            throw new RemoteTree.Refused("sftp: a bad name " + Escape.of(name));
        }
        if (++listing.entries > RemoteTree.MAX_ENTRIES) {
            throw new RemoteTree.Refused("sftp: more than " + RemoteTree.MAX_ENTRIES + " entries");
        }
        Entry e = new Entry();
        e.name = name;
        if (!names.get(dir.rel).add(e.key())) {
            throw new RemoteTree.Refused("sftp: " + Escape.of(name) + " twice in one directory");
        }
        e.kind = org.vsys.store.Metadata.kind(perm);
        if (e.kind == 0) {
            throw new RemoteTree.Refused("sftp: " + Escape.of(name) + " of an unknown type");
        }
        e.mode = perm & 07777;
        e.uid = uid;
        e.gid = gid;
        e.mtimeSec = mtime;
        e.nlink = 1; // as sshfs shows every entry
        byte[] path = e.kind == 'd' || e.kind == 'l' ? join(dir.path, name) : null;
        switch (e.kind) {
            case 'f' -> e.size = size;
            case 'l' -> toSend.add(new Pending(READLINK, path, null, null, e));
            case 'c', 'b' -> e.ref = "0"; // no device numbers in SFTP: sshfs shows 0
            default -> e.size = 0;
        }
        if (size < 0) {
            throw new RemoteTree.Refused("sftp: a negative size");
        }
        listing.children.computeIfAbsent(dir.rel, k -> new java.util.ArrayList<>()).add(e);
        if (e.kind == 'd') {
            String rel = dir.rel + "/" + e.key();
            if (path.length > RemoteTree.MAX_PATH) {
                throw new RemoteTree.Refused("sftp: a path over " + RemoteTree.MAX_PATH + " bytes");
            }
            names.put(rel, new HashSet<>());
            toSend.add(new Pending(OPENDIR, path, rel, null, null));
        }
    }

    private static int indexOf(byte[] b, byte c) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] join(byte[] dir, byte[] name) {
        boolean slash = dir.length > 0 && dir[dir.length - 1] == '/';
        byte[] p = Arrays.copyOf(dir, dir.length + (slash ? 0 : 1) + name.length);
        if (!slash) {
            p[dir.length] = '/';
        }
        System.arraycopy(name, 0, p, p.length - name.length, name.length);
        return p;
    }

    private static ByteBuffer packet(int type, int payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + payload);
        b.putInt(1 + payload);
        b.put((byte) type);
        return b;
    }

    private void send(ByteBuffer b) throws IOException {
        out.write(b.array(), 0, b.position());
    }

    private static void putString(ByteBuffer b, byte[] s) {
        b.putInt(s.length);
        b.put(s);
    }

    /** Skips a string (its bytes stay in the packet). */
    private static void skip(ByteBuffer b) throws RemoteTree.Refused {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new RemoteTree.Refused("sftp: a string over its bound");
        }
        b.position(b.position() + n);
    }

    private static byte[] string(ByteBuffer b, int max) throws RemoteTree.Refused {
        int n = b.getInt();
        if (n < 0 || n > max || n > b.remaining()) {
            throw new RemoteTree.Refused("sftp: a string over its bound");
        }
        byte[] s = new byte[n];
        b.get(s);
        return s;
    }

    /** The next packet (its type first), bounded; a short packet is refused where it is read. */
    private ByteBuffer read() throws IOException, RemoteTree.Refused {
        int len;
        try {
            len = in.readInt();
        } catch (EOFException e) {
            throw new RemoteTree.Refused("sftp: the session ended");
        }
        if (len < 5 || len > MAX_PACKET) {
            throw new RemoteTree.Refused("sftp: a packet of " + len + " bytes");
        }
        total += 4 + len;
        if (total > RemoteTree.MAX_LISTING_BYTES) {
            throw new RemoteTree.Refused("sftp: more than " + RemoteTree.MAX_LISTING_BYTES + " bytes");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return ByteBuffer.wrap(b);
    }
}
