package org.vsys.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.vsys.testing.Cmd;
import org.vsys.testing.ItEnv;
import org.vsys.testing.ExitCodes;
import org.vsys.testing.LocalTree;
import org.vsys.testing.RemoteFixture;
import org.vsys.testing.OsState;

/**
 * Issue 2, bad input: every case gives exactly one line {@code vsys: <what>: <why>} on stderr,
 * the documented exit code, and no change on disk (/OS entries, /OS/bin, /OS/etc records, the
 * vsys-related mount table) compared with a snapshot taken just before.
 */
class BadInputIT {
    static final String EXISTING = "it-bad-exists";
    static final String EXISTING_ALIAS = "it-bad-exists-a";
    /** The bound vsys may take to decide a server is unreachable, with JVM start-up on top. */
    static final Duration UNREACHABLE_BOUND = Duration.ofSeconds(90);

    static RemoteFixture remote;
    static LocalTree tree;

    @BeforeAll
    static void setUp() {
        ItEnv.requireInstalled();
        remote = RemoteFixture.up();
        tree = LocalTree.create("bad");
        Cmd.Result c = ItEnv.vsys("create", EXISTING, "dir:" + tree.root);
        assertEquals(0, c.exit(), c::toString);
        Cmd.Result a = ItEnv.vsys("alias", EXISTING_ALIAS, EXISTING);
        assertEquals(0, a.exit(), a::toString);
    }

    @AfterAll
    static void tearDown() {
        ItEnv.unaliasQuietly(EXISTING_ALIAS);
        ItEnv.destroyQuietly(EXISTING);
        if (tree != null) {
            tree.close();
        }
        if (remote != null) {
            remote.close();
        }
    }

    /** A bad create must never leave a system behind, whatever the assertions said. */
    @AfterEach
    void noLeftovers() {
        for (String n : List.of("it-bad-new", "it-bad-unreach", "it-bad-silent", "it-bad-nfs", "it-bad-host",
                "it-bad-url", "it-bad-user")) {
            ItEnv.destroyQuietly(n);
        }
    }

    static Cmd.Result expectRefused(int code, String... args) {
        List<String> names = List.of(args);
        String before = OsState.takeFor(names);
        Cmd.Result r = ItEnv.vsys(args);
        assertEquals(code, r.exit(), () -> "exit code " + code + " expected: " + r);
        ItEnv.assertOneErrorLine(r);
        OsState.assertUnchanged(before, OsState.takeFor(names), r);
        return r;
    }

    static Stream<Arguments> badNames() {
        return Stream.of("a/b", "../x", "a b", "-", "_x", "x!", "é", "a\tb", "x".repeat(65), "a:b", "a*")
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "invalid name [{0}]")
    @MethodSource("badNames")
    void invalidNameIsRefused(String name) {
        if (name.equals("-")) {
            // "-" alone is not an option to picocli but is not a valid name either
            expectRefused(ExitCodes.BAD_NAME, "create", "--", name, "dir:" + tree.root);
            return;
        }
        expectRefused(ExitCodes.BAD_NAME, "create", name, "dir:" + tree.root);
        expectRefused(ExitCodes.BAD_NAME, "alias", name, EXISTING);
    }

    @ParameterizedTest(name = "reserved name [{0}]")
    @MethodSource("reservedNames")
    void reservedNameIsRefused(String name) {
        expectRefused(ExitCodes.BAD_NAME, "create", name, "dir:" + tree.root);
        expectRefused(ExitCodes.BAD_NAME, "alias", name, EXISTING);
    }

    static Stream<Arguments> reservedNames() {
        return Stream.of("bin", "etc", ".x", ".", "..", ".root", ".ns").map(Arguments::of);
    }

    @Test
    void existingNameIsRefused() {
        expectRefused(ExitCodes.EXISTS, "create", EXISTING, "dir:" + tree.root);
        expectRefused(ExitCodes.EXISTS, "create", EXISTING_ALIAS, "dir:" + tree.root);
        expectRefused(ExitCodes.EXISTS, "alias", EXISTING_ALIAS, EXISTING);
        expectRefused(ExitCodes.EXISTS, "alias", EXISTING, EXISTING);
        expectRefused(ExitCodes.EXISTS, "-c", EXISTING, "dir:" + tree.root);
    }

    @Test
    void unknownSystemIsRefused() {
        expectRefused(ExitCodes.NO_SUCH, "destroy", "it-bad-nosuch");
        expectRefused(ExitCodes.NO_SUCH, "-d", "it-bad-nosuch");
        expectRefused(ExitCodes.NO_SUCH, "status", "it-bad-nosuch");
        expectRefused(ExitCodes.NO_SUCH, "remount", "it-bad-nosuch");
        expectRefused(ExitCodes.NO_SUCH, "alias", "it-bad-new", "it-bad-nosuch");
        expectRefused(ExitCodes.NO_SUCH, "unalias", "it-bad-nosuch");
    }

