package org.vsys.base;

/**
 * A failure the user can act on. It prints as exactly one line, {@code vsys: <what>: <why>}, and
 * ends the process with its {@link ExitCode}.
 */
public class VsysException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ExitCode exitCode;
    private final String what;
    private final String why;

    public VsysException(ExitCode exitCode, String what, String why) {
        this(exitCode, what, why, null);
    }

    public VsysException(ExitCode exitCode, String what, String why, Throwable cause) {
        super(what + ": " + why, cause);
        this.exitCode = exitCode;
        this.what = what;
        this.why = why;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    public String what() {
        return what;
    }

    public String why() {
        return why;
    }

    /** The single line printed on stderr, without the newline. */
    public String line() {
        return "vsys: " + oneLine(what) + ": " + oneLine(why);
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        return s.strip().replace('\n', ' ').replace('\r', ' ');
    }
}
