package org.vsys.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void aHintIsWrittenTheSameWayWithoutTheFsyncs(@TempDir Path dir) throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "untouched\n");
        Path f = Files.createSymbolicLink(dir.resolve("resume"), victim);
        AtomicFile.writeHint(f, "hint\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("untouched\n", Files.readString(victim));
        assertEquals("hint\n", Files.readString(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "no temp file left");
        }
    }

    @Test
    void aSymlinkIsReplacedInOneRename(@TempDir Path dir) throws Exception {
        Path link = dir.resolve("web1");
        AtomicFile.symlink(link, Path.of("bin"));
        AtomicFile.symlink(link, Path.of("bin2"));
        assertEquals(Path.of("bin2"), Files.readSymbolicLink(link));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp link left");
        }
    }

    @Test
    void aDirectoryIsPublishedOnlyWhereNoneIs(@TempDir Path dir) throws Exception {
        Path tmp = Files.createDirectory(dir.resolve(".tmp-x"));
        Files.writeString(tmp.resolve("f"), "x");
        AtomicFile.publishDirectory(tmp, dir.resolve("x"));
        assertEquals("x", Files.readString(dir.resolve("x/f")));
        assertFalse(Files.exists(tmp));
        Path again = Files.createDirectory(dir.resolve(".tmp-y"));
        Files.writeString(again.resolve("g"), "y");
        assertThrows(java.io.IOException.class, () -> AtomicFile.publishDirectory(again, dir.resolve("x")));
        assertEquals("x", Files.readString(dir.resolve("x/f")));
    }
}
