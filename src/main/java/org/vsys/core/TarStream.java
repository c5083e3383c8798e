package org.vsys.core;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * The one reader of the tar stream of {@link RemoteTree#tar} (docs/DESIGN.md, "Remote walk"):
 * GNU tar's format as {@code tar --format=gnu} writes regular files, nothing else. A member is a
 * 512-byte header (name, mode, uid, gid, size, mtime in octal or, for a big size, base-256;
 * checksum; type {@code 0}; magic {@code "ustar  "}), its data, zeros up to a multiple of 512; a
 * name longer than 100 bytes comes first as a member of type {@code L} whose data is the name.
 * The archive ends with a zero block. Refused (an IOException): a bad checksum or magic, any other
 * type, a long name over {@link RemoteTree#MAX_PATH} bytes, a number out of its grammar, a stream
 * cut off.
 */
final class TarStream {
    private final InputStream in;
    private final byte[] header = new byte[512];
    private long left;
    private long pad;

    /** The header of the member just read. */
    byte[] name;
    int mode;
    long uid;
    long gid;
    long size;
    long mtime;

    TarStream(InputStream in) {
        this.in = in;
    }

    /** The next regular file's header (its data is {@link #data}), or false at the end of the archive. */
    boolean next() throws IOException {
        skip(left + pad);
        left = 0;
        pad = 0;
        byte[] longName = null;
        while (true) {
            readFully(header, 512);
            if (allZero(header)) {
                return false;
            }
            long sum = 0;
            for (int i = 0; i < 512; i++) {
                sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
            }
            if (octal(148, 8) != sum) {
                throw new IOException("tar: a header with a bad checksum");
            }
            if (!(header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a' && header[261] == 'r'
                    && header[262] == ' ' && header[263] == ' ' && header[264] == 0)) {
                throw new IOException("tar: not GNU tar's format");
            }
            long sz = number(124, 12);
            byte type = header[156];
            if (type == 'L') {
                if (longName != null || sz < 2 || sz > RemoteTree.MAX_PATH + 1) {
                    throw new IOException("tar: a bad long name");
                }
                byte[] b = new byte[(int) sz];
                readFully(b, b.length);
                skip(padding(sz));
                int end = b.length;
                while (end > 0 && b[end - 1] == 0) {
                    end--;
                }
                longName = Arrays.copyOf(b, end);
                continue;
            }
            if (type != '0' && type != 0) {
                throw new IOException("tar: a member of type " + (char) (type & 0x7f) + " (not a regular file)");
            }
            int end = 0;
            while (end < 100 && header[end] != 0) {
                end++;
            }
            name = longName != null ? longName : Arrays.copyOf(header, end);
            mode = (int) octal(100, 8) & 07777;
            uid = number(108, 8);
            gid = number(116, 8);
            size = sz;
            mtime = number(136, 12);
            left = sz;
            pad = padding(sz);
            return true;
        }
    }

    /** The current member's data, {@link #size} bytes, as a channel. */
    ReadableByteChannel data() {
        return new ReadableByteChannel() {
            private final byte[] chunk = new byte[1 << 16];

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(Math.min(dst.remaining(), chunk.length), left);
                int r = in.read(chunk, 0, n);
                if (r < 0) {
                    throw new EOFException("tar: a member cut off");
                }
                dst.put(chunk, 0, r);
                left -= r;
                return r;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    private static long padding(long size) {
        return (512 - size % 512) % 512;
    }

    private void skip(long n) throws IOException {
        byte[] b = new byte[8192];
        while (n > 0) {
            int r = in.read(b, 0, (int) Math.min(b.length, n));
            if (r < 0) {
                throw new EOFException("tar: the stream is cut off");
            }
            n -= r;
        }
    }

    private void readFully(byte[] b, int len) throws IOException {
        int off = 0;
        while (off < len) {
            int r = in.read(b, off, len - off);
            if (r < 0) {
                throw new EOFException("tar: the stream is cut off");
            }
            off += r;
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** A numeric field: octal digits (leading spaces, then NUL or space), or GNU's base-256 (first byte 0x80). */
    private long number(int off, int len) throws IOException {
        if ((header[off] & 0xff) == 0x80) {
            long v = 0;
            for (int i = off + 1; i < off + len; i++) {
                if (v >>> 55 != 0) {
                    throw new IOException("tar: a number out of range");
                }
                v = v << 8 | (header[i] & 0xff);
            }
            return v;
        }
        return octal(off, len);
    }

    private long octal(int off, int len) throws IOException {
        int i = off;
        int end = off + len;
        while (i < end && header[i] == ' ') {
            i++;
        }
        long v = 0;
        int digits = 0;
        for (; i < end && header[i] >= '0' && header[i] <= '7'; i++) {
            if (++digits > 21) {
                throw new IOException("tar: a number out of range");
            }
            v = v * 8 + header[i] - '0';
        }
        if (digits == 0 || i < end && header[i] != 0 && header[i] != ' ') {
            throw new IOException("tar: a bad number");
        }
        return v;
    }
}
