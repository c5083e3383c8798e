package org.vsys.core;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

import org.vsys.store.Store;
import org.vsys.store.TreeDelta;

/**
 * {@code vsys serve}: the remote side of a pull over SSH. Reads requests {@code get REL MAX} on
 * standard input and answers each on standard output: {@code ok LEN} and the LEN bytes of the
 * store's file REL, {@code none} when there is no such file, {@code error WHY} otherwise. REL must
 * be one of the store's own names (refs/NAME, objects/XX/REST.commit|tree|file, content/XX/REST,
 * deltas/XX/REST-TO),
 * opened without following a symlink: nothing outside the store can be read, nothing is written. A
 * delta (deltas/XX/REST-TO) that a store has no file for is made from the store's own trees.
 */
public final class Serve {
    static final Pattern NAME = Pattern.compile(
            "refs/[A-Za-z0-9][A-Za-z0-9._-]{0,63}|objects/[0-9a-f]{2}/[0-9a-f]{62}\\.(commit|tree|file)|content/[0-9a-f]{2}/[0-9a-f]{62}"
                    + "|deltas/[0-9a-f]{2}/[0-9a-f]{62}-[0-9a-f]{64}");
    private final Path store;

    public Serve(Path store) {
        this.store = store;
    }

    /**
     * Answers requests until the end of in; returns the number answered. out unbuffered (a
     * FileChannel on standard output: file bytes go by sendfile).
     */
    public long run(InputStream rawIn, WritableByteChannel out) throws IOException {
        InputStream in = new BufferedInputStream(rawIn);
        long n = 0;
        String req;
        while ((req = line(in)) != null) {
            String[] w = req.split(" ");
            if (w.length != 3 || !w[0].equals("get") || !NAME.matcher(w[1]).matches() || !w[2].matches("[0-9]{1,18}")) {
                write(out, "error not a request for a store file\n");
                return n;
            }
            answer(w[1], Long.parseLong(w[2]), out);
            n++;
        }
        return n;
    }

    private void answer(String rel, long max, WritableByteChannel out) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(store.resolve(rel), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            byte[] d = rel.startsWith("deltas/") ? delta(rel) : null;
            if (d == null || d.length > max) {
                write(out, "none\n");
                return;
            }
            write(out, "ok " + d.length + "\n");
            ByteBuffer bb = ByteBuffer.wrap(d);
            while (bb.hasRemaining()) {
                out.write(bb);
            }
            return;
        } catch (IOException e) {
            write(out, "error " + rel + ": " + VsysLine.of(e.getMessage()) + "\n");
            return;
        }
        try (ch) {
            long len = ch.size();
            if (len > max) {
                write(out, "error " + rel + ": " + len + " bytes, more than the " + max + " asked for\n");
                return;
            }
            write(out, "ok " + len + "\n");
            long pos = 0;
            while (pos < len) {
                long k = ch.transferTo(pos, len - pos, out);
                if (k <= 0) {
                    break; // shrank meanwhile: the rest as zeros (the reader's hash check refuses it)
                }
                pos += k;
            }
            ByteBuffer zero = ByteBuffer.allocate(8192);
            while (pos < len) {
                zero.clear().limit((int) Math.min(8192, len - pos));
                pos += out.write(zero);
            }
        }
    }

    /**
     * A store (not a published directory) has no deltas: the one asked for is made from its
     * objects when it has both commits, else null.
     */
    private byte[] delta(String rel) {
        String from = rel.substring(7, 9) + rel.substring(10, 72);
        String to = rel.substring(73);
        Store st = new Store(store);
        if (!st.has(from, Store.COMMIT) || !st.has(to, Store.COMMIT)) {
            return null;
        }
        try {
            return TreeDelta.make(st, from, to);
        } catch (IOException | RuntimeException e) {
            return null; // the puller fetches the trees whole
        }
    }

    private static void write(WritableByteChannel out, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /**
     * A line without its newline (a longer one than 4 KiB is cut there: more than 4096 characters
     * returned, the rest left unread), or null at the end of the stream.
     */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
            if (b.size() > 4096) {
                break;
            }
        }
        return c < 0 && b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
    }

    /** A message on one line. */
    static final class VsysLine {
        static String of(String s) {
            return String.valueOf(s).replace('\n', ' ');
        }
    }
}
