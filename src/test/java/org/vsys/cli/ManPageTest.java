package org.vsys.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.vsys.base.ExitCode;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Fails when the CLI has a subcommand, option or exit code that man/vsys.8 does not document. */
class ManPageTest {

    static String page() throws Exception {
        return Files.readString(Path.of("man/vsys.8"), StandardCharsets.UTF_8);
    }

    /** Every argument of an mdoc Fl macro: ".Fl -mount" documents "--mount", ".Fl c" documents "-c". */
    static Set<String> flags(String mdoc) {
        Set<String> out = new HashSet<>();
        Matcher m = Pattern.compile("(?:^|[\\s.])Fl\\s+(-?[A-Za-z][A-Za-z0-9-]*)", Pattern.MULTILINE).matcher(mdoc);
        while (m.find()) {
            out.add("-" + m.group(1));
        }
        return out;
    }

    static Set<String> commands(String mdoc) {
        Set<String> out = new HashSet<>();
        Matcher m = Pattern.compile("(?:^|[\\s.])Cm\\s+([a-z][a-z-]*)", Pattern.MULTILINE).matcher(mdoc);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void everyOptionAndSubcommandIsDocumented() throws Exception {
        String mdoc = page();
        Set<String> flags = flags(mdoc);
        Set<String> cmds = commands(mdoc);
        Main main = new Main();
        CommandLine cl = Main.commandLine(main);
        List<String> missing = new ArrayList<>();
        List<CommandLine> all = new ArrayList<>();
        all.add(cl);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!all.contains(sub)) {
                all.add(sub);
            }
        }
        for (CommandLine c : all) {
            String name = c.getCommandName();
            if (c != cl && !name.equals("help")) {
                if (!cmds.contains(name)) {
                    missing.add("subcommand " + name);
                }
                for (String alias : c.getCommandSpec().aliases()) {
                    if (!flags.contains(alias)) {
                        missing.add("short form " + alias + " of " + name);
                    }
                }
            }
            for (OptionSpec o : c.getCommandSpec().options()) {
                for (String n : o.names()) {
                    if (!flags.contains(n)) {
                        missing.add(name + " " + n);
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), "missing from man/vsys.8: " + missing);
    }

    @Test
    void exitStatusSectionHasTheTable() throws Exception {
        String mdoc = page();
        int sec = mdoc.indexOf(".Sh EXIT STATUS");
        assertTrue(sec >= 0, "EXIT STATUS section");
        String body = mdoc.substring(sec, mdoc.indexOf(".Sh ", sec + 4));
        for (ExitCode c : ExitCode.values()) {
            assertTrue(body.contains(".It " + c.code() + "\n"), "exit code " + c.code());
        }
    }

    @Test
    void detectsAMissingFlag() {
        assertTrue(flags(".Op Fl -json\n.Fl c Ar NAME\n.It Fl o , Fl -options\n").containsAll(List.of("--json", "-c", "-o", "--options")));
        assertTrue(!flags("--json without macro\n").contains("--json"));
    }
}
