package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.vsys.base.ExitCode;
import org.vsys.cli.Main;
import org.vsys.config.Installation;
import org.vsys.mount.MountTable;

/**
 * A local tree through the whole lifecycle, for real, as root: create, alias, list, status, busy
 * refusal, destroy, rollback. Uses its own OS root and a vsys-view built for it (make -C native
 * B=... VSYS_ROOT=...), so it never touches /OS. Run with {@code mvn -Pit verify}.
 */
@Tag("root")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalTreeIT {
    static Path base;
    static Path root;
    static Path tree;
    static Path libexec;
    static Installation inst;
    static TreeMap<String, String> treeHashes;

    record Result(int code, String out, String err) {
    }

    static Result vsys(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(inst, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd));
        return p.exitValue();
    }

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Installation.procEuid() == 0, "needs root");
        Path project = Path.of(System.getProperty("vsys.basedir", ".")).toAbsolutePath();
        assumeTrue(Files.exists(project.resolve("native/Makefile")), "needs native/");
        base = Path.of("/var/lib/vsys-localtree-it-" + ProcessHandle.current().pid());
        root = base.resolve("OS");
        tree = base.resolve("tree");
        libexec = project.resolve("target/it-localtree");
        Files.createDirectories(tree.resolve("etc"));
        Files.createDirectories(tree.resolve("usr/bin"));
        Files.createDirectories(tree.resolve("var/tmp"));
        Files.createDirectories(tree.resolve("opt"));
        Files.writeString(tree.resolve("etc/os-release"), "PRETTY_NAME=\"local tree\"\n");
        Files.writeString(tree.resolve("usr/bin/tool"), "#!/bin/sh\necho tool\n");
        Files.createSymbolicLink(tree.resolve("escape"), Path.of("/"));
        assertEquals(0, sh("make", "-s", "-C", project.resolve("native").toString(), "B=" + libexec,
                "VSYS_ROOT=" + root, libexec.resolve("vsys-view").toString()));
        inst = new Installation(root, libexec, Installation::procEuid);
        treeHashes = hashes(tree);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (inst == null) {
            return;
        }
        for (String n : new Records(inst).systemNames()) {
            vsys("destroy", "--force", n);
        }
        assertTrue(MountTable.read().atOrUnder(base.toString()).isEmpty(), "no mount left under " + base);
        assertEquals(treeHashes, hashes(tree), "the tree is byte for byte what it was");
        sh("rm", "-rf", "--one-file-system", base.toString());
    }

    static TreeMap<String, String> hashes(Path dir) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String key = dir.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(key, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        out.put(key, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                } else {
                    out.put(key, "dir");
                }
            }
        }
        return out;
    }

    @Test
    @Order(1)
    void createAliasListStatusDestroy() throws Exception {
        Result c = vsys("-c", "lt1", "dir:" + tree, "--mount", "/opt=" + tree.resolve("usr"), "--rw", "/opt");
        assertEquals(0, c.code(), c.err());
        Path sys = root.resolve("lt1");
        assertEquals("local tree", Files.readString(sys.resolve("etc/os-release")).split("\"")[1]);
        assertTrue(Files.exists(sys.resolve("opt/bin/tool")));
        assertThrows(IOException.class, () -> Files.writeString(sys.resolve("etc/new"), "x"));
        String rec = Files.readString(root.resolve("etc/systems/lt1"), StandardCharsets.UTF_8);
        assertTrue(rec.contains("\nstate=ready\n"), rec);
        assertTrue(rec.contains("\nfs=/ dir:" + tree + " ro\n"), rec);
        assertTrue(rec.contains("\nfs=/opt dir:" + tree.resolve("usr") + " rw\n"), rec);
        assertEquals("bin", Files.readSymbolicLink(root.resolve("bin/lt1")).toString());
        MountTable.Mount m = MountTable.read().at(sys.toString());
        assertTrue(m.options().contains("ro") && m.options().contains("nosuid") && m.options().contains("nodev"), m.options());

        assertEquals(0, vsys("-a", "lt1a", "lt1").code());
        Result l = vsys("list");
        assertTrue(l.out().contains("lt1a") && l.out().contains("alias"), l.out());
        Result st = vsys("status", "lt1a", "--json");
        assertEquals(0, st.code(), st.out() + st.err());
        assertTrue(st.out().contains("\"healthy\": true"));

        // busy: a process with its cwd inside; nothing changes
        Process p = new ProcessBuilder("sleep", "60").directory(sys.resolve("etc").toFile()).start();
        try {
            Result busy = vsys("-d", "lt1");
            assertEquals(ExitCode.BUSY.code(), busy.code(), busy.err());
            assertTrue(busy.err().contains("pid " + p.pid()), busy.err());
            assertTrue(MountTable.read().isMountPoint(sys.toString()));
            assertTrue(Files.exists(root.resolve("etc/systems/lt1")));
        } finally {
            p.destroyForcibly().waitFor();
        }
        Result alias = vsys("-d", "lt1a");
        assertEquals(ExitCode.USAGE.code(), alias.code());
        assertTrue(alias.err().contains("use 'vsys unalias lt1a'"));

        Result d = vsys("-d", "lt1");
        assertEquals(0, d.code(), d.err());
        assertFalse(Files.exists(sys, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(root.resolve("bin/lt1"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(root.resolve("bin/lt1a"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(root.resolve("etc/aliases/lt1a")));
        assertFalse(Files.exists(root.resolve("etc/systems/lt1")));
        assertTrue(MountTable.read().atOrUnder(sys.toString()).isEmpty());
        assertEquals(treeHashes, hashes(tree));
        assertEquals(ExitCode.NO_SUCH.code(), vsys("-d", "lt1").code(), "destroy twice");
    }

    @Test
    @Order(2)
    void failedCreateLeavesNothing() throws Exception {
        Result r = vsys("-c", "lt2", tree.toString(), "--mount", "/missing=" + tree);
        assertEquals(ExitCode.BAD_SOURCE.code(), r.code(), r.err());
        assertEquals(1, r.err().strip().split("\n").length);
        assertFalse(Files.exists(root.resolve("lt2"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(root.resolve("etc/systems/lt2")));
        assertFalse(Files.exists(root.resolve("bin/lt2"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(MountTable.read().atOrUnder(root.resolve("lt2").toString()).isEmpty());

        Result esc = vsys("-c", "lt3", tree.toString(), "--mount", "/escape/tmp2=" + tree);
        assertEquals(ExitCode.UNSAFE.code(), esc.code(), "a symlink in the tree never redirects a mount: " + esc.err());
        assertFalse(Files.exists(root.resolve("lt3"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(treeHashes, hashes(tree));
    }

    @Test
    @Order(3)
    void remountAfterAnUnmountBehindItsBack() throws Exception {
        assertEquals(0, vsys("-c", "lt4", tree.toString(), "--mount", "/opt=" + tree.resolve("usr")).code());
        assertEquals(0, sh("umount", root.resolve("lt4/opt").toString()));
        Result st = vsys("status", "lt4");
        assertEquals(ExitCode.UNHEALTHY.code(), st.code(), st.out());
        assertTrue(st.err().contains("/opt is not mounted"));
        assertEquals(0, vsys("remount", "lt4").code());
        assertEquals(0, vsys("status", "lt4").code());
        assertEquals(0, vsys("-d", "lt4").code());
    }

    static <T extends Throwable> void assertThrows(Class<T> type, org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(type, e);
    }

    @Test
    @Order(4)
    void listOfNothingAfterwards() {
        Result l = vsys("list", "--json");
        assertEquals(0, l.code());
        assertEquals("[]", l.out().strip());
        assertTrue(List.of(root.toFile().list()).stream().noneMatch(n -> n.startsWith("lt")));
    }
}
