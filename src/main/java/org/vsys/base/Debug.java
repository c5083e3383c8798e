package org.vsys.base;

import java.io.PrintWriter;

/** Where --debug lines go (stderr), or nowhere. */
public final class Debug {
    private static final long START = System.nanoTime();
    private final PrintWriter out;

    public Debug(PrintWriter out) {
        this.out = out;
    }

    public static Debug off() {
        return new Debug(null);
    }

    public boolean on() {
        return out != null;
    }

    public PrintWriter writer() {
        return out;
    }

    public void line(String s) {
        if (out != null) {
            out.println("vsys: debug: " + (System.nanoTime() - START) / 1_000_000 + " ms: " + s);
            out.flush();
        }
    }
}
