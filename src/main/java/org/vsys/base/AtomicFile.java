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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one way vsys replaces a state file (records, markers, pid files, store refs and commits, the
 * snapshot resume index), a symlink (the launcher links) or a directory built aside (checkouts,
 * layer generations), so that a crash leaves either the old or the new one: write a temp, fsync,
 * rename, fsync the directory.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /**
     * Writes {@code content} to {@code file} atomically and durably: a temp file
     * {@code .<name>.tmp.<pid>} in the same directory (opened with O_NOFOLLOW and O_EXCL, created
     * with mode 0644 and set to it), fsync, rename over the target (a symlink there is replaced,
     * never followed), fsync of the directory. The temp file is removed on failure.
     */
    public static void write(Path file, byte[] content) throws IOException {
        write(file, content, true);
    }

    /**
     * {@link #write} without the two fsyncs: readers see the old or the new content, never a part,
     * but a crash may lose the new one. For hints that cost only time when lost.
     */
    public static void writeHint(Path file, byte[] content) throws IOException {
        write(file, content, false);
    }

    /** What {@link #write(Path, Content)} puts into the temp file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** {@link #write(Path, byte[])} with the bytes that {@code content} writes (a copy, a stream). */
    public static void write(Path file, Content content) throws IOException {
        write(file, content, true);
    }

    private static void write(Path file, byte[] content, boolean durable) throws IOException {
        write(file, ch -> {
            ByteBuffer bb = ByteBuffer.wrap(content);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        }, durable);
    }

    private static void write(Path file, Content content, boolean durable) throws IOException {
        Path dir = file.getParent();
        Path tmp = temp(file);
        try {
            Files.deleteIfExists(tmp); // a leftover of a killed vsys with a recycled pid
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(MODE))) {
                content.writeTo(ch);
                if (durable) {
                    ch.force(true);
                }
            }
            Files.setPosixFilePermissions(tmp, MODE);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(tmp + ": exists", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (durable) {
            fsyncDirectory(dir);
        }
    }

    /**
     * Points {@code link} at {@code target} atomically and durably: a temp symlink (same name as
     * {@link #write}'s temp file), rename over {@code link}, fsync of the directory.
     */
    public static void symlink(Path link, Path target) throws IOException {
        Path tmp = temp(link);
        try {
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, target);
            Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        fsyncDirectory(link.getParent());
    }

    /**
     * Moves a directory built aside ({@code tmp}, complete) to {@code dst}, which must not exist,
     * in one rename, and makes the rename durable: a directory at {@code dst} is always complete.
     */
    public static void publishDirectory(Path tmp, Path dst) throws IOException {
        Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(dst.getParent());
    }

    private static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-r--r--");

    /** The temp name beside {@code file}: {@code .<name>.tmp.<pid>} (Recovery removes those of a dead writer). */
    private static Path temp(Path file) {
        return file.resolveSibling("." + file.getFileName() + ".tmp." + ProcessHandle.current().pid());
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
