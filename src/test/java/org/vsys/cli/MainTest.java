package org.vsys.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.core.Records;

import picocli.CommandLine;

/** The CLI through {@link Main#run}: exit codes, one-line errors, nothing changed on bad input. No root needed. */
class MainTest {

    @TempDir
    Path tmp;

    Path root;
    Installation asRoot;

    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    @BeforeEach
    void setUp() {
        root = tmp.resolve("OS");
        asRoot = new Installation(root, tmp.resolve("libexec-missing"), () -> 0);
    }

    static Result run(Installation inst, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(inst, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    Result run(String... args) {
        return run(asRoot, args);
    }

    void assertOneLineError(Result r, ExitCode expected) {
        assertEquals(expected.code(), r.code(), () -> "stderr: " + r.err + " stdout: " + r.out);
        assertEquals(1, r.errLines().size(), () -> "exactly one line on stderr: " + r.err);
        assertTrue(r.err.startsWith("vsys: "), r.err);
        assertTrue(r.err.substring(6).contains(": "), "vsys: <what>: <why>: " + r.err);
    }

    @Test
    void helpShowsEveryExitCode() {
        Result r = run("--help");
        assertEquals(0, r.code());
        for (ExitCode c : ExitCode.values()) {
            assertTrue(r.out.contains(String.format("%3d   %s", c.code(), c.meaning())), c.name() + " missing from --help");
        }
        for (String sub : List.of("create, -c", "alias, -a", "destroy, -d", "unalias", "list", "status", "remount", "run", "shell")) {
            assertTrue(r.out.contains(sub), sub);
        }
    }

    @Test
    void subcommandHelpAndVersion() {
        Result r = run("create", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out.contains("--mount=PATH=SOURCE"));
        assertTrue(r.out.contains("Exit status:"));
        Result v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out.startsWith("vsys "));
    }

    /** The bash completion names every subcommand and its options (the whole model, not Main's annotations alone). */
    @Test
    void theCompletionScriptKnowsEverySubcommand() {
        String script = Completion.script();
        for (Map.Entry<String, CommandLine> e : Main.commandLine(new Main()).getSubcommands().entrySet()) {
            assertTrue(script.contains("_picocli_vsys_" + e.getKey().replace("-", "") + "()")
                    || script.contains("_picocli_vsys_" + e.getKey() + "()"), e.getKey());
        }
        assertTrue(script.contains("'--json'"), "list's --json");
        assertTrue(script.contains("'--with-layer'"), "snapshot's --with-layer");
    }

    /**
     * A command line whose first word names a subcommand gets the model of that one only
     * ({@link Main#command}): the table must name exactly the subcommands and short forms that
     * their annotations declare, or such a line would parse differently from the whole model.
     */
    @Test
    void theFirstWordFindsTheSubcommandItNames() {
        CommandLine all = Main.commandLine(new Main());
        for (Map.Entry<String, CommandLine> e : all.getSubcommands().entrySet()) {
            Object cmd = e.getValue().getCommandSpec().userObject();
            if (e.getKey().equals("help")) {
                assertNull(Main.command("help"), "help needs every subcommand");
                continue;
            }
            assertEquals(cmd.getClass(), Main.command(e.getKey()), e.getKey());
        }
        for (String w : List.of("", "-", "--help", "--debug", "--version", "-h", "-V", "frobnicate", "LIST", "@args")) {
            assertNull(Main.command(w), w);
        }
        // a command found by its first word answers as through the whole model, also on bad input
        for (String[] args : List.of(new String[] {"list", "--bogus"}, new String[] {"-c"}, new String[] {"status", "a", "b"},
                new String[] {"list", "--help"}, new String[] {"-d", "--help"})) {
            StringWriter o1 = new StringWriter();
            StringWriter e1 = new StringWriter();
            CommandLine whole = Main.commandLine(new Main());
            whole.setOut(new PrintWriter(o1, true));
            whole.setErr(new PrintWriter(e1, true));
            int c1 = whole.execute(args);
            Result one = run(args);
            assertEquals(c1, one.code(), String.join(" ", args));
            assertEquals(o1.toString(), one.out(), String.join(" ", args));
            assertEquals(e1.toString(), one.err(), String.join(" ", args));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "create bad/name /srv | BAD_NAME",
        "-c bin /srv | BAD_NAME",
        "-c etc /srv | BAD_NAME",
        "-c .hidden /srv | BAD_NAME",
        "-a x .y | BAD_NAME",
        "-d bin | BAD_NAME",
        "create x ftp://a/b | BAD_SOURCE",
        "create x nfs://host | BAD_SOURCE",
        "create x relative/path | BAD_SOURCE",
        "create x ssh://-oProxyCommand=x/ | BAD_SOURCE",
        "create x /nonexistent/tree | BAD_SOURCE",
        "create x /srv --mount /tmp=/srv | BAD_SOURCE",
        "create x /srv --mount /var/tmp/a=/srv | BAD_SOURCE",
        "create x /srv --ro /usr | BAD_SOURCE",
        "create x /srv --identity relative | BAD_SOURCE",
        "create x /srv --nfs-version 5 | BAD_SOURCE",
        "create x /srv --users a;b | BAD_SOURCE",
        "create x /srv --hostfiles ../shadow | BAD_SOURCE",
        "create x /srv -o /=vers=3 | BAD_SOURCE",
        "create x /srv --exclude /a | USAGE",
        "create x /srv --timeout 0 | USAGE",
        "create x /srv --mount /usr | USAGE",
        "create x /srv --ro / --rw / | USAGE",
        "create | USAGE",
        "create x /srv extra | USAGE",
        "create x /srv --bogus | USAGE",
        "--bogus | USAGE",
        "frobnicate | USAGE",
        "destroy | USAGE",
        "destroy x --what | USAGE",
        "alias onlyone | USAGE",
        "status x --timeout -1 | USAGE",
        "create x /srv | UNSUPPORTED",
        "destroy nosuch | NO_SUCH",
        "unalias nosuch | NO_SUCH",
        "status nosuch | NO_SUCH",
    })
    void badInputGivesOneLineAndItsExitCode(String args, ExitCode expected) throws Exception {
        Result r = run(args.trim().split(" "));
        assertOneLineError(r, expected);
        assertEquals("", r.out);
        assertFalse(Files.exists(root.resolve("x")), "nothing made");
        assertFalse(Files.exists(root.resolve("etc/systems/x")), "no record");
    }

    @Test
    void noCommandIsUsageError() {
        assertOneLineError(run(), ExitCode.USAGE);
    }

    @Test
    void notRootIsRefusedBeforeAnything() {
        Installation user = new Installation(root, tmp, () -> 1000);
        for (String[] args : List.of(new String[] {"list"}, new String[] {"-c", "x", "/srv"}, new String[] {"-d", "x"},
                new String[] {"status"}, new String[] {"-a", "a", "x"})) {
            Result r = run(user, args);
            assertOneLineError(r, ExitCode.NOT_ROOT);
            assertTrue(r.err.contains("must be run as root"));
        }
        assertFalse(Files.exists(root), "nothing created");
        assertEquals(0, run(user, "--help").code(), "help needs no root");
    }

    @Test
    void debugAddsTheStackTrace() {
        Result r = run("--debug", "create", "x", "ftp://a/b");
        assertEquals(ExitCode.BAD_SOURCE.code(), r.code());
        assertTrue(r.errLines().size() > 1);
        assertTrue(r.err.startsWith("vsys: ftp://a/b: unknown scheme"));
        Result after = run("create", "x", "ftp://a/b", "--debug");
        assertTrue(after.errLines().size() > 1, "--debug also after the subcommand");
    }

    @Test
    void listOfNothing() {
        Result r = run("list");
        assertEquals(0, r.code(), r.err);
        assertTrue(r.out.startsWith("NAME"));
        Result j = run("list", "--json");
        assertEquals("[]\n", j.out);
    }

    void fakeSystem(String name) throws Exception {
        Records records = new Records(asRoot);
        records.ensureLayout();
        records.write(new SystemRecord(name, SystemRecord.State.READY, SystemRecord.now(),
                List.of(new FsEntry("/", SourceUrl.parse("dir:/srv/" + name), List.of("ro"))), false, "", "", false,
                SystemRecord.DEFAULT_HOSTFILES));
    }

    @Test
    void aliasLifecycleWithoutMounts() throws Exception {
        fakeSystem("web1");
        Result a = run("-a", "w", "web1");
        assertEquals(0, a.code(), a.err);
        Path link = root.resolve("bin/w");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("bin", Files.readSymbolicLink(link).toString());
        assertTrue(Files.readString(root.resolve("etc/aliases/w")).contains("system=web1\n"));

        assertOneLineError(run("alias", "w", "web1"), ExitCode.EXISTS);
        assertOneLineError(run("alias", "web1", "w"), ExitCode.EXISTS);
        assertOneLineError(run("alias", "z", "nosuch"), ExitCode.NO_SUCH);
        Result ww = run("alias", "ww", "w");
        assertEquals(0, ww.code(), "alias of an alias names the system");
        assertTrue(Files.readString(root.resolve("etc/aliases/ww")).contains("system=web1\n"));

        Result list = run("list", "--json");
        assertTrue(list.out.contains("{\"name\": \"w\", \"type\": \"alias\", \"system\": \"web1\", \"source\": \"dir:/srv/web1\", \"state\": \"ready\"}"), list.out);

        Result d = run("-d", "w");
        assertOneLineError(d, ExitCode.USAGE);
        assertTrue(d.err.contains("is an alias of web1; use 'vsys unalias w'"));
        assertTrue(Files.isSymbolicLink(link), "nothing changed");
        assertOneLineError(run("unalias", "web1"), ExitCode.USAGE);

        assertEquals(0, run("unalias", "w").code());
        assertFalse(Files.exists(link));
        assertFalse(Files.exists(root.resolve("etc/aliases/w")));
        assertOneLineError(run("unalias", "w"), ExitCode.NO_SUCH);
    }

    @Test
    void aliasRefusesAPlantedLink() throws Exception {
        fakeSystem("web1");
        Files.createSymbolicLink(root.resolve("bin/evil"), Path.of("/etc/shadow"));
        assertOneLineError(run("alias", "evil", "web1"), ExitCode.EXISTS);
        assertEquals("/etc/shadow", Files.readSymbolicLink(root.resolve("bin/evil")).toString());
    }

    @Test
    void createRefusesAnExistingName() throws Exception {
        fakeSystem("web1");
        assertOneLineError(run("-c", "web1", "/srv"), ExitCode.EXISTS);
        Files.createDirectory(root.resolve("left"));
        assertOneLineError(run("-c", "left", "/srv"), ExitCode.EXISTS);
    }

    @Test
    void corruptRecordIsReported() throws Exception {
        fakeSystem("good");
        Files.writeString(root.resolve("etc/systems/bad"), "version=1\nname=bad\n", StandardCharsets.UTF_8);
        Result r = run("list");
        assertOneLineError(r, ExitCode.CORRUPT);
        assertTrue(r.out.contains("good"));
        assertTrue(r.out.contains("corrupt"));
        assertOneLineError(run("status", "bad"), ExitCode.CORRUPT);
    }

    @Test
    void destroyRefusesWhatVsysDidNotMake() throws Exception {
        fakeSystem("web1");
        Files.createSymbolicLink(root.resolve("web1"), Path.of("/"));
        Result r = run("-d", "web1");
        assertOneLineError(r, ExitCode.UNSAFE);
        assertTrue(Files.isSymbolicLink(root.resolve("web1")));
        assertTrue(Files.exists(root.resolve("etc/systems/web1")));
    }

    @Test
    void lockHeldTooLongIsExitFourteen() throws Exception {
        fakeSystem("web1");
        org.vsys.linux.Posix posix = org.vsys.linux.Posix.get();
        int fd = posix.open(root.resolve("etc/.lock").toString(), org.vsys.linux.Posix.O_RDWR | org.vsys.linux.Posix.O_CREAT, 0600);
        String old = System.getProperty("vsys.lockTimeout");
        System.setProperty("vsys.lockTimeout", "1");
        try {
            assertTrue(posix.flock(fd, org.vsys.linux.Posix.LOCK_EX | org.vsys.linux.Posix.LOCK_NB));
            Result r = run("alias", "w", "web1");
            assertOneLineError(r, ExitCode.LOCKED);
            assertFalse(Files.exists(root.resolve("etc/aliases/w")));
        } finally {
            posix.close(fd);
            if (old == null) {
                System.clearProperty("vsys.lockTimeout");
            } else {
                System.setProperty("vsys.lockTimeout", old);
            }
        }
        assertEquals(0, run("alias", "w", "web1").code(), "free again once released");
    }

    @Test
    void runAndShellGoThroughTheLauncher() throws Exception {
        assertOneLineError(run("run", "web1"), ExitCode.USAGE);
        Result r = run("run", "web1", "--", "ls", "-l");
        assertOneLineError(r, ExitCode.UNSUPPORTED);
        assertTrue(r.err.contains("launcher"), r.err);
        assertOneLineError(run("shell", "bad/name"), ExitCode.BAD_NAME);
        // a stand-in launcher: prints what it got and exits 3
        Files.createDirectories(root.resolve("bin"));
        Path launcher = root.resolve("bin/bin");
        Files.writeString(launcher, "#!/bin/sh\nexit 3\n");
        launcher.toFile().setExecutable(true);
        assertEquals(3, run("run", "web1", "--", "true", "-x").code(), "the command's status");
    }
}
