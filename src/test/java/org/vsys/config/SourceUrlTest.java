package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

class SourceUrlTest {

    @ParameterizedTest
    @CsvSource({
        "nfs://server/, nfs://server/",
        "nfs://server/export/home, nfs://server/export/home",
        "NFS://server/a/, nfs://server/a",
        "nfs://10.0.0.1/, nfs://10.0.0.1/",
        "nfs://[fe80::1]/x, nfs://[fe80::1]/x",
        "ssh://host/, ssh://host/",
        "ssh://root@host:2222/srv/root, ssh://root@host:2222/srv/root",
        "ssh://u.ser@h-1.example.org/a/./b, ssh://u.ser@h-1.example.org/a/b",
        "dir:/srv/tree, dir:/srv/tree",
        "/srv/tree/, dir:/srv/tree",
        "//srv//tree, dir:/srv/tree",
    })
    void parsesToCanonicalForm(String in, String canonical) throws Exception {
        SourceUrl u = SourceUrl.parse(in);
        assertEquals(canonical, u.toString());
        assertEquals(u, SourceUrl.parse(u.toString()), "canonical form is stable");
    }

    @Test
    void fields() throws Exception {
        SourceUrl s = SourceUrl.parse("ssh://bob@h:22/p");
        assertEquals(SourceUrl.Kind.SSH, s.kind());
        assertEquals("bob", s.user());
        assertEquals("h", s.host());
        assertEquals(22, s.port());
        assertEquals("/p", s.path());
        SourceUrl n = SourceUrl.parse("nfs://[::1]/p");
        assertEquals("::1", n.host());
        assertEquals("[::1]", n.hostForPath());
        SourceUrl d = SourceUrl.parse("/x");
        assertNull(d.host());
        assertEquals(SourceUrl.Kind.DIR, d.kind());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "relative", "dir:rel", "ftp://h/p", "nfs://h", "nfs:///p", "nfs://u@h/p", "nfs://h:2049/p",
        "ssh://h:0/p", "ssh://h:65536/p", "ssh://h:x/p", "ssh://-oProxyCommand=evil/p", "ssh://h/../etc",
        "/a/../b", "/a b", "/a,b", "ssh://bad user@h/", "ssh://[zz::1]/", "ssh://[::1/", "nfs://h_/p\n", "nfs://-h/p",
        "nfs://h..x/p", "dir:/x\\y", "ssh://h/p\t"})
    void rejectsWithExitSeven(String in) {
        VsysException e = assertThrows(VsysException.class, () -> SourceUrl.parse(in));
        assertEquals(ExitCode.BAD_SOURCE, e.exitCode(), in);
    }

    @Test
    void systemPaths() throws Exception {
        assertEquals("/usr", SourceUrl.systemPath("/usr/"));
        assertEquals("/", SourceUrl.systemPath("/"));
        assertThrows(VsysException.class, () -> SourceUrl.systemPath("usr"));
        assertThrows(VsysException.class, () -> SourceUrl.systemPath("/a=b"));
        assertThrows(VsysException.class, () -> SourceUrl.systemPath("/a/../b"));
        assertThrows(VsysException.class, () -> SourceUrl.systemPath(""));
    }
}
