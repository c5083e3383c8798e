package org.vsys.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;
import org.vsys.config.Installation;

/** JNA starts without asking ldconfig (jna.platform.library.path set first) and still finds libc. */
class JnaPosixInitTest {

    @Test
    void libcLoadsWithThePresetSearchPath() {
        int euid = JnaPosix.INSTANCE.geteuid();
        assertEquals(Installation.procEuid(), euid);
    }

    @Test
    void anExplicitPathIsKept() {
        assertNotNull(JnaPosix.INSTANCE, "initialised first, with the preset path");
        String before = System.getProperty("jna.platform.library.path");
        assertNotNull(before);
        try {
            System.setProperty("jna.platform.library.path", "/explicit");
            JnaPosix.avoidLdconfig();
            assertEquals("/explicit", System.getProperty("jna.platform.library.path"));
        } finally {
            if (before == null) {
                System.clearProperty("jna.platform.library.path");
            } else {
                System.setProperty("jna.platform.library.path", before);
            }
        }
    }
}
