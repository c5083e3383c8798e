package org.vsys.core;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.vsys.base.ExitCode;

/**
 * A published store over HTTP(S): {@code GET BASE/rel} as HTTP/1.1 on kept-alive connections
 * (one per fetch in flight, reused by the next), read with blocking sockets into the caller's
 * buffer (no thread hand-off or copy per chunk: the JDK's asynchronous client cost a pull more CPU
 * than the bytes did). 200 = the file, 404 or 410 = no such file, anything else (a redirect
 * included) refuses the source. Bodies framed by Content-Length, chunked, or the connection's
 * end; gzip accepted (a server may compress the trees, whose hex ids halve), every size bound
 * applied to the inflated bytes. HTTPS with the JDK's default trust and host name check. A
 * connection must be made and answer within the timeout; a body that stalls for the timeout, or
 * that comes slower than {@link #MIN_RATE} bytes/s on average once the timeout has passed, is cut
 * off (a slow source cannot hold a pull forever).
 */
final class HttpPullSource implements PullSource {
    static final long MIN_RATE = Long.getLong("vsys.pullMinRate", 4096);
    /** Bounds on a response's head: one line, all of it. */
    static final int MAX_LINE = 8192;
    static final int MAX_HEAD = 64 << 10;
    private final String base;
    private final String host;
    private final int port;
    private final boolean tls;
    private final String hostHeader;
    private final String path;
    private final long timeoutNanos;
    private final int timeoutSeconds;
    private final ConcurrentLinkedDeque<Conn> idle = new ConcurrentLinkedDeque<>();
    private final Set<Watched> active = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;
    private volatile boolean closed;

    HttpPullSource(String url, int timeoutSeconds) throws Refused {
        String b = url;
        while (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        URI u;
        try {
            u = new URI(b + "/refs/");
            if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                throw new URISyntaxException(url, "no host, or a query, fragment or user");
            }
        } catch (URISyntaxException e) {
            throw new Refused(ExitCode.BAD_SOURCE, "not an http URL: " + e.getMessage(), e);
        }
        this.base = b;
        this.tls = u.getScheme().equalsIgnoreCase("https");
        String h = u.getHost();
        this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        this.port = u.getPort() >= 0 ? u.getPort() : tls ? 443 : 80;
        this.hostHeader = u.getPort() >= 0 ? h + ":" + u.getPort() : h;
        String p = u.getRawPath();
        this.path = p.substring(0, p.length() - "/refs/".length());
        this.timeoutSeconds = timeoutSeconds;
        this.timeoutNanos = timeoutSeconds * 1_000_000_000L;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vsys-pull-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(this::watch, 200, 200, TimeUnit.MILLISECONDS);
    }

