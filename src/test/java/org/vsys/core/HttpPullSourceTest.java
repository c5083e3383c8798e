package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vsys.base.ExitCode;

/**
 * The HTTP/1.1 client of a pull against a small server of the test's own that answers each path
 * with bytes written here: framing (Content-Length, chunked, the connection's end), gzip,
 * connections kept alive and reused, and the answers a source is refused for.
 */
class HttpPullSourceTest {
    private ServerSocket server;
    private final Map<String, byte[]> answers = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
    private String base;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        base = "http://127.0.0.1:" + server.getLocalPort() + "/pub";
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread c = new Thread(() -> serve(s));
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    /** Answers requests on s until the client closes it; an answer of null bytes ends the connection. */
    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            while (true) {
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                int c;
                while ((c = in.read()) >= 0) {
                    head.write(c);
                    String h = head.toString(StandardCharsets.US_ASCII);
                    if (h.endsWith("\r\n\r\n")) {
                        break;
                    }
                }
                if (c < 0) {
                    return;
                }
                String path = head.toString(StandardCharsets.US_ASCII).split(" ")[1];
                requests.add(path);
                byte[] a = answers.get(path);
                if (a == null) {
                    a = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".getBytes(StandardCharsets.US_ASCII);
                }
                out.write(a);
                out.flush();
                if (new String(a, StandardCharsets.ISO_8859_1).contains("Connection: close")) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static byte[] concat(String head, byte[] body) {
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    private static byte[] fixed(byte[] body) {
        return concat("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n", body);
    }

    private static byte[] chunked(byte[] body, String extraHeader) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int off = 0; off < body.length; off += 1000) {
            int n = Math.min(1000, body.length - off);
            b.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.write(body, off, n);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        b.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return concat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + extraHeader + "\r\n", b.toByteArray());
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(o)) {
            g.write(b);
        }
        return o.toByteArray();
    }

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return b;
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void readsFixedChunkedAndGzippedBodiesOnOneKeptAliveConnection() throws Exception {
        byte[] a = data(300000);
        byte[] b = data(5555);
        byte[] tree = "vsys-tree 1\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        answers.put("/pub/content/aa/1", fixed(a));
        answers.put("/pub/content/bb/2", chunked(b, ""));
        answers.put("/pub/objects/cc/3.tree", chunked(gzip(tree), "Content-Encoding: gzip\r\n"));
        try (HttpPullSource s = new HttpPullSource(base, 5)) {
            assertArrayEquals(a, read(s.open("content/aa/1", a.length)));
            assertArrayEquals(b, read(s.open("content/bb/2", b.length)));
            assertArrayEquals(tree, read(s.open("objects/cc/3.tree", 1 << 20)));
            assertNull(s.open("content/dd/4", 100));
            assertArrayEquals(a, read(s.open("content/aa/1", a.length)));
        }
        assertEquals(1, connections.get(), "every request on the one connection, kept alive");
        assertEquals(5, requests.size());
    }

    @Test
    void aBodyToTheConnectionsEndAndAConnectionClosedByTheServerAreFine() throws Exception {
        byte[] a = data(70000);
        answers.put("/pub/refs/x", concat("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n", a));
        answers.put("/pub/refs/y", concat("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n", "abc".getBytes()));
        try (HttpPullSource s = new HttpPullSource(base, 5)) {
            assertArrayEquals(a, read(s.open("refs/x", 1 << 20)));
            assertArrayEquals("abc".getBytes(), read(s.open("refs/y", 10)));
            assertArrayEquals("abc".getBytes(), read(s.open("refs/y", 10)));
        }
        assertEquals(3, connections.get());
    }

    @Test
    void aCutShortBodyIsNotReusedAndTheNextRequestGetsItsOwnAnswer() throws Exception {
        byte[] a = data(200000);
        answers.put("/pub/content/aa/1", fixed(a));
        answers.put("/pub/content/bb/2", fixed("two".getBytes()));
        try (HttpPullSource s = new HttpPullSource(base, 5)) {
            InputStream in = s.open("content/aa/1", a.length);
            in.readNBytes(10);
            in.close();
            assertArrayEquals("two".getBytes(), read(s.open("content/bb/2", 3)));
        }
        assertEquals(2, connections.get());
    }

    private PullSource.Refused refused(String answer, long max) throws Exception {
        answers.put("/pub/content/ee/5", answer.getBytes(StandardCharsets.ISO_8859_1));
        try (HttpPullSource s = new HttpPullSource(base, 2)) {
            return assertThrows(PullSource.Refused.class, () -> read(s.open("content/ee/5", max)));
        }
    }

    @Test
    void refusesWhatNoPublishedStoreSends() throws Exception {
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"HTTP/1.1 301 Moved\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n", "answered HTTP 301"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n", "larger than the 100 bytes"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + "x".repeat(4096) + "\r\n0\r\n\r\n",
                "larger than the 100 bytes"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx", "an encoding not asked for"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope", "bad compressed data"});
        cases.add(new String[] {"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP answer"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nX: " + "y".repeat(9000) + "\r\n\r\n", "line longer than"});
        cases.add(new String[] {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc", "amid a body"});
        for (String[] c : cases) {
            PullSource.Refused r = refused(c[0], 100);
            assertTrue(r.getMessage().contains(c[1]), c[1] + ": " + r.getMessage());
            assertTrue(r.code == ExitCode.BAD_SOURCE || r.code == ExitCode.UNREACHABLE, r.code + ": " + r.getMessage());
        }
    }

    @Test
    void aServerThatDoesNotAnswerIsUnreachableWithinTheTimeout() throws Exception {
        ServerSocket mute = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        try (mute; HttpPullSource s = new HttpPullSource("http://127.0.0.1:" + mute.getLocalPort(), 1)) {
            long t0 = System.nanoTime();
            PullSource.Refused r = assertThrows(PullSource.Refused.class, () -> s.open("refs/x", 10));
            assertEquals(ExitCode.UNREACHABLE, r.code);
            assertTrue(r.getMessage().contains("no answer within 1 s"), r.getMessage());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
        }
    }
}
