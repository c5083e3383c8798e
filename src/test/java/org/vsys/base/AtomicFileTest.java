package org.vsys.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @Test
    void atomicWriteLeavesOnlyTheFileWithMode0644(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rec");
        byte[] content = "version=1\n".getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(f, content);
        AtomicFile.write(f, content);
        assertArrayEquals(content, Files.readAllBytes(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp file left");
        }
    }

    @Test
    void aSymlinkAtTheTargetOrTheTempNameIsReplacedNotFollowed(@TempDir Path dir) throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "untouched\n");
        Path f = Files.createSymbolicLink(dir.resolve("ref"), victim);
        Files.createSymbolicLink(dir.resolve(".ref.tmp." + ProcessHandle.current().pid()), victim);
        AtomicFile.write(f, "new\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("untouched\n", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(f));
        assertEquals("new\n", Files.readString(f));
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "no temp file left");
        }
    }
}
