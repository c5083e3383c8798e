package org.vsys.base;

/**
 * Named points in every state change, for the crash and fault tests: with the environment variable
 * {@code VSYS_FAULT_AT=<step>} vsys fails at that step (exit 1, as a crash would leave it), and
 * with {@code VSYS_PAUSE_AT=<step>} it prints {@code vsys: paused at <step>} on stderr and sleeps
 * 60 s (or {@code VSYS_PAUSE_SECONDS}) so a test can {@code kill -9} it there.
 */
public final class Steps {
    private static final String FAULT = System.getenv("VSYS_FAULT_AT");
    private static final String PAUSE = System.getenv("VSYS_PAUSE_AT");
    /** How long a pause lasts ({@code VSYS_PAUSE_SECONDS}, default 60): a test can race the step, then let it go on. */
    private static final int PAUSE_SECONDS = seconds(System.getenv("VSYS_PAUSE_SECONDS"));

    private Steps() {
    }

    private static int seconds(String s) {
        try {
            return s == null ? 60 : Math.max(0, Math.min(3600, Integer.parseInt(s)));
        } catch (NumberFormatException e) {
            return 60;
        }
    }

    public static void reach(String step) throws VsysException {
        if (step.equals(PAUSE)) {
            System.err.println("vsys: paused at " + step);
            System.err.flush();
            try {
                Thread.sleep(PAUSE_SECONDS * 1000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (step.equals(FAULT)) {
            throw new VsysException(ExitCode.INTERNAL, step, "fault injected (VSYS_FAULT_AT)");
        }
    }
}
