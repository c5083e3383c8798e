package org.vsys.config;

import java.nio.file.Path;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.linux.Posix;
import org.vsys.linux.PosixException;

/**
 * The state lock {@code R/etc/.lock}: {@code flock(LOCK_EX)} held for the whole of a state change,
 * waited for at most a bound (exit 14 after it). Released when closed or when the process dies.
 */
public final class Lock implements AutoCloseable {
    private final Posix posix;
    private int fd;

    private Lock(Posix posix, int fd) {
        this.posix = posix;
        this.fd = fd;
    }

    public static int defaultTimeoutSeconds() {
        return Integer.getInteger("vsys.lockTimeout", 30);
    }

    public static Lock take(Path file, int timeoutSeconds) throws VsysException {
        Posix posix = Posix.get();
        int fd;
        try {
            fd = posix.open(file.toString(), Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0600);
        } catch (PosixException e) {
            throw new VsysException(ExitCode.CORRUPT, file.toString(), "cannot open the lock file: " + e.reason(), e);
        }
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        try {
            while (!posix.flock(fd, Posix.LOCK_EX | Posix.LOCK_NB)) {
                if (System.nanoTime() > deadline) {
                    posix.close(fd);
                    throw new VsysException(ExitCode.LOCKED, file.toString(),
                            "another vsys has held the lock for more than " + timeoutSeconds + " s");
                }
                Thread.sleep(50);
            }
        } catch (PosixException e) {
            posix.close(fd);
            throw new VsysException(ExitCode.INTERNAL, file.toString(), e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            posix.close(fd);
            throw new VsysException(ExitCode.LOCKED, file.toString(), "interrupted while waiting for the lock");
        }
        return new Lock(posix, fd);
    }

    @Override
    public void close() {
        if (fd >= 0) {
            posix.close(fd);
            fd = -1;
        }
    }
}
