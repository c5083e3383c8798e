package org.vsys.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Test;
import org.vsys.testing.Cmd;
import org.vsys.testing.ItEnv;

/**
 * The systemd units of vsys apply as install.sh installs them: {@code systemd-analyze verify}
 * (unit syntax, the ExecStart binary, the man pages of Documentation=) prints nothing and exits 0,
 * and the path unit watches the declarations directory and starts the service.
 */
class SystemdUnitsIT {
    static final Path UNITS = Paths.get(ItEnv.env("VSYS_IT_UNITS", "/usr/local/lib/systemd/system"));

    @Test
    void applyUnitsVerify() throws Exception {
        ItEnv.requireInstalled();
        ItEnv.require(Files.isExecutable(Paths.get("/usr/bin/systemd-analyze")), "systemd-analyze (apt-get install systemd)");
        Path service = UNITS.resolve("vsys-apply.service");
        Path path = UNITS.resolve("vsys-apply.path");
        assertTrue(Files.isRegularFile(service) && Files.isRegularFile(path), "install.sh installed the units in " + UNITS);
        Cmd.Result r = Cmd.of("systemd-analyze", "verify", service.toString(), path.toString()).env("SYSTEMD_LOG_LEVEL", "notice").run();
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.err().strip() + r.out().strip(), r.toString());
        String s = Files.readString(service);
        assertTrue(s.contains("\nAfter=network-online.target remote-fs.target"), s);
        assertTrue(s.contains("\nExecStart=" + ItEnv.VSYS + " apply\n"), s);
        String p = Files.readString(path);
        assertTrue(p.contains("\nPathChanged=/etc/vsys/systems.d\n") && p.contains("\nUnit=vsys-apply.service\n"), p);
        // a unit that does not verify is told apart: the check can fail
        Path bad = Files.createTempFile("vsys-apply-bad", ".service");
        try {
            Files.writeString(bad, s.replace("ExecStart=" + ItEnv.VSYS, "ExecStart=/nonexistent/vsys"));
            Cmd.Result b = Cmd.of("systemd-analyze", "verify", bad.toString()).env("SYSTEMD_LOG_LEVEL", "notice").run();
            assertTrue(b.exit() != 0 || !b.err().isBlank(), b.toString());
        } finally {
            Files.deleteIfExists(bad);
        }
    }
}
