package org.vsys.core;

import java.io.IOException;
import java.io.InputStream;

import org.vsys.base.ExitCode;

/** A source's file read to at most max bytes: one more byte is a refusal (a source cannot fill the disk). */
final class Bounded extends BlockInputStream {
    private final long max;
    private final String rel;
    private long n;

    Bounded(InputStream in, long max, String rel) {
        super(in);
        this.max = max;
        this.rel = rel;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int k;
        try {
            k = in.read(b, off, (int) Math.min(len, max - n + 1));
        } catch (PullSource.Refused e) {
            throw e;
        } catch (java.util.zip.ZipException e) {
            throw new PullSource.Refused(ExitCode.BAD_SOURCE, rel + ": bad compressed data: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PullSource.Refused(ExitCode.UNREACHABLE, rel + ": cannot read: " + e.getMessage(), e);
        }
        if (k > 0) {
            n += k;
            if (n > max) {
                throw new PullSource.Refused(ExitCode.BAD_SOURCE, rel + ": larger than the " + max + " bytes it may have");
            }
        }
        return k;
    }
}
