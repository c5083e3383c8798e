package org.vsys.testing;

/** The exit codes of {@code vsys} and of the launcher, as docs/DESIGN.md defines them. */
public final class ExitCodes {
    private ExitCodes() {
    }

    // vsys
    public static final int OK = 0;
    public static final int INTERNAL = 1;
    public static final int USAGE = 2;
    public static final int BAD_NAME = 3;
    public static final int EXISTS = 4;
    public static final int NO_SUCH = 5;
    public static final int NOT_ROOT = 6;
    public static final int BAD_SOURCE = 7;
    public static final int UNREACHABLE = 8;
    public static final int UNSUPPORTED = 9;
    public static final int MOUNT_FAILED = 10;
    public static final int BUSY = 11;
    public static final int UNHEALTHY = 12;
    public static final int CORRUPT = 13;
    public static final int LOCKED = 14;
    public static final int UNSAFE = 15;

    // the launcher /OS/bin/bin
    public static final int LAUNCHER_REFUSED = 125;
    public static final int LAUNCHER_NOT_EXECUTABLE = 126;
    public static final int LAUNCHER_NOT_FOUND = 127;
}
