package org.vsys.core;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;

import org.vsys.base.ExitCode;

/**
 * A store on another machine over SSH: {@code ssh://[USER@]HOST[:PORT][/ROOT]}. Each connection
 * runs {@code vsys serve ROOT} there (ssh with the options vsys gives sshfs: BatchMode,
 * StrictHostKeyChecking, ConnectTimeout, ServerAlive; the identity and known hosts files given),
 * which answers requests for the store's files one at a time: {@code get REL MAX} is answered
 * {@code ok LEN} and LEN bytes, {@code none}, or {@code error WHY} ({@link Serve}). Requests are
 * pipelined on one connection (-Dvsys.pullSshConnections for more): several fetches in flight.
 */
public final class SshPullSource implements PullSource {
    /** ssh settings: the identity and known hosts files (null: ssh's defaults). */
    public record Options(String identity, String knownHosts) {
    }

    private final String url;
    private final List<String> command;
    private final Conn[] conns;
    private final AtomicLong next = new AtomicLong();
    private final int timeoutSeconds;

    private SshPullSource(String url, List<String> command, int connections, int timeoutSeconds) {
        this.url = url;
        this.command = command;
        this.timeoutSeconds = timeoutSeconds;
        this.conns = new Conn[Math.max(1, connections)];
        for (int i = 0; i < conns.length; i++) {
            conns[i] = new Conn();
        }
    }

    static SshPullSource of(String url, int timeoutSeconds, Options o) throws Refused {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("ssh://(?:([A-Za-z0-9._][A-Za-z0-9._-]*)@)?([A-Za-z0-9.-]+|\\[[0-9a-fA-F:]+\\])(?::([0-9]{1,5}))?(/[^\\s]*)?")
                .matcher(url);
        if (!m.matches()) {
            throw new Refused(ExitCode.BAD_SOURCE, "not an ssh URL: use ssh://[USER@]HOST[:PORT][/ROOT]");
        }
        String root = m.group(4) == null || m.group(4).equals("/") ? null : m.group(4);
        if (root != null && !root.matches("/[A-Za-z0-9._/+-]*")) {
            throw new Refused(ExitCode.BAD_SOURCE, "the remote root " + root + " has characters a remote shell would interpret");
        }
        String host = m.group(2).startsWith("[") ? m.group(2).substring(1, m.group(2).length() - 1) : m.group(2);
        List<String> cmd = new ArrayList<>(List.of("ssh", "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                "ConnectTimeout=" + timeoutSeconds, "-o", "ServerAliveInterval=" + Math.max(1, timeoutSeconds / 3), "-o",
                "ServerAliveCountMax=3"));
        if (o != null && o.identity() != null) {
            cmd.addAll(List.of("-o", "IdentityFile=" + o.identity(), "-o", "IdentitiesOnly=yes"));
        }
        if (o != null && o.knownHosts() != null) {
            cmd.addAll(List.of("-o", "UserKnownHostsFile=" + o.knownHosts()));
        }
        if (m.group(3) != null) {
            cmd.addAll(List.of("-p", m.group(3)));
        }
        if (m.group(1) != null) {
            cmd.addAll(List.of("-l", m.group(1)));
        }
        cmd.add("--");
        cmd.add(host);
        cmd.add("vsys");
        cmd.add("serve");
        if (root != null) {
            cmd.add(root);
        }
        return new SshPullSource(url, cmd, Integer.getInteger("vsys.pullSshConnections", 1), timeoutSeconds);
    }

    /**
     * One ssh child running vsys serve, pipelined: requests are written as they come (each gets a
     * ticket), answers come back in the same order, and each caller reads its answer when the
     * answers before it have been read. So one connection keeps several requests in flight.
     */
    private final class Conn {
        private Process p;
        private volatile InputStream in;
        private OutputStream out;
        private long sent;
        private volatile long served;
        private final java.util.concurrent.ConcurrentHashMap<Long, Thread> waiters = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile String dead;
        /** Held while a request is written (apart from the turns: a writer blocked on a full pipe must not stop readers). */
        private final Object writing = new Object();

        /** Runs ssh (once; the caller holds writing). */
        private void start() throws Refused {
            if (p == null) {
                try {
                    ProcessBuilder pb = new ProcessBuilder(command);
                    pb.redirectError(ProcessBuilder.Redirect.PIPE);
                    p = pb.start();
                } catch (IOException e) {
                    throw new Refused(ExitCode.UNSUPPORTED, "cannot run ssh: " + e.getMessage(), e);
                }
                in = new BufferedInputStream(p.getInputStream(), 1 << 17);
                out = p.getOutputStream();
            }
        }

        /** Sends the request; returns its ticket. */
        long send(String req) throws IOException {
            synchronized (writing) {
                return sendLocked(req);
            }
        }