    @Test
    void unknownHostIsRefused() {
        List<String> a = new ArrayList<>(List.of("create", "it-bad-host", "ssh://root@no-such-host.invalid/srv/x"));
        a.addAll(List.of(remote.sshOptions()));
        expectRefused(ExitCodes.BAD_SOURCE, a.toArray(String[]::new));
    }

    @Test
    void unreachableServerIsRefusedWithinTheBound() {
        // the remote's address, a port where nothing listens: connection refused
        List<String> a = new ArrayList<>(List.of("create", "it-bad-unreach",
                "ssh://root@" + remote.ip + ":1" + remote.tree));
        a.addAll(List.of(remote.sshOptions()));
        Cmd.Result r = expectRefused(ExitCodes.UNREACHABLE, a.toArray(String[]::new));
        assertTrue(r.took().compareTo(UNREACHABLE_BOUND) < 0, "bounded wait: " + r.took());
    }

    @Test
    void silentServerIsRefusedWithinTheBound() throws IOException {
        // a TCP listener that accepts (in the kernel backlog) but never says a word of SSH
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            List<String> a = new ArrayList<>(List.of("create", "it-bad-silent",
                    "ssh://root@127.0.0.1:" + s.getLocalPort() + "/srv"));
            a.addAll(List.of(remote.sshOptions()));
            Cmd.Result r = expectRefused(ExitCodes.UNREACHABLE, a.toArray(String[]::new));
            assertTrue(r.took().compareTo(UNREACHABLE_BOUND) < 0, "bounded wait: " + r.took());
        }
    }

    static Stream<Arguments> badUrls() {
        return Stream.of("ftp://host/x", "ssh://", "ssh:///x", "ssh://root@host", "ssh://host:notaport/x",
                "ssh://host:99999/x", "nfs://", "http://example/x", "dir:relative/path", "dir:", "relative/path",
                "dir:/nonexistent/vsys-it/tree", "/nonexistent/vsys-it/tree", "ssh://host/a b", "ssh://ho st/x")
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "bad url [{0}]")
    @MethodSource("badUrls")
    void badUrlIsRefused(String url) {
        expectRefused(ExitCodes.BAD_SOURCE, "create", "it-bad-url", url);
    }

    @Test
    void badOptionIsRefused() {
        expectRefused(ExitCodes.USAGE, "--no-such-option");
        expectRefused(ExitCodes.USAGE, "create", "--no-such-option", "it-bad-new", "dir:" + tree.root);
        expectRefused(ExitCodes.USAGE, "create");
        expectRefused(ExitCodes.USAGE, "alias", "it-bad-new");
        expectRefused(ExitCodes.USAGE, "no-such-command");
        expectRefused(ExitCodes.USAGE, "-c");
        expectRefused(ExitCodes.USAGE, "destroy");
    }

    @Test
    void nfsOnAKernelWithoutNfsSaysSo() {
        if (ItEnv.kernelHasNfs()) {
            // not a skip: on a kernel with an NFS client this case does not exist (the VM suite tests NFS)
            System.out.println("this kernel has an NFS client: nothing to refuse");
            return;
        }
        Cmd.Result r = expectRefused(ExitCodes.UNSUPPORTED, "create", "it-bad-nfs", "nfs://127.0.0.1/");
        assertTrue(r.err().toLowerCase().contains("nfs"), "the message names NFS: " + r);
    }

    @Test
    void notRootIsRefused() {
        for (String[] args : List.of(new String[] {"create", "it-bad-user", "dir:" + tree.root},
                new String[] {"-c", "it-bad-user", "dir:" + tree.root},
                new String[] {"destroy", EXISTING},
                new String[] {"-d", EXISTING},
                new String[] {"alias", "it-bad-user", EXISTING},
                new String[] {"unalias", EXISTING_ALIAS},
                new String[] {"remount", EXISTING})) {
            String before = OsState.takeFor(List.of(args));
            List<String> argv = new ArrayList<>(List.of(ItEnv.VSYS));
            argv.addAll(List.of(args));
            Cmd.Result r = Cmd.asUser(ItEnv.USER, argv.toArray(String[]::new)).dir(java.nio.file.Paths.get("/")).run();
            assertEquals(ExitCodes.NOT_ROOT, r.exit(), r::toString);
            ItEnv.assertOneErrorLine(r);
            OsState.assertUnchanged(before, OsState.takeFor(List.of(args)), r);
        }
    }
}
