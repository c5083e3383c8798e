package org.vsys.base;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one way vsys replaces a state file (records, markers, pid files, store refs and commits), so
 * that a crash leaves either the old or the new content: write a temp file, fsync, rename, fsync
 * the directory.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** What {@link #write(Path, Content)} puts into the temp file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel ch) throws IOException;
    }

    /**
     * Writes {@code content} to {@code file} atomically: a temp file {@code .<name>.tmp.<pid>} in the
     * same directory (opened with O_NOFOLLOW and O_EXCL, created with mode 0644 and set to it), fsync,
     * rename over the target (a symlink there is replaced, never followed), fsync of the directory.
     * The temp file is removed on failure.
     */
    public static void write(Path file, byte[] content) throws IOException {
        write(file, ch -> {
            ByteBuffer bb = ByteBuffer.wrap(content);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        });
    }

    /** {@link #write(Path, byte[])} with the bytes written by {@code content} (a copy, a stream). */
    public static void write(Path file, Content content) throws IOException {
        Path dir = file.getParent();
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp." + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(tmp); // a leftover of a killed vsys with a recycled pid
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
                content.writeTo(ch);
                ch.force(true);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(tmp + ": exists", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
        fsyncDirectory(dir);
    }

    /** Removes {@code file} (never a directory) and makes the removal durable. */
    public static void removeDurably(Path file) throws IOException {
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(file + ": is a directory");
        }
        Files.deleteIfExists(file);
        fsyncDirectory(file.getParent());
    }

    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
