package org.vsys.base;

/**
 * The one table of exit codes of {@code vsys} (docs/DESIGN.md). Shown by {@code --help} and in
 * the EXIT STATUS section of vsys(8); a unit test keeps the three in step.
 */
public enum ExitCode {
    OK(0, "success"),
    INTERNAL(1, "an unexpected internal error (bug; details with --debug)"),
    USAGE(2, "usage: unknown option, missing or malformed argument"),
    BAD_NAME(3, "invalid or reserved name"),
    EXISTS(4, "the name already exists"),
    NO_SUCH(5, "no such system or alias"),
    NOT_ROOT(6, "not permitted: vsys must run as root"),
    BAD_SOURCE(7, "bad source: URL, host name unknown, path or option invalid"),
    UNREACHABLE(8, "server unreachable or not answering within the bound"),
    UNSUPPORTED(9, "missing kernel or system support (no NFS client, no FUSE, helper missing)"),
    MOUNT_FAILED(10, "a mount or unmount failed"),
    BUSY(11, "busy: processes use the system; nothing was changed"),
    UNHEALTHY(12, "unhealthy: status found a filesystem not mounted or not responding"),
    CORRUPT(13, "corrupt state: a record or the installation fails its checks"),
    LOCKED(14, "another vsys holds the lock too long"),
    UNSAFE(15, "unsafe: refused because the on-disk state is not what vsys made");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }
}
