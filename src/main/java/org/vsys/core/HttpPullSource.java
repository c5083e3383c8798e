package org.vsys.core;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.vsys.base.ExitCode;

/**
 * A published store over HTTP(S) (JDK's java.net.http): GET BASE/rel, 404 = no such file, no
 * redirects; gzip accepted (a server may compress the trees, whose hex ids halve), every size
 * bound applied to the inflated bytes. A request must answer within the timeout; a body that stalls for the timeout, or that
 * comes slower than {@link #MIN_RATE} bytes/s on average once the timeout has passed, is cut off
 * (a slow source cannot hold a pull forever).
 */
final class HttpPullSource implements PullSource {
    static final long MIN_RATE = Long.getLong("vsys.pullMinRate", 4096);
    private final String base;
    private final HttpClient client;
    private final long timeoutNanos;
    private final int timeoutSeconds;
    private final Set<Watched> active = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;

    HttpPullSource(String url, int timeoutSeconds) throws Refused {
        String b = url;
        while (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        try {
            URI u = new URI(b + "/refs/");
            if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
                throw new URISyntaxException(url, "no host, or a query or fragment");
            }
        } catch (URISyntaxException e) {
            throw new Refused(ExitCode.BAD_SOURCE, "not an http URL: " + e.getMessage(), e);
        }
        this.base = b;
        this.timeoutSeconds = timeoutSeconds;
        this.timeoutNanos = timeoutSeconds * 1_000_000_000L;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds))
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vsys-pull-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(this::watch, 200, 200, TimeUnit.MILLISECONDS);
    }

    @Override
    public InputStream open(String rel, long max) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/" + rel)).timeout(Duration.ofSeconds(timeoutSeconds))
                .header("Accept-Encoding", "gzip").GET().build();
        HttpResponse<InputStream> r;
        try {
            r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new Refused(ExitCode.UNREACHABLE, base + ": no connection within " + timeoutSeconds + " s", e);
        } catch (HttpTimeoutException e) {
            throw new Refused(ExitCode.UNREACHABLE, rel + ": no answer within " + timeoutSeconds + " s", e);
        } catch (ConnectException e) {
            throw new Refused(ExitCode.UNREACHABLE, base + ": cannot connect" + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused(ExitCode.INTERNAL, "interrupted", e);
        } catch (IOException e) {
            throw new Refused(ExitCode.UNREACHABLE, rel + ": " + e, e);
        }
        int code = r.statusCode();
        if (code == 404 || code == 410) {
            r.body().close();
            return null;
        }
        if (code != 200) {
            r.body().close();
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": the server answered HTTP " + code);
        }
        String enc = r.headers().firstValue("content-encoding").orElse("identity");
        boolean gzip = enc.equalsIgnoreCase("gzip");
        if (!gzip && !enc.equalsIgnoreCase("identity")) {
            r.body().close();
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": the server sent it in an encoding not asked for (" + enc + ")");
        }
        long len = gzip ? -1 : r.headers().firstValueAsLong("content-length").orElse(-1);
        if (len > max) {
            r.body().close();
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": larger than the " + max + " bytes it may have (" + len + " bytes offered)");
        }
        Watched w = new Watched(r.body(), rel);
        active.add(w);
        // a compressed answer (a server compressing trees on the fly) is bounded after inflating
        try {
            return new Bounded(gzip ? new java.util.zip.GZIPInputStream(w, 1 << 16) : w, max, rel);
        } catch (Refused e) {
            throw e;
        } catch (IOException e) {
            w.close();
            throw new Refused(ExitCode.BAD_SOURCE, rel + ": bad compressed data: " + e.getMessage(), e);
        }
    }

    private void watch() {
        long now = System.nanoTime();
        for (Watched w : active) {
            long idle = now - w.last;
            long age = now - w.start;
            if (idle > timeoutNanos) {
                w.abort("no data for " + timeoutSeconds + " s");
            } else if (age > timeoutNanos && w.bytes * 1_000_000_000L / age < MIN_RATE) {
                w.abort("slower than " + MIN_RATE + " bytes/s (" + w.bytes + " bytes in " + age / 1_000_000 + " ms)");
            }
        }
    }

    /** A response body the watchdog can cut off. */
    private final class Watched extends FilterInputStream {
        final long start = System.nanoTime();
        volatile long last = start;
        volatile long bytes;
        volatile String aborted;
        private final String rel;

        Watched(InputStream in, String rel) {
            super(in);
            this.rel = rel;
        }

        void abort(String why) {
            aborted = why;
            active.remove(this);
            try {
                in.close();
            } catch (IOException e) {
                // closing is all that is wanted
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int k;
            try {
                k = super.read(b, off, len);
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
        public void close() throws IOException {
            active.remove(this);
            super.close();
        }
    }

    @Override
    public String describe() {
        return base;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        for (Watched w : active) {
            w.abort("closed");
        }
    }
}
