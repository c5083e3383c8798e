package org.vsys.mount;

import org.vsys.config.GlobalConfig;
import org.vsys.base.Debug;
import org.vsys.config.Installation;

/** What a transport needs to know besides the filesystem: whose it is and how long it may wait. */
public record MountContext(String system, Installation installation, GlobalConfig config, int timeoutSeconds,
        Debug debug) {

    public long timeoutMillis() {
        return timeoutSeconds * 1000L;
    }

    public void debug(String line) {
        if (debug != null) {
            debug.line(line);
        }
    }
}
