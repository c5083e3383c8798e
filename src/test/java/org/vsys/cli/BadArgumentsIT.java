package org.vsys.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vsys.testing.Rig;
import org.vsys.testing.Cmd;

/**
 * Bad input to every command: missing, empty, overlong, non-UTF-8 and shell-metacharacter
 * arguments, unknown options, and corrupt or truncated record files. Each must give exactly one
 * line on stderr starting with {@code vsys: }, a non-zero exit code, and no change on disk
 * (records, links, directories, mounts) or elsewhere (no file made by an injected command).
 */
@Tag("root")
class BadArgumentsIT {
    static Path tree;
    static final Path PWNED = Path.of("/tmp/vsys-rel-pwned");
    static int cases;

    @BeforeAll
    static void setUp() throws Exception {
        Rig.setUp();
        tree = Rig.tree("bad");
        Rig.vsysOk("create", "bd1", "dir:" + tree);
        Rig.vsysOk("alias", "bd1a", "bd1");
        Files.deleteIfExists(PWNED);
    }

    @AfterAll
    static void tearDown() {
        if (Rig.inst == null) {
            return;
        }
        System.err.println("BadArgumentsIT: " + cases + " cases");
        Rig.cleanAll();
        Rig.assertConsistent("after BadArgumentsIT");
        Rig.removeTree(tree);
    }

    static final String LONG = "a".repeat(65);
    static final String HUGE = "x".repeat(5000);
    static final String NON_UTF8 = "\uFFFD\uFFFDname"; // what the JVM makes of bytes 0xff 0xfe
    static final List<String> BAD_NAMES = List.of("", LONG, HUGE, NON_UTF8, "a;touch " + PWNED, "$(touch " + PWNED + ")",
            "`touch " + PWNED + "`", "a|b", "a&&b", "*", "../etc", "a/b", "a\nb", ".hidden", "bin", "etc", "-", " ", "a b",
            "name\u0000x");

    /** Runs one bad command line and checks the rules; returns a problem or null. */
    static String bad(String... args) throws Exception {
        cases++;
        String before = Rig.state();
        Cmd.Result r = Rig.vsys(args);
        String what = "vsys " + String.join(" ", args).replace("\n", "\\n");
        if (what.length() > 120) {
            what = what.substring(0, 120) + "...";
        }
        if (r.exit() == 0) {
            return what + ": exit 0";
        }
        if (r.errLines().size() != 1 || !r.err().startsWith("vsys: ")) {
            return what + ": not one 'vsys: ' line: " + r.err();
        }
        if (r.err().length() > 400) {
            return what + ": an error line of " + r.err().length() + " characters";
        }
        String after = Rig.state();
        if (!before.equals(after)) {
            return what + ": the state changed:\n--- before\n" + before + "--- after\n" + after;
        }
        if (Files.exists(PWNED)) {
            return what + ": an argument was run by a shell";
        }
        return null;
    }

    static void check(List<String> problems) {
        assertTrue(problems.isEmpty(), problems.size() + " problem(s):\n" + String.join("\n", problems));
    }

    @Test
    void badNamesToEveryCommand() throws Exception {
        List<String> p = new ArrayList<>();
        for (String n : BAD_NAMES) {
            for (String[] a : List.of(new String[] {"create", n, "dir:" + tree}, new String[] {"-c", n, "dir:" + tree},
                    new String[] {"alias", n, "bd1"}, new String[] {"alias", "bdx", n}, new String[] {"-a", n, "bd1"},
                    new String[] {"unalias", n}, new String[] {"destroy", n}, new String[] {"-d", n},
                    new String[] {"destroy", "--force", n}, new String[] {"status", n}, new String[] {"remount", n},
                    new String[] {"run", n, "--", "true"}, new String[] {"shell", n})) {
                String problem = bad(a);
                if (problem != null) {
                    p.add(problem);
                }
            }
        }
        check(p);
    }