        private long sendLocked(String req) throws IOException {
            if (dead != null) {
                throw new Refused(ExitCode.UNREACHABLE, url + ": " + dead);
            }
            start();
            try {
                out.write(req.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                throw fail(e.getMessage());
            }
            return sent++;
        }

        /**
         * Waits until the answers before ticket have been read. Each waiter parks under its own
         * ticket and is woken alone when its turn comes (not all waiters at every answer).
         */
        void await(long ticket) throws IOException {
            waiters.put(ticket, Thread.currentThread());
            try {
                while (served != ticket && dead == null) {
                    LockSupport.park(this);
                    if (Thread.interrupted()) {
                        Thread.currentThread().interrupt();
                        throw new Refused(ExitCode.INTERNAL, "interrupted");
                    }
                }
            } finally {
                waiters.remove(ticket);
            }
            if (dead != null) {
                throw new Refused(ExitCode.UNREACHABLE, url + ": " + dead);
            }
        }

        /** The current answer has been read: the next caller's turn. */
        void done() {
            long next = ++served; // only the caller whose turn it was gets here: one writer
            Thread t = waiters.get(next);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        private void wakeAll() {
            for (Thread t : waiters.values()) {
                LockSupport.unpark(t);
            }
        }

        /** Ends the connection: every caller waiting gets this reason. */
        synchronized Refused fail(String why) {
            if (dead == null) {
                dead = why == null ? "connection closed" : why;
                if (p != null) {
                    String said = stderr();
                    p.destroyForcibly();
                    if (!said.isEmpty()) {
                        dead = dead + " (" + said + ")";
                    }
                }
                wakeAll();
            }
            return new Refused(ExitCode.UNREACHABLE, url + ": " + dead);
        }

        /** The last line ssh wrote on its standard error, if it has ended. */
        private String stderr() {
            try {
                if (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                    return "";
                }
                String err = new String(p.getErrorStream().readNBytes(8192), StandardCharsets.UTF_8).strip();
                int nl = err.lastIndexOf('\n');
                return (nl >= 0 ? err.substring(nl + 1) : err) + " exit " + p.exitValue();
            } catch (IOException | InterruptedException e) {
                return "";
            }
        }

        synchronized void close() {
            if (p != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    // ending it anyway
                }
                p.destroyForcibly();
            }
            dead = "closed";
            wakeAll();
        }
    }

    @Override
    public InputStream open(String rel, long max) throws IOException {
        long n = next.getAndIncrement();
        if (n == 0) {
            // every connection (ssh's handshake, the remote JVM) starts with the first request, not
            // one after the other as requests come to them
            for (int i = 1; i < conns.length; i++) {
                synchronized (conns[i].writing) {
                    conns[i].start();
                }
            }
        }
        Conn c = conns[(int) (n % conns.length)];
        long ticket = c.send("get " + rel + " " + max + "\n");
        c.await(ticket);
        String head;
        try {
            head = line(c.in);
        } catch (Refused e) {
            c.fail(e.getMessage());
            throw e;
        } catch (IOException e) {
            throw c.fail(e.getMessage());
        }
        if (head == null) {
            throw c.fail("connection closed");
        }
        if (head.equals("none")) {
            c.done();
            return null;
        }
        if (head.startsWith("error ")) {
            c.done();
            throw new Refused(ExitCode.BAD_SOURCE, url + ": " + head.substring(6));
        }
        if (!head.matches("ok [0-9]{1,18}")) {
            c.fail("not a vsys serve answer");
            throw new Refused(ExitCode.BAD_SOURCE, url + ": not a vsys serve answer: " + head);
        }
        long len = Long.parseLong(head.substring(3));
        if (len > max) {
            c.fail("answer too large");
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": larger than the " + max + " bytes it may have (" + len + " bytes offered)");
        }
        return new Body(c, len);
    }

    /** A header line (at most 4 KiB), or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        String l = Serve.line(in);
        if (l != null && l.length() > 4096) {
            throw new Refused(ExitCode.BAD_SOURCE, "answer line too long");
        }
        return l;
    }

    /** LEN bytes of an answer; closing it gives the turn to the next answer (or ends the connection when cut short). */
    private final class Body extends BlockInputStream {
        private final Conn c;
        private long left;
        private boolean closed;

        Body(Conn c, long len) {
            super(c.in);
            this.c = c;
            this.left = len;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int k;
            try {
                k = in.read(b, off, (int) Math.min(len, left));
            } catch (IOException e) {
                throw c.fail(e.getMessage());
            }
            if (k < 0) {
                throw c.fail("connection closed amid a file");
            }
            left -= k;
            return k;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (left != 0) {
                c.fail("a file was not read to its end");
            } else {
                c.done();
            }
        }
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public void close() {
        for (Conn c : conns) {
            c.close();
        }
    }
}
