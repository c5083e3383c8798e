package org.vsys.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vsys diff} on an upper layer of every kind of change, against its lower tree. */
class DiffTest {
    @Test
    void everyKindOfChange(@TempDir Path tmp) throws Exception {
        boolean root = new com.sun.security.auth.module.UnixSystem().getUid() == 0;
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(root, "whiteouts and opaque directories need root");
        }
        Path lower = tmp.resolve("lower");
        Path upper = tmp.resolve("upper");
        Trees3.build(lower, MergeTest.specs("etc/same=f:s;etc/mod=f:o;etc/del=f:o;etc/chmod=f:o;etc/kind=f:o;"
                + "etc/repl/a=f:o;etc/repl/b=f:o;etc/link=l:one;etc/sub/keep=f:k;etc/sub/mod=f:o"));
        Trees3.build(upper, MergeTest.specs("etc/mod=f:L;etc/del=w;etc/chmod=x:o;etc/kind/x=f:n;etc/repl=o;"
                + "etc/repl/b=f:o;etc/link=l:two;etc/sub/mod=f:L;etc/new=f:n;etc/same=f:s"));
        // copied up without change keeps the mtime: not a change
        Files.setLastModifiedTime(upper.resolve("etc/same"), Files.getLastModifiedTime(lower.resolve("etc/same")));
        Files.setLastModifiedTime(upper.resolve("etc/chmod"), Files.getLastModifiedTime(lower.resolve("etc/chmod")));
        Files.setLastModifiedTime(upper.resolve("etc/repl/b"), Files.getLastModifiedTime(lower.resolve("etc/repl/b")));
        Files.setPosixFilePermissions(upper.resolve("etc/sub"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        List<String> got = new ArrayList<>();
        for (Diff.Change c : Diff.of(upper, lower)) {
            got.add(c.toString());
        }
        assertEquals(List.of("P /etc/chmod", "D /etc/del", "M /etc/kind", "A /etc/kind/x", "M /etc/link", "M /etc/mod",
                "A /etc/new", "D /etc/repl/a", "P /etc/sub", "M /etc/sub/mod"), got);
        // a later touch of an unchanged file is a metadata change
        Files.setLastModifiedTime(upper.resolve("etc/same"), FileTime.fromMillis(1000));
        assertEquals("P /etc/same", Diff.of(upper, lower).stream().map(Diff.Change::toString).filter(x -> x.endsWith("same"))
                .findFirst().orElse("none"));
    }
}