    /**
     * {@code vsys shell} without a name is no missing argument: the launcher chooses ($VSYS,
     * ~/.vsys, default=). With none of them it refuses with one line of its own and exit 125,
     * and changes nothing. Run as a process of its own: the launcher writes to the real stderr.
     */
    @Test
    void shellWithoutASelection() throws Exception {
        cases++;
        String before = Rig.state();
        Path home = Files.createTempDirectory("vsys-rel-home");
        try {
            Cmd.Result r = Rig.javaCmd("org.vsys.cli.Main", "shell").unsetEnv("VSYS").env("HOME", home.toString())
                    .timeoutSeconds(60).run();
            List<String> lines = r.err().lines().toList();
            assertEquals(125, r.exit(), "vsys shell without a selection: " + lines);
            assertEquals(1, lines.size(), "vsys shell without a selection: not one line: " + lines);
            assertTrue(lines.get(0).startsWith("vsys: "), "vsys shell without a selection: " + lines);
            assertEquals(before, Rig.state(), "vsys shell without a selection changed the state");
        } finally {
            Files.deleteIfExists(home);
        }
    }

    @Test
    void missingArgumentsAndUnknownOptions() throws Exception {
        List<String> p = new ArrayList<>();
        for (String[] a : List.of(new String[] {}, new String[] {"create"}, new String[] {"-c"}, new String[] {"alias"},
                new String[] {"alias", "bdx"}, new String[] {"-a", "bdx"}, new String[] {"unalias"}, new String[] {"destroy"},
                new String[] {"-d"}, new String[] {"remount"}, new String[] {"run"},
                new String[] {"--bogus"}, new String[] {"bogus-command"}, new String[] {"create", "--bogus", "bdx", "dir:" + tree},
                new String[] {"destroy", "--bogus", "bd1"}, new String[] {"destroy", "-f", "bd1"}, new String[] {"list", "--bogus"},
                new String[] {"status", "--bogus"}, new String[] {"restore", "--bogus"}, new String[] {"restore", "extra"},
                new String[] {"check", "--bogus"}, new String[] {"check", "--repair=yes"}, new String[] {"check", "extra"},
                new String[] {"restore", "--timeout", "0"}, new String[] {"restore", "--timeout", "x"},
                new String[] {"restore", "--timeout"}, new String[] {"status", "--timeout", "-1"},
                new String[] {"create", "bdx", "dir:" + tree, "--timeout", "0"}, new String[] {"create", "bdx", ""},
                new String[] {"create", "bdx", "dir:"}, new String[] {"create", "bdx", "dir:relative"},
                new String[] {"create", "bdx", "dir:" + tree + ";touch " + PWNED}, new String[] {"create", "bdx", "$(touch " + PWNED + ")"},
                new String[] {"create", "bdx", "ssh://host/`touch " + PWNED + "`"}, new String[] {"create", "bdx", HUGE},
                new String[] {"create", "bdx", "dir:" + tree, "--mount", ""}, new String[] {"create", "bdx", "dir:" + tree, "--mount", "/opt="},
                new String[] {"create", "bdx", "dir:" + tree, "--mount", "=dir:" + tree}, new String[] {"create", "bdx", "dir:" + tree, "-o", "/=a;b"},
                new String[] {"create", "bdx", "dir:" + tree, "--users", "root;touch " + PWNED},
                new String[] {"create", "bdx", "dir:" + tree, "--hostfiles", "../../etc/shadow"},
                new String[] {"create", "bdx", "dir:" + tree, "--identity", "/nonexistent"},
                new String[] {"create", "bdx", "dir:" + tree, "--ro", "/nowhere"},
                new String[] {"create", "bdx", "dir:" + Rig.R}, new String[] {"create", "bd1", "dir:" + tree},
                new String[] {"create", "bd1a", "dir:" + tree}, new String[] {"alias", "bd1", "bd1a"},
                new String[] {"alias", "bdx", "nosuch"}, new String[] {"unalias", "bd1"}, new String[] {"unalias", "nosuch"})) {
            String problem = bad(a);
            if (problem != null) {
                p.add(problem);
            }
        }
        check(p);
    }

