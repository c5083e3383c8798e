package org.vsys.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.config.AliasRecord;
import org.vsys.config.FsEntry;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;
import org.vsys.config.Installation;
import org.vsys.core.Records;

/**
 * {@code list} and {@code status} in their plain forms skip the picocli model ({@link Main#fastPath}):
 * the same bytes on stdout and stderr and the same exit code as through picocli.
 */
class FastPathTest {

    @TempDir
    Path tmp;

    Path root;
    Installation asRoot;

    record Result(int code, String out, String err) {
    }

    @BeforeEach
    void setUp() {
        root = tmp.resolve("OS");
        asRoot = new Installation(root, tmp.resolve("libexec-missing"), () -> 0);
    }

    interface Entry {
        int run(Installation inst, PrintWriter out, PrintWriter err, String... args);
    }

    static Result run(Entry e, Installation inst, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = e.run(inst, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    void assertSame(Installation inst, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        assertNotNull(Main.fastPath(inst, new PrintWriter(o, true), new PrintWriter(e, true), args),
                () -> String.join(" ", args) + " takes the fast path");
        Result fast = run(Main::run, inst, args);
        Result slow = run(Main::runPicocli, inst, args);
        assertEquals(slow, fast, () -> String.join(" ", args));
    }

    void system(String name, String source, String users, String hostfiles) throws Exception {
        Records records = new Records(asRoot);
        records.ensureLayout();
        records.write(new SystemRecord(name, SystemRecord.State.READY, SystemRecord.now(),
                List.of(new FsEntry("/", SourceUrl.parse(source), List.of("ro")),
                        new FsEntry("/home", SourceUrl.parse("dir:/srv/home-of-" + name), List.of("rw"))),
                false, users, "", false, hostfiles));
    }

    void everyForm(Installation inst) {
        for (String[] args : List.of(new String[] {"list"}, new String[] {"list", "--json"},
                new String[] {"status"}, new String[] {"status", "--json"}, new String[] {"status", "web1"},
                new String[] {"status", "w"}, new String[] {"status", "--json", "web1"},
                new String[] {"status", "web1", "--json"}, new String[] {"status", "nosuch"},
                new String[] {"status", "bad..name"}, new String[] {"snapshot", "nosuch"}, new String[] {"snapshot", "bad..name"})) {
            assertSame(inst, args);
        }
    }

    @Test
    void noRecords() {
        everyForm(asRoot);
    }

    @Test
    void systemsAliasesAndACorruptRecord() throws Exception {
        system("web1", "dir:/srv/web1", "alice,bob$", "passwd,group");
        system("a-very-long-system-name-wider-than-the-header", "dir:/srv/a/source/path/longer/than/forty/characters/x",
                "", SystemRecord.DEFAULT_HOSTFILES);
        system("x", "nfs://server.example/export/x", "", "none");
        new Records(asRoot).write(new AliasRecord("w", "web1"));
        everyForm(asRoot);
        assertSame(asRoot, "snapshot", "web1"); // not mounted: the same line and exit code
        Files.writeString(root.resolve("etc/systems/bad"), "version=1\nname=bad\n", StandardCharsets.UTF_8);
        Files.writeString(root.resolve("etc/aliases/dangling"), "version=1\nname=dangling\nsystem=gone\n",
                StandardCharsets.UTF_8);
        everyForm(asRoot);
    }

    @Test
    void applyForms() throws Exception {
        system("web1", "dir:/srv/web1", "", SystemRecord.DEFAULT_HOSTFILES);
        Path decl = Files.createDirectory(tmp.resolve("systems.d"));
        Path src = Files.createDirectories(tmp.resolve("trees/a"));
        Files.writeString(decl.resolve("a.conf"), "source=dir:" + src + "\naliases=a1\n");
        Files.writeString(decl.resolve("bad.conf"), "source=dir:" + src + "\nuser=x\n");
        String d = decl.toString();
        for (String[] args : List.of(new String[] {"apply", "--dry-run", "--dir", d},
                new String[] {"apply", "--dir", d, "--dry-run", "--json"}, new String[] {"apply", "--dir", d},
                new String[] {"apply", "--dry-run", "--dir", tmp.resolve("nonexistent").toString()})) {
            assertSame(asRoot, args);
            assertSame(new Installation(root, tmp, () -> 1000), args);
        }
    }

    @Test
    void serveForms() {
        // the forms that end before standard input is read: a relative root, not root
        assertSame(asRoot, "serve", "relative/root");
        assertSame(new Installation(root, tmp, () -> 1000), "serve", tmp.toString());
        assertSame(new Installation(root, tmp, () -> 1000), "serve");
    }

    @Test
    void notRoot() throws Exception {
        system("web1", "dir:/srv/web1", "", SystemRecord.DEFAULT_HOSTFILES);
        everyForm(new Installation(root, tmp, () -> 1000));
    }

    @Test
    void otherFormsGoThroughPicocli() {
        for (String[] args : List.of(new String[] {}, new String[] {"list", "x"}, new String[] {"list", "--json", "--json"},
                new String[] {"list", "--help"}, new String[] {"--debug", "list"}, new String[] {"list", "--debug"},
                new String[] {"status", "a", "b"}, new String[] {"status", "--timeout", "5"},
                new String[] {"status", "@file"}, new String[] {"status", "--"}, new String[] {"status", ""},
                new String[] {"status", "-x"}, new String[] {"status", "a", "b", "c", "d"},
                new String[] {"create", "x"}, new String[] {"-d", "x"}, new String[] {"apply", "--dir", "rel"},
                new String[] {"apply", "--dir"}, new String[] {"apply", "--dry-run", "--dry-run"},
                new String[] {"apply", "--help"}, new String[] {"apply", "-x"}, new String[] {"snapshot"},
                new String[] {"snapshot", "--list", "x"}, new String[] {"snapshot", "x", "--with-layer"}, new String[] {"snapshot", "--json", "x"},
                new String[] {"serve", "--json"}, new String[] {"serve", "a", "b"}, new String[] {"serve", "--help"})) {
            assertNull(Main.fastPath(asRoot, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), args),
                    () -> String.join(" ", args));
        }
    }

    @Test
    void padIsFormatsLeftJustify() {
        for (String s : List.of("", "a", "NAME", "exactly12chr", "longer than the width", "ünïcödé")) {
            for (int w : new int[] {1, 4, 6, 12, 40}) {
                assertEquals(String.format("%-" + w + "s|", s), Table.pad(new StringBuilder(), s, w).append('|').toString());
            }
        }
    }
}
