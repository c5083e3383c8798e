package org.vsys.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 3-way merge of a switch on a table of cases, checked file by file: what the system shows
 * after the merge (upper over the new lower), whether a {@code .vsys-new} was saved and what it
 * holds, and which paths are reported as conflicts. Whiteouts (mknod) and opaque directories
 * (trusted.* xattr) need root; under CI the test does not skip.
 */
class MergeTest {
    /**
     * One case: the entries of the old lower, the new lower and the upper ({@code rel=spec;...},
     * "-" for none), then the path checked, what it must show (null: absent), what PATH.vsys-new
     * must show (null: none) and whether PATH is a reported conflict.
     */
    record Case(String what, String old, String neu, String upper, String path, String shows, String saved, boolean conflict) {
    }

    static final List<Case> CASES = List.of(
            new Case("changed locally only", "etc/a=f:o", "etc/a=f:o", "etc/a=f:L", "etc/a", "f:L", null, false),
            new Case("changed upstream only", "etc/b=f:o", "etc/b=f:N", "-", "etc/b", "f:N", null, false),
            new Case("changed on both sides", "etc/c=f:o", "etc/c=f:N", "etc/c=f:L", "etc/c", "f:L", "f:N", true),
            new Case("the same change on both sides", "etc/d=f:o", "etc/d=f:N", "etc/d=f:N", "etc/d", "f:N", null, false),
            new Case("copied up, not changed", "etc/e=f:o", "etc/e=f:N", "etc/e=f:o", "etc/e", "f:N", null, false),
            new Case("deleted locally only", "etc/f=f:o", "etc/f=f:o", "etc/f=w", "etc/f", null, null, false),
            new Case("deleted locally, changed upstream", "etc/g=f:o", "etc/g=f:N", "etc/g=w", "etc/g", null, "f:N", true),
            new Case("deleted upstream only", "etc/h=f:o", "-", "-", "etc/h", null, null, false),
            new Case("changed locally, deleted upstream", "etc/i=f:o", "-", "etc/i=f:L", "etc/i", "f:L", null, true),
            new Case("deleted on both sides", "etc/j=f:o", "-", "etc/j=w", "etc/j", null, null, false),
            new Case("file made a directory upstream, changed locally", "etc/k=f:o", "etc/k/x=f:N", "etc/k=f:L", "etc/k", "f:L", "d", true),
            new Case("file made a directory upstream only", "etc/l=f:o", "etc/l/x=f:N", "-", "etc/l/x", "f:N", null, false),
            new Case("directory made a file locally, upstream unchanged", "etc/m/x=f:o", "etc/m/x=f:o", "etc/m=f:L", "etc/m", "f:L", null, false),
            new Case("directory made a file locally, changed below upstream", "etc/n/x=f:o", "etc/n/x=f:N", "etc/n=f:L", "etc/n", "f:L", "d", true),
            new Case("directory replaced locally (opaque), upstream unchanged", "etc/o/x=f:o", "etc/o/x=f:o", "etc/o=o;etc/o/y=f:L", "etc/o/x", null, null, false),
            new Case("symlink retargeted upstream", "etc/p=l:one", "etc/p=l:two", "-", "etc/p", "l:two", null, false),
            new Case("symlink retargeted on both sides", "etc/q=l:one", "etc/q=l:two", "etc/q=l:mine", "etc/q", "l:mine", "l:two", true),
            new Case("file made a symlink upstream, changed locally", "etc/r=f:o", "etc/r=l:elsewhere", "etc/r=f:L", "etc/r", "f:L", "l:elsewhere", true),
            new Case("added locally only", "-", "-", "etc/s=f:L", "etc/s", "f:L", null, false),
            new Case("added upstream only", "-", "etc/t=f:N", "-", "etc/t", "f:N", null, false),
            new Case("added on both sides, differently", "-", "etc/u=f:N", "etc/u=f:L", "etc/u", "f:L", "f:N", true),
            new Case("mode changed locally, content upstream", "etc/v=f:o", "etc/v=f:N", "etc/v=x:o", "etc/v", "x:o", "f:N", true),
            new Case("below a merged directory: local", "etc/w/x=f:o;etc/w/y=f:o", "etc/w/x=f:o;etc/w/y=f:N", "etc/w/x=f:L", "etc/w/x", "f:L", null, false),
            new Case("below a merged directory: upstream", "etc/w/x=f:o;etc/w/y=f:o", "etc/w/x=f:o;etc/w/y=f:N", "etc/w/x=f:L", "etc/w/y", "f:N", null, false),
            new Case("directory deleted upstream, a file in it changed locally", "etc/y/x=f:o;etc/y/z=f:o", "-", "etc/y/x=f:L", "etc/y/x", "f:L", null, true),
            new Case("directory deleted upstream, its unchanged file", "etc/y/x=f:o;etc/y/z=f:o", "-", "etc/y/x=f:L", "etc/y/z", null, null, false),
            new Case("outside the merge paths: local always wins", "usr/z=f:o", "usr/z=f:N", "usr/z=f:L", "usr/z", "f:L", null, false));