    /** One connection to the server: its socket and buffered ends. */
    private final class Conn {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Conn(Socket s) throws IOException {
            this.socket = s;
            this.in = new BufferedInputStream(s.getInputStream(), 1 << 16);
            this.out = s.getOutputStream();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing is all that is wanted
            }
        }
    }

    private Conn connect() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutSeconds * 1000);
            s.setSoTimeout(timeoutSeconds * 1000);
            if (tls) {
                SSLSocket ss = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, host, port, true);
                SSLParameters sp = ss.getSSLParameters();
                sp.setEndpointIdentificationAlgorithm("HTTPS");
                ss.setSSLParameters(sp);
                ss.setSoTimeout(timeoutSeconds * 1000);
                ss.startHandshake();
                return new Conn(ss);
            }
            return new Conn(s);
        } catch (SocketTimeoutException e) {
            s.close();
            throw new Refused(ExitCode.UNREACHABLE, base + ": no connection within " + timeoutSeconds + " s", e);
        } catch (ConnectException e) {
            s.close();
            throw new Refused(ExitCode.UNREACHABLE, base + ": cannot connect" + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        } catch (IOException e) {
            s.close();
            throw new Refused(ExitCode.UNREACHABLE, base + ": " + e, e);
        }
    }

    @Override
    public InputStream open(String rel, long max) throws IOException {
        if (closed) {
            throw new Refused(ExitCode.UNREACHABLE, base + ": closed");
        }
        byte[] req = ("GET " + path + "/" + rel + " HTTP/1.1\r\nHost: " + hostHeader
                + "\r\nAccept-Encoding: gzip\r\nUser-Agent: vsys\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        Conn c = idle.pollFirst();
        boolean reused = c != null;
        if (c == null) {
            c = connect();
        }
        String status;
        try {
            status = ask(c, req, rel);
        } catch (IOException e) {
            c.close();
            if (!reused || e instanceof Refused || e instanceof SocketTimeoutException) {
                throw failed(rel, e);
            }
            // a kept-alive connection the server had closed meanwhile: once more on a new one
            c = connect();
            try {
                status = ask(c, req, rel);
            } catch (IOException e2) {
                c.close();
                throw failed(rel, e2);
            }
        }
        try {
            return answer(c, rel, max, status);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof Refused r ? r : failed(rel, (Exception) e);
        }
    }

    /** Sends the request on c; returns the answer's status line. */
    private static String ask(Conn c, byte[] req, String rel) throws IOException {
        c.out.write(req);
        c.out.flush();
        String status = line(c.in, rel);
        if (status == null) {
            throw new EOFException("connection closed before an answer");
        }
        return status;
    }

    private Refused failed(String rel, Exception e) {
        if (e instanceof Refused r) {
            return r;
        }
        if (e instanceof SocketTimeoutException) {
            return new Refused(ExitCode.UNREACHABLE, rel + ": no answer within " + timeoutSeconds + " s", e);
        }
        return new Refused(ExitCode.UNREACHABLE, rel + ": " + e, e);
    }

    /** The response whose status line is status: its head read and checked, its body as a stream. */
    private InputStream answer(Conn c, String rel, long max, String status) throws IOException {
        if (!status.matches("HTTP/1\\.[01] [0-9]{3}( .*)?")) {
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": not an HTTP answer: " + shown(status));
        }
        int code = Integer.parseInt(status.substring(9, 12));
        boolean http10 = status.startsWith("HTTP/1.0");
        long len = -1;
        boolean chunked = false;
        boolean keep = !http10;
        String enc = "identity";
        int head = status.length();
        String h;
        while (!(h = line(c.in, rel)).isEmpty()) {
            head += h.length();
            if (head > MAX_HEAD) {
                throw new Refused(ExitCode.BAD_SOURCE, rel + ": an answer's head longer than " + MAX_HEAD + " bytes");
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new Refused(ExitCode.BAD_SOURCE, rel + ": not an HTTP header: " + shown(h));
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> {
                    if (!value.matches("[0-9]{1,18}")) {
                        throw new Refused(ExitCode.BAD_SOURCE, rel + ": bad Content-Length " + shown(value));
                    }
                    len = Long.parseLong(value);
                }
                case "transfer-encoding" -> {
                    if (!value.equalsIgnoreCase("chunked")) {
                        throw new Refused(ExitCode.BAD_SOURCE, rel + ": a transfer encoding not known (" + shown(value) + ")");
                    }
                    chunked = true;
                }
                case "content-encoding" -> enc = value;
                case "connection" -> keep = value.equalsIgnoreCase("keep-alive") || !http10 && !value.equalsIgnoreCase("close");
                default -> {
                    // not needed
                }
            }
        }
        InputStream body = chunked ? new Chunked(c.in, rel) : len >= 0 ? new Fixed(c.in, len) : c.in;
        boolean reusable = keep && (chunked || len >= 0);
        if (code == 404 || code == 410) {
            if (reusable && len >= 0 && len <= 65536) {
                body.skipNBytes(len);
                idle.addFirst(c);
            } else {
                c.close();
            }
            return null;
        }
        if (code != 200) {
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": the server answered HTTP " + code);
        }
        boolean gzip = enc.equalsIgnoreCase("gzip");
        if (!gzip && !enc.equalsIgnoreCase("identity")) {
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": the server sent it in an encoding not asked for (" + shown(enc) + ")");
        }
        if (!gzip && !chunked && len > max) {
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": larger than the " + max + " bytes it may have (" + len + " bytes offered)");
        }
        Watched w = new Watched(c, body, rel, reusable);
        active.add(w);
        // a compressed answer (a server compressing trees on the fly) is bounded after inflating
        try {
            return new Bounded(gzip ? new java.util.zip.GZIPInputStream(w, 1 << 16) : w, max, rel);
        } catch (Refused e) {
            w.close();
            throw e;
        } catch (IOException e) {
            w.close();
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": bad compressed data: " + e.getMessage(), e);
        }
    }

    /** What a server said, for a message: printable ASCII only, at most 100 characters. */
    static String shown(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 100; i++) {
            char ch = s.charAt(i);
            b.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return "'" + b + (s.length() > 100 ? "...'" : "'");
    }

    /** A line of the head (CRLF or LF ended, without it), at most MAX_LINE bytes; null at the end of the stream. */
    private static String line(InputStream in, String rel) throws IOException {
        StringBuilder b = new StringBuilder();
        int ch;
        while ((ch = in.read()) >= 0 && ch != '\n') {
            if (b.length() >= MAX_LINE) {
                throw new Refused(ExitCode.BAD_SOURCE, rel + ": an answer's line longer than " + MAX_LINE + " bytes");
            }
            b.append((char) ch);
        }
        if (ch < 0 && b.length() == 0) {
            return null;
        }
        if (ch < 0) {
            throw new EOFException("connection closed amid an answer's head");
        }
        int n = b.length();
        return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
    }

    /** A body of len bytes. */
    private static final class Fixed extends BlockInputStream {
        private long left;

        Fixed(InputStream in, long len) {
            super(in);
            this.left = len;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int k = in.read(b, off, (int) Math.min(len, left));
            if (k < 0) {
                throw new EOFException("connection closed amid a body (" + left + " bytes short)");
            }
            left -= k;
            return k;
        }

        boolean atEnd() {
            return left == 0;
        }

        @Override
        public void close() {
            // the connection is the caller's
        }
    }

    /** A chunked body (RFC 9112 7.1): chunks of hex size, then trailers, up to the empty line. */
    private static final class Chunked extends BlockInputStream {
        private final String rel;
        private long left;
        private boolean end;

        Chunked(InputStream in, String rel) {
            super(in);
            this.rel = rel;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (end) {
                return -1;
            }
            if (left == 0) {
                String size = line(in, rel);
                if (size == null) {
                    throw new EOFException("connection closed amid a chunked body");
                }
                int semi = size.indexOf(';');
                String hex = (semi >= 0 ? size.substring(0, semi) : size).trim();
                if (!hex.matches("[0-9a-fA-F]{1,15}")) {
                    throw new Refused(ExitCode.BAD_SOURCE, rel + ": bad chunk size " + shown(hex));
                }
                left = Long.parseLong(hex, 16);
                if (left == 0) {
                    String t;
                    int n = 0;
                    while ((t = line(in, rel)) != null && !t.isEmpty()) {
                        if ((n += t.length()) > MAX_HEAD) {
                            throw new Refused(ExitCode.BAD_SOURCE, rel + ": trailers longer than " + MAX_HEAD + " bytes");
                        }
                    }
                    end = true;
                    return -1;
                }
            }
            int k = in.read(b, off, (int) Math.min(len, left));
            if (k < 0) {
                throw new EOFException("connection closed amid a chunk");
            }
            left -= k;
            if (left == 0) {
                String crlf = line(in, rel);
                if (crlf == null) {
                    throw new EOFException("connection closed amid a chunked body");
                }
                if (!crlf.isEmpty()) {
                    throw new Refused(ExitCode.BAD_SOURCE, rel + ": a chunk longer than its size");
                }
            }
            return k;
        }

        boolean atEnd() {
            return end;
        }

        @Override
        public void close() {
            // the connection is the caller's
        }
    }

    private void watch() {
        long now = System.nanoTime();
        for (Watched w : active) {
            long idleFor = now - w.last;
            long age = now - w.start;
            if (idleFor > timeoutNanos) {
                w.abort("no data for " + timeoutSeconds + " s");
            } else if (age > timeoutNanos && w.bytes * 1_000_000_000L / age < MIN_RATE) {
                w.abort("slower than " + MIN_RATE + " bytes/s (" + w.bytes + " bytes in " + age / 1_000_000 + " ms)");
            }
        }
    }

    /**
     * A response body the watchdog can cut off (by closing the connection). Closed at its end on a
     * connection that may be kept, it gives the connection back for the next request.
     */
    private final class Watched extends BlockInputStream {
        final long start = System.nanoTime();
        volatile long last = start;
        volatile long bytes;
        volatile String aborted;
        private final Conn conn;
        private final String rel;
        private final boolean reusable;
        private boolean done;

        Watched(Conn conn, InputStream body, String rel, boolean reusable) {
            super(body);
            this.conn = conn;
            this.rel = rel;
            this.reusable = reusable;
        }

        void abort(String why) {
            aborted = why;
            active.remove(this);
            conn.close();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int k;
            try {
                k = in.read(b, off, len);
            } catch (Refused e) {
                throw e;
            } catch (SocketTimeoutException e) {
                throw new Refused(ExitCode.UNREACHABLE, rel + ": source too slow: no data for " + timeoutSeconds + " s", e);
            } catch (IOException e) {
                if (aborted != null) {
                    throw new Refused(ExitCode.UNREACHABLE, rel + ": source too slow: " + aborted, e);
                }
                throw new Refused(ExitCode.UNREACHABLE, rel + ": " + e, e);
            }
            if (aborted != null) {
                throw new Refused(ExitCode.UNREACHABLE, rel + ": source too slow: " + aborted);
            }
            if (k > 0) {
                bytes += k;
                last = System.nanoTime();
            }
            return k;
        }

        @Override
        public void close() {
            if (done) {
                return;
            }
            done = true;
            active.remove(this);
            boolean atEnd = in instanceof Fixed f ? f.atEnd() : in instanceof Chunked ch && ch.atEnd();
            if (reusable && atEnd && aborted == null && !closed) {
                idle.addFirst(conn);
            } else {
                conn.close();
            }
        }
    }

    @Override
    public String describe() {
        return base;
    }

    @Override
    public void close() {
        closed = true;
        watchdog.shutdownNow();
        for (Watched w : active) {
            w.abort("closed");
        }
        Conn c;
        while ((c = idle.pollFirst()) != null) {
            c.close();
        }
    }
}
