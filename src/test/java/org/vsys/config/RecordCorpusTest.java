package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The record corpus {@code tests/records/} read by the Java parser ({@link RecordFile} with
 * {@link SystemRecord}, {@link AliasRecord}, {@link GlobalConfig}), as {@code native/tests/records.c}
 * reads it with the C one: each {@code ok/KIND-NAME.conf} gives the canonical dump of its
 * {@code .expect} file (docs/DESIGN.md, "The corpus"), each {@code bad/KIND-PROBLEM.conf} is refused
 * with a {@link RecordFormatException}. The expectations spell out the defaults, so a host-files
 * default that differs between Java and C fails here or there.
 */
class RecordCorpusTest {
    private static final Path CORPUS = Path.of("tests/records");

    @TestFactory
    Stream<DynamicTest> goodRecordsGiveTheirDump() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : confs(CORPUS.resolve("ok"))) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
                String want = Files.readString(f.resolveSibling(f.getFileName() + ".expect"), StandardCharsets.UTF_8);
                assertEquals(want, dump(f), f + ": the dump differs from its .expect file");
            }));
        }
        assertTrue(tests.size() >= 20, "the corpus has its ok files");
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> badRecordsAreRefused() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : confs(CORPUS.resolve("bad"))) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(),
                    () -> assertThrows(RecordFormatException.class, () -> dump(f), f + " was accepted")));
        }
        assertTrue(tests.size() >= 50, "the corpus has its bad files");
        return tests.stream();
    }

    private static List<Path> confs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".conf") && !n.startsWith(".");
            }).sorted().toList();
        }
    }

    /** Parses f (KIND-NAME.conf) as its kind and gives the canonical dump. */
    static String dump(Path f) throws IOException, RecordFormatException {
        String file = f.getFileName().toString();
        int dash = file.indexOf('-');
        String kind = file.substring(0, dash);
        String name = file.substring(dash + 1, file.length() - ".conf".length());
        RecordFile rf = RecordFile.read(f);
        StringBuilder out = new StringBuilder();
        for (RecordFile.Entry e : rf.entries()) {
            out.append("entry ").append(e.line()).append(' ').append(e.key()).append('=').append(escape(e.value())).append('\n');
        }
        switch (kind) {
            case "system" -> {
                SystemRecord r = SystemRecord.parse(rf, name);
                fact(out, kind, "name", r.name());
                fact(out, kind, "state", r.state().word());
                fact(out, kind, "setuid", r.setuid() ? "yes" : "no");
                fact(out, kind, "cwd_fallback", r.cwdFallback() ? "yes" : "no");
                fact(out, kind, "users", r.users());
                fact(out, kind, "groups", r.groups());
                fact(out, kind, "hostfiles", r.hostfiles());
                fact(out, kind, "view", r.view() == null ? "-" : r.view());
            }
            case "alias" -> {
                AliasRecord a = AliasRecord.parse(rf, name);
                fact(out, kind, "name", a.name());
                fact(out, kind, "system", a.system());
            }
            case "config" -> {
                GlobalConfig c = GlobalConfig.parse(rf);
                fact(out, kind, "link", c.link());
                fact(out, kind, "audit", c.audit() ? "yes" : "no");
                fact(out, kind, "default", c.defaultSystem());
            }
            default -> throw new IllegalArgumentException(f + ": not named system-, alias- or config-NAME.conf");
        }
        return out.toString();
    }

    private static void fact(StringBuilder out, String kind, String key, String value) {
        out.append(kind).append(' ').append(key).append('=').append(escape(value)).append('\n');
    }

    /** The value's UTF-8 bytes: printable ASCII but '\' as is, '\' as "\\", every other byte as \xHH. */
    private static String escape(String v) {
        StringBuilder b = new StringBuilder();
        for (byte x : v.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c == '\\') {
                b.append("\\\\");
            } else if (c >= 0x20 && c <= 0x7e) {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        return b.toString();
    }
}
