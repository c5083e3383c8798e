package org.vsys.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A small OS tree on local disk for {@code vsys create NAME dir:PATH}: busybox-static for the
 * tools, the host's bash with its libraries, an /etc/os-release that says ID=vsys-local-tree
 * (so it differs from the Debian remote), and the directories a system is expected to have.
 * Lives under /var/tmp (not /tmp: /tmp is shared into every system).
 */
public final class LocalTree implements AutoCloseable {
    public static final String OS_RELEASE_ID = "vsys-local-tree";
    public static final List<String> APPLETS = List.of("sh", "ash", "cat", "echo", "env", "id", "pwd", "ls", "sleep", "true",
            "false", "kill", "tr", "test", "[", "readlink", "stat", "head", "grep", "touch", "mkdir", "rm", "sed",
            "wc", "uname", "printf", "cut", "sort", "ps", "mount", "whoami", "groups", "mkfifo", "timeout");

    public final Path root;

    private LocalTree(Path root) {
        this.root = root;
    }

    public static LocalTree create(String label) {
        Path busybox = Paths.get("/bin/busybox");
        ItEnv.require(Files.isExecutable(busybox) && isStatic(busybox),
                "a static busybox at /bin/busybox (apt-get install busybox-static)");
        try {
            Files.createDirectories(Paths.get("/var/tmp"));
            Path root = Files.createTempDirectory(Paths.get("/var/tmp"), "vsys-it-" + label + "-");
            LocalTree t = new LocalTree(root);
            t.populate(busybox);
            return t;
        } catch (IOException e) {
            throw new AssertionError("cannot build a local tree: " + e, e);
        }
    }

    private static boolean isStatic(Path p) {
        Cmd.Result r = Cmd.of("file", "-L", p.toString()).run();
        if (r.exit() != 0) {
            // no file(1): ldd says "not a dynamic executable" for static binaries
            return Cmd.of("ldd", p.toString()).run().exit() != 0;
        }
        return r.out().contains("statically linked") || r.out().contains("static-pie");
    }

    private void populate(Path busybox) throws IOException {
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String d : List.of("bin", "sbin", "etc", "lib", "lib64", "usr/bin", "usr/lib", "usr/tmp", "var/tmp",
                "tmp", "home", "proc", "dev", "sys", "run", "root", "opt", "srv", "mnt")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(root.resolve("var/tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(root.resolve("usr/tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.copy(busybox, root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String a : APPLETS) {
            Files.createSymbolicLink(root.resolve("bin").resolve(a), Paths.get("busybox"));
            Files.createSymbolicLink(root.resolve("usr/bin").resolve(a), Paths.get("../../bin/busybox"));
        }
        // the host's bash with its shared libraries: the test users' login shell
        copyWithLibs(Paths.get("/bin/bash"), "bin/bash");
        write("etc/os-release", "PRETTY_NAME=\"vsys local test tree\"\nNAME=\"vsys-local\"\nID=" + OS_RELEASE_ID
                + "\nVERSION_ID=1\n");
        write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        write("etc/group", "root:x:0:\n");
        write("etc/hosts", "127.0.0.1 localhost\n");
        write("etc/resolv.conf", "");
        write("etc/localtime", "");
        write("etc/profile", "export PATH=/bin:/usr/bin\n");
    }

    private void copyWithLibs(Path exe, String dest) throws IOException {
        Path d = root.resolve(dest);
        Files.copy(exe, d, StandardCopyOption.COPY_ATTRIBUTES);
        for (String line : Cmd.of("ldd", exe.toString()).ok().split("\n")) {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
            String lib = null;
            if (line.contains("=> /")) {
                lib = line.substring(line.indexOf("=> ") + 3).split(" ")[0];
            } else if (line.strip().startsWith("/")) {
                lib = line.strip().split(" ")[0];
            }
            if (lib == null) {
                continue;
            }
            Path target = root.resolve(lib.substring(1));
            Files.createDirectories(target.getParent());
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(Paths.get(lib), target); // follows the host's symlink: a real file in the tree
            }
        }
    }

    private void write(String rel, String content) throws IOException {
        Files.writeString(root.resolve(rel), content, StandardCharsets.UTF_8);
    }

    /** Removes the tree; refuses if anything is mounted inside it. */
    @Override
    public void close() {
        try {
            removeUnlessMounted(root);
        } catch (IOException e) {
            System.err.println("LocalTree: could not remove " + root + ": " + e);
        }
    }

    /** Removes ROOT and everything in it, or nothing (with a line on stderr) if anything is mounted inside it. */
    public static void removeUnlessMounted(Path root) throws IOException {
        for (String m : OsState.mountPointsUnder(root)) {
            System.err.println("LocalTree: not removing " + root + ": " + m + " is mounted in it");
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
