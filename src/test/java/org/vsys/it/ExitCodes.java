package org.vsys.it;

/** The exit codes of {@code vsys} and of the launcher, as docs/DESIGN.md defines them. */
final class ExitCodes {
    private ExitCodes() {
    }

    // vsys
    static final int OK = 0;
    static final int INTERNAL = 1;
    static final int USAGE = 2;
    static final int BAD_NAME = 3;
    static final int EXISTS = 4;
    static final int NO_SUCH = 5;
    static final int NOT_ROOT = 6;
    static final int BAD_SOURCE = 7;
    static final int UNREACHABLE = 8;
    static final int UNSUPPORTED = 9;
    static final int MOUNT_FAILED = 10;
    static final int BUSY = 11;
    static final int UNHEALTHY = 12;
    static final int CORRUPT = 13;
    static final int LOCKED = 14;
    static final int UNSAFE = 15;

    // the launcher /OS/bin/bin
    static final int LAUNCHER_REFUSED = 125;
    static final int LAUNCHER_NOT_EXECUTABLE = 126;
    static final int LAUNCHER_NOT_FOUND = 127;
}
