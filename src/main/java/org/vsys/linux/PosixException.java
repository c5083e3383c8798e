package org.vsys.linux;

import java.io.IOException;

/** A failed system call: which call, on what, and the errno the kernel gave. */
public final class PosixException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String path;
    private final int errno;

    public PosixException(String call, String path, int errno, String strerror) {
        super(call + "(" + path + "): " + Errno.name(errno) + ": " + strerror);
        this.call = call;
        this.path = path;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public String path() {
        return path;
    }

    public int errno() {
        return errno;
    }

    public String errnoName() {
        return Errno.name(errno);
    }

    /** Short form for user-facing lines: "EBUSY (Device or resource busy)". */
    public String reason() {
        String m = getMessage();
        int i = m.indexOf("): ");
        return i < 0 ? m : m.substring(i + 3);
    }
}