    static Map<String, String> specs(String s) {
        Map<String, String> m = new HashMap<>();
        if (!s.equals("-")) {
            for (String kv : s.split(";")) {
                int eq = kv.indexOf('=');
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    @Test
    void everyCaseFileByFile(@TempDir Path tmp) throws Exception {
        boolean root = "0".equals(String.valueOf(new com.sun.security.auth.module.UnixSystem().getUid()));
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(root, "whiteouts and opaque directories need root");
        }
        Map<String, String> old = new HashMap<>();
        Map<String, String> neu = new HashMap<>();
        Map<String, String> up = new HashMap<>();
        for (Case c : CASES) {
            old.putAll(specs(c.old()));
            neu.putAll(specs(c.neu()));
            up.putAll(specs(c.upper()));
        }
        Path o = tmp.resolve("old");
        Path n = tmp.resolve("new");
        Path u = tmp.resolve("upper");
        for (Path p : List.of(o, n, u)) {
            java.nio.file.Files.createDirectories(p.resolve("etc"));
            java.nio.file.Files.createDirectories(p.resolve("usr"));
        }
        Trees3.build(o, old);
        Trees3.build(n, neu);
        Trees3.build(u, up);
        Merge.Result r = Merge.run(u, o, n, List.of("/etc"));
        Set<String> reported = new TreeSet<>();
        for (Merge.Conflict c : r.conflicts) {
            reported.add(c.path());
        }
        List<String> wrong = new ArrayList<>();
        Set<String> expectedConflicts = new TreeSet<>();
        for (Case c : CASES) {
            String shows = Trees3.show(u, n, c.path());
            String saved = Trees3.show(u, n, c.path() + Merge.NEW_SUFFIX);
            if (!java.util.Objects.equals(shows, c.shows())) {
                wrong.add(c.what() + ": /" + c.path() + " shows " + shows + ", expected " + c.shows());
            }
            if (!java.util.Objects.equals(saved, c.saved())) {
                wrong.add(c.what() + ": /" + c.path() + ".vsys-new shows " + saved + ", expected " + c.saved());
            }
            if (c.conflict()) {
                expectedConflicts.add("/" + c.path());
            }
            if (c.conflict() != reported.contains("/" + c.path())) {
                wrong.add(c.what() + ": /" + c.path() + (c.conflict() ? " not reported as a conflict" : " reported as a conflict"));
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertEquals(expectedConflicts, reported, "exactly the conflicts of the table are reported");
        // the saved new directory of a file made a directory upstream holds upstream's file
        assertEquals("f:N", Trees3.show(u, n, "etc/k.vsys-new/x"));
        // entries that only came from copy-up or the same change are gone from the upper
        for (String gone : List.of("etc/d", "etc/e", "etc/j")) {
            assertTrue(!Trees3.exists(u.resolve(gone)), gone + " left in the upper");
        }
    }
}
