package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "web1", "A-b_c.d", "0", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "bins", "etc2", "host.example.org"})
    void accepts(String name) {
        assertTrue(Names.isValid(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bin", "etc", ".", "..", ".x", "-x", "_x", "a/b", "a b", "a\nb", "é", "a$", "a:b", "a*"})
    void rejects(String name) {
        assertFalse(Names.isValid(name), name);
    }

    @Test
    void rejectsOver64Bytes() {
        assertFalse(Names.isValid("x".repeat(65)));
    }

    @Test
    void checkThrowsExitThreeWithPrintableName() {
        VsysException e = assertThrows(VsysException.class, () -> Names.check("bad\nname"));
        assertEquals(ExitCode.BAD_NAME, e.exitCode());
        assertFalse(e.line().contains("\n"));
        assertTrue(e.line().startsWith("vsys: bad?name: "));
        assertNotNull(Names.problem("bin"));
        assertTrue(Names.problem("bin").contains("reserved"));
        assertTrue(Names.problem(".hidden").contains("reserved"));
    }

    @Test
    void displayCutsLongNames() {
        assertTrue(Names.display("y".repeat(500)).length() < 100);
        assertEquals("''", Names.display(""));
    }
}
