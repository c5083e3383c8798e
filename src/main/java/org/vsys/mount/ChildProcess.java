package org.vsys.mount;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A child process run with a time bound and no helper threads: its output is drained while
 * waiting, and at the bound it is killed ({@code destroyForcibly}) and never waited for again, so a
 * process stuck on a dead server cannot hang vsys.
 */
public final class ChildProcess {

    /** What a bounded run gave: exit status (-1 when timed out or not started), stdout, stderr. */
    public record Result(int status, String out, String err, boolean timedOut) {
        public boolean ok() {
            return status == 0 && !timedOut;
        }

        /** The last non-blank line of stderr (or stdout), for one-line error messages. */
        public String lastLine() {
            String s = err.isBlank() ? out : err;
            String[] lines = s.strip().split("\n");
            return lines.length == 0 ? "" : lines[lines.length - 1].strip();
        }
    }

    private ChildProcess() {
    }

    public static Result run(List<String> command, long timeoutMillis) throws IOException {
        return run(command, timeoutMillis, Map.of());
    }

    public static Result run(List<String> command, long timeoutMillis, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream o = p.getInputStream();
        InputStream e = p.getErrorStream();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        long sleep = 1;
        try {
            while (true) {
                drain(o, out);
                drain(e, err);
                if (!p.isAlive()) {
                    // the pipes are complete once the process is gone (unless a grandchild keeps them open)
                    drainRest(o, out, p);
                    drainRest(e, err, p);
                    return new Result(p.exitValue(), text(out), text(err), false);
                }
                if (System.nanoTime() > deadline) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    return new Result(-1, text(out), text(err), true);
                }
                Thread.sleep(sleep);
                sleep = Math.min(sleep * 2, 20);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result(-1, text(out), text(err), true);
        } finally {
            closeQuietly(o);
            closeQuietly(e);
            closeQuietly(p.getOutputStream());
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream to) throws IOException {
        int n;
        while ((n = in.available()) > 0) {
            byte[] b = new byte[Math.min(n, 65536)];
            int r = in.read(b);
            if (r <= 0) {
                return;
            }
            to.write(b, 0, r);
        }
    }

    private static void drainRest(InputStream in, ByteArrayOutputStream to, Process p) throws IOException {
        // after exit, read what is left without blocking on pipes a grandchild may hold
        drain(in, to);
    }

    private static String text(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Looks a program up in the usual system directories and PATH; null if absent. */
    public static String which(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            java.io.File f = new java.io.File(dir, program);
            if (f.isFile() && f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
