package org.vsys.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

class ExitCodeTest {

    @Test
    void codesAreUniqueContiguousAndDescribed() {
        Set<Integer> seen = new HashSet<>();
        int expected = 0;
        for (ExitCode c : ExitCode.values()) {
            assertEquals(expected++, c.code(), c.name());
            assertFalse(c.meaning().isBlank());
            assertFalse(!seen.add(c.code()));
        }
        assertEquals(16, seen.size());
    }

    @Test
    void errorLineIsOneLine() {
        VsysException e = new VsysException(ExitCode.BUSY, "web1\n", "in use\r\nby pid 1");
        assertEquals("vsys: web1: in use  by pid 1", e.line());
    }
}
