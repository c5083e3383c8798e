package org.vsys.store;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.vsys.core.ExitCode;

/**
 * A store on another machine over SSH: {@code ssh://[USER@]HOST[:PORT][/ROOT]}. Each connection
 * runs {@code vsys serve ROOT} there (ssh with the options vsys gives sshfs: BatchMode,
 * StrictHostKeyChecking, ConnectTimeout, ServerAlive; the identity and known hosts files given),
 * which answers requests for the store's files one at a time: {@code get REL MAX} is answered
 * {@code ok LEN} and LEN bytes, {@code none}, or {@code error WHY} ({@link Serve}). A few
 * connections run side by side so that several fetches are in flight.
 */
public final class SshPullSource implements PullSource {
    /** ssh settings: the identity and known hosts files (null: ssh's defaults). */
    public record Options(String identity, String knownHosts) {
    }

    private final String url;
    private final List<String> command;
    private final BlockingQueue<Conn> idle;
    private final List<Conn> all = new ArrayList<>();
    private final int timeoutSeconds;

    private SshPullSource(String url, List<String> command, int connections, int timeoutSeconds) {
        this.url = url;
        this.command = command;
        this.idle = new ArrayBlockingQueue<>(connections);
        this.timeoutSeconds = timeoutSeconds;
        for (int i = 0; i < connections; i++) {
            idle.add(new Conn());
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
        return new SshPullSource(url, cmd, Integer.getInteger("vsys.pullSshConnections", 4), timeoutSeconds);
    }

    /** One ssh child running vsys serve. */
    private final class Conn {
        Process p;
        InputStream in;
        OutputStream out;

        void start() throws Refused {
            if (p != null && p.isAlive()) {
                return;
            }
            try {
                ProcessBuilder pb = new ProcessBuilder(command);
                pb.redirectError(ProcessBuilder.Redirect.PIPE);
                pb.redirectInput(ProcessBuilder.Redirect.PIPE);
                p = pb.start();
                synchronized (all) {
                    all.add(this);
                }
                in = new BufferedInputStream(p.getInputStream(), 1 << 16);
                out = p.getOutputStream();
            } catch (IOException e) {
                throw new Refused(ExitCode.UNSUPPORTED, "cannot run ssh: " + e.getMessage(), e);
            }
        }

        void kill() {
            if (p != null) {
                p.destroyForcibly();
                p = null;
            }
        }

        /** What ssh said when the connection ended (its last line of stderr). */
        String why() {
            try {
                p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                String err = new String(p.getErrorStream().readNBytes(8192), StandardCharsets.UTF_8).strip();
                int nl = err.lastIndexOf('\n');
                return (nl >= 0 ? err.substring(nl + 1) : err) + (p.isAlive() ? "" : " (exit " + p.exitValue() + ")");
            } catch (IOException | InterruptedException e) {
                return "connection closed";
            }
        }
    }

    @Override
    public InputStream open(String rel, long max) throws IOException {
        Conn c;
        try {
            c = idle.poll(timeoutSeconds * 4L, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused(ExitCode.INTERNAL, "interrupted", e);
        }
        if (c == null) {
            throw new Refused(ExitCode.UNREACHABLE, url + ": no connection free within " + timeoutSeconds * 4 + " s");
        }
        boolean handedOut = false;
        try {
            c.start();
            c.out.write(("get " + rel + " " + max + "\n").getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            String head = line(c.in);
            if (head == null) {
                throw new Refused(ExitCode.UNREACHABLE, url + ": " + c.why());
            }
            if (head.equals("none")) {
                return null;
            }
            if (head.startsWith("error ")) {
                throw new Refused(ExitCode.BAD_SOURCE, url + ": " + head.substring(6));
            }
            if (!head.matches("ok [0-9]{1,18}")) {
                throw new Refused(ExitCode.BAD_SOURCE, url + ": not a vsys serve answer: " + head);
            }
            long len = Long.parseLong(head.substring(3));
            if (len > max) {
                throw new Refused(ExitCode.BAD_SOURCE, rel + ": larger than the " + max + " bytes it may have (" + len + " bytes offered)");
            }
            handedOut = true;
            return new Body(c, len);
        } catch (Refused e) {
            throw e;
        } catch (IOException e) {
            throw new Refused(ExitCode.UNREACHABLE, url + ": " + e.getMessage(), e);
        } finally {
            if (!handedOut) {
                c.kill();
                idle.add(c);
            }
        }
    }

    /** A header line (at most 4 KiB), or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        String l = Serve.line(in);
        if (l != null && l.length() > 4096) {
            throw new Refused(ExitCode.BAD_SOURCE, "answer line too long");
        }
        return l;
    }

    /** LEN bytes of an answer; closing it gives the connection back (drained) or ends it (when cut short). */
    private final class Body extends FilterInputStream {
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
            int k = in.read(b, off, (int) Math.min(len, left));
            if (k < 0) {
                throw new Refused(ExitCode.UNREACHABLE, url + ": connection closed amid a file: " + c.why());
            }
            left -= k;
            return k;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (left != 0) {
                c.kill();
            }
            idle.add(c);
        }
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public void close() {
        synchronized (all) {
            for (Conn c : all) {
                if (c.p != null) {
                    try {
                        c.out.close();
                    } catch (IOException e) {
                        // ending it anyway
                    }
                    c.kill();
                }
            }
        }
    }

}