    /** Raw bytes that are not UTF-8 on a real command line (a separate JVM, through bash). */
    @Test
    void nonUtf8BytesOnARealCommandLine() throws Exception {
        List<String> p = new ArrayList<>();
        String before = Rig.state();
        String java = String.join(" ", Rig.vsysCommand("org.vsys.cli.Main").stream().map(s -> "'" + s + "'").toList());
        for (String args : List.of("destroy $'\\xff\\xfe'", "create $'bd\\xff' dir:" + tree, "alias $'\\xc3\\x28' bd1",
                "status $'\\xed\\xa0\\x80'", "create bdx $'dir:/tmp/\\xff'")) {
            cases++;
            Cmd.Result r = Cmd.of("bash", "-c", "exec " + java + " " + args).timeoutSeconds(120).run();
            List<String> lines = r.errLines();
            if (r.exit() == 0 || lines.size() != 1 || !lines.get(0).startsWith("vsys: ")) {
                p.add(args + ": exit " + r.exit() + ", stderr " + lines);
            }
        }
        assertEquals(before, Rig.state());
        check(p);
    }

    @Test
    void corruptAndTruncatedRecords() throws Exception {
        byte[] good = Files.readAllBytes(Rig.R.resolve("etc/systems/bd1"));
        List<byte[]> bodies = List.of(
                "garbage without equals\n".getBytes(StandardCharsets.UTF_8),
                java.util.Arrays.copyOf(good, good.length / 2),                 // truncated mid-line
                java.util.Arrays.copyOf(good, 10),
                new byte[0],
                new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, '\n'},
                (new String(good, StandardCharsets.UTF_8) + "state=ready\n").getBytes(StandardCharsets.UTF_8), // key twice
                new String(good, StandardCharsets.UTF_8).replace("name=bd1", "name=other").getBytes(StandardCharsets.UTF_8),
                new String(good, StandardCharsets.UTF_8).replace("state=ready", "state=bogus").getBytes(StandardCharsets.UTF_8),
                "x".repeat(70 * 1024).getBytes(StandardCharsets.UTF_8));
        List<String> p = new ArrayList<>();
        int i = 0;
        for (byte[] body : bodies) {
            Path rec = Rig.R.resolve("etc/systems/bdbad");
            Files.write(rec, body);
            Files.setPosixFilePermissions(rec, PosixFilePermissions.fromString("rw-r--r--"));
            try {
                for (String[] a : List.of(new String[] {"destroy", "bdbad"}, new String[] {"destroy", "--force", "bdbad"},
                        new String[] {"status", "bdbad"}, new String[] {"remount", "bdbad"}, new String[] {"alias", "bdx", "bdbad"},
                        new String[] {"create", "bdbad", "dir:" + tree},
                        new String[] {"restore"}, new String[] {"check"}, new String[] {"check", "--repair"})) {
                    String problem = bad(a);
                    if (problem != null) {
                        p.add("record body " + i + ": " + problem);
                    }
                }
                if (!java.util.Arrays.equals(body, Files.readAllBytes(rec))) {
                    p.add("record body " + i + ": the corrupt record was changed (it is the admin's to look at)");
                }
            } finally {
                Files.delete(rec);
            }
            i++;
        }
        // a corrupt alias record, too
        Path al = Rig.R.resolve("etc/aliases/bdbada");
        Files.writeString(al, "version=1\nname=bdbada\n");
        try {
            for (String[] a : List.of(new String[] {"unalias", "bdbada"}, new String[] {"destroy", "bdbada"},
                    new String[] {"status", "bdbada"}, new String[] {"alias", "bdx", "bdbada"})) {
                String problem = bad(a);
                if (problem != null) {
                    p.add("alias record: " + problem);
                }
            }
        } finally {
            Files.delete(al);
        }
        check(p);
        Rig.assertConsistent("after the corrupt records are gone");
    }
}
