package org.vsys.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.core.CreateRequest;

class DeclarationTest {

    static Declaration parse(String text) throws Declaration.Problem {
        return Declaration.parse(text.getBytes(StandardCharsets.UTF_8), "d/web.conf", "web");
    }

    static String problem(String text) {
        return assertThrows(Declaration.Problem.class, () -> parse(text)).getMessage();
    }

    @Test
    void onDemandGivesTheAutofsEntry() throws Exception {
        assertEquals(null, parse("source=dir:/srv/web\n").autofsEntry());
        assertEquals("-fstype=nfs,ro,nosuid,nodev,vers=4.1,proto=tcp fileserver:/srv/web",
                parse("source=nfs://fileserver/srv/web\nnfs.version=4.1\nmode=on-demand\n").autofsEntry());
        assertEquals("-fstype=bind,ro,nosuid,nodev :/srv/web", parse("source=dir:/srv/web\nmode=on-demand\n").autofsEntry());
        assertEquals("/ -fstype=nfs,rw,nodev,proto=tcp,soft fs:/r /proj -fstype=nfs,ro,nodev,proto=udp fs:/proj",
                parse("source=nfs://fs/r\noptions=rw,soft\nmount=/proj nfs://fs/proj ro,proto=udp\nsuid=yes\nmode=on-demand\n")
                        .autofsEntry());
        assertTrue(problem("source=nfs://fs/r\noptions=a b\nmode=on-demand\n").startsWith("d/web.conf:"));
    }

    /**
     * users=, groups=, hostfiles=, cwd_fallback=, suid= and bind= of an on-demand declaration go to
     * its on-demand record (R/etc/ondemand/NAME), in the record format the launcher reads.
     */
    @Test
    void onDemandRecordHoldsWhatTheLauncherReads() throws Exception {
        Declaration d = parse("source=dir:/srv/web\nmode=on-demand\nusers=alice,bob\ngroups=staff\nhostfiles=passwd,group\n"
                + "cwd_fallback=yes\nsuid=yes\nbind=/scratch\nbind=/srv/proj\n");
        assertEquals(List.of("/scratch", "/srv/proj"), d.binds());
        String rec = new String(OnDemand.record(d, "declared:/d"), StandardCharsets.UTF_8);
        assertEquals("# vsys on-demand record; written by vsys apply with R/etc/automap/web, read by the launcher; see vsys-systems.d(5)\n"
                + "version=1\nname=web\nstate=ready\nsetuid=yes\nusers=alice,bob\ngroups=staff\ncwd_fallback=yes\n"
                + "hostfiles=passwd,group\norigin=declared:/d\nbind=/scratch\nbind=/srv/proj\n", rec);
        org.vsys.config.RecordFile rf = org.vsys.config.RecordFile.parse(rec.getBytes(StandardCharsets.UTF_8), "web");
        assertEquals(List.of("/scratch", "/srv/proj"), rf.getAll("bind"));
        String mm = new String(OnDemand.record(parse("source=nfs://fs/r\nmount=/proj nfs://fs/proj ro\nmount=/proj/a dir:/a\n"
                + "mode=on-demand\n"), "declared:/d"), StandardCharsets.UTF_8);
        assertTrue(mm.endsWith("\norigin=declared:/d\nmount=/proj\nmount=/proj/a\n"),
                "the multi-mount's offsets, in order, for the launcher to mount before its copy: " + mm);
        String plain = new String(OnDemand.record(parse("source=dir:/srv/web\nmode=on-demand\n"), "declared:/d"), StandardCharsets.UTF_8);
        assertTrue(plain.contains("\nsetuid=no\nusers=\ngroups=\ncwd_fallback=no\nhostfiles=passwd,group,hosts,resolv.conf,localtime\n"), plain);
    }

    @Test
    void everyKeyBecomesWhatCreateTakes() throws Exception {
        Declaration d = parse("# comment\nname=web\nsource=nfs://srv/export/web\noptions=rw,vers=4.2\n"
                + "mount=/proj ssh://u@h/proj ro,reconnect\nmount=/data dir:/srv/data\nsuid=yes\ndev=no\n"
                + "users=alice,bob\ngroups=staff\ncwd_fallback=yes\nhostfiles=passwd,group\naliases=www,w2\n"
                + "identity=/root/.ssh/id\nknown_hosts=/root/kh\nnfs.version=4.1\ntimeout=30\nmode=eager\n");
        CreateRequest r = d.request();
        assertEquals("web", r.name);
        assertEquals("nfs://srv/export/web", r.source);
        assertEquals(List.of("/proj=ssh://u@h/proj", "/data=dir:/srv/data"), r.mounts);
        assertEquals(List.of("/proj"), r.readOnly);
        assertEquals(List.of("/"), r.readWrite);
        assertEquals(List.of("/=vers=4.2", "/proj=reconnect"), r.options);
        assertTrue(r.suid);
        assertEquals("alice,bob", r.users);
        assertEquals("staff", r.groups);
        assertTrue(r.cwdFallback);
        assertEquals("passwd,group", r.hostfiles);
        assertEquals("/root/.ssh/id", r.identity);
        assertEquals("/root/kh", r.knownHosts);
        assertEquals("4.1", r.nfsVersion);
        assertEquals(30, r.timeoutSeconds);
        assertEquals(List.of("www", "w2"), d.aliases());
    }

    @Test
    void layerIsNoneOrSession() throws Exception {
        assertEquals("session", parse("source=dir:/srv/os\nlayer=session\n").request().layer);
        assertEquals("none", parse("source=dir:/srv/os\nlayer=none\n").request().layer);
        assertEquals(null, parse("source=dir:/srv/os\n").request().layer);
        assertEquals("d/web.conf:2: layer must be none or session", problem("source=dir:/srv/os\nlayer=persistent\n"));
    }

    @Test
    void defaultsAreThoseOfCreate() throws Exception {
        CreateRequest r = parse("source=dir:/srv/os\n").request();
        assertEquals("", r.users);
        assertEquals("", r.groups);
        assertEquals(null, r.hostfiles);
        assertEquals(10, r.timeoutSeconds);
        assertEquals(List.of(), r.mounts);
    }

    @Test
    void problemsNameFileAndLine() throws Exception {
        assertEquals("d/web.conf:2: unknown key 'user'", problem("source=dir:/x\nuser=root\n"));
        assertEquals("d/web.conf:0: no source= (where the root filesystem comes from)", problem("users=root\n"));
        assertEquals("d/web.conf:1: name=db is not the file's name web", problem("name=db\nsource=dir:/x\n"));
        assertTrue(problem("source=dir:/x\n\nusers=a b\n").startsWith("d/web.conf:3: bad name"), problem("source=dir:/x\n\nusers=a b\n"));
        assertTrue(problem("source=ftp://x/y\n").startsWith("d/web.conf:1: "));
        assertEquals("d/web.conf:2: expected mount=PATH SOURCE [OPTIONS]", problem("source=dir:/x\nmount=/proj\n"));
        assertEquals("d/web.conf:2: suid is a key of its own (suid=yes), for every filesystem", problem("source=dir:/x\noptions=ro,suid\n"));
        assertEquals("d/web.conf:2: both ro and rw", problem("source=dir:/x\noptions=ro,rw\n"));
        assertEquals("d/web.conf:2: suid must be yes or no", problem("source=dir:/x\nsuid=1\n"));
        assertEquals("d/web.conf:2: timeout must be between 1 and 3600 seconds", problem("source=dir:/x\ntimeout=0\n"));
        assertEquals("d/web.conf:2: alias web is the system's own name", problem("source=dir:/x\naliases=web\n"));
        assertTrue(problem("source=dir:/x\naliases=bin\n").startsWith("d/web.conf:2: alias 'bin': "));
        assertEquals("d/web.conf:2: mode must be eager or on-demand", problem("source=dir:/x\nmode=lazy\n"));
        assertEquals("d/web.conf:1: ssh://h/x: mode=on-demand takes nfs:// and dir: sources (autofs mounts them)",
                problem("source=ssh://h/x\nmode=on-demand\n"));
        assertEquals(List.of("w"), parse("source=dir:/x\nmode=on-demand\naliases=w\n").aliases());
        assertTrue(problem("source=dir:/x\nview=/var/tmp/v\n").startsWith("d/web.conf:2: view= is not declared"));
        assertTrue(problem("source=dir:/x\nbind=/scratch\n").startsWith("d/web.conf:2: bind= of an eager system is not declared"));
        assertEquals("d/web.conf:3: bind=/home/x: inside /home, a local part of every system",
                problem("source=dir:/x\nmode=on-demand\nbind=/home/x\n"));
        assertEquals("d/web.conf:3: bind=/var/tmp: inside /var/tmp, a local part of every system",
                problem("source=dir:/x\nmode=on-demand\nbind=/var/tmp\n"));
        assertEquals("d/web.conf:3: bind=/a/../b: not an absolute normalised path without spaces",
                problem("source=dir:/x\nmode=on-demand\nbind=/a/../b\n"));
        assertEquals("d/web.conf:4: bind=/srv/a given twice", problem("source=dir:/x\nmode=on-demand\nbind=/srv/a\nbind=/srv/a\n"));
        assertEquals("d/web.conf:3: bind=/usr: would hide the system's own /usr (as vsys.conf's bind= would; give a directory below it)",
                problem("source=dir:/x\nmode=on-demand\nbind=/usr\n"));
        assertTrue(problem("source=dir:/x\nmode=on-demand\nusers=a b\n").startsWith("d/web.conf:3: bad name"));
        assertEquals("d/web.conf:2: key 'source' given twice", problem("source=dir:/x\nsource=dir:/y\n"));
        assertEquals("d/web.conf: last line not terminated by a newline (truncated?)", problem("source=dir:/x"));
    }

    @Test
    void badFileNames() {
        String m = assertThrows(Declaration.Problem.class, () -> Declaration.parse("source=dir:/x\n".getBytes(StandardCharsets.UTF_8),
                "d/.hidden.conf", ".hidden")).getMessage();
        assertTrue(m.startsWith("d/.hidden.conf:0: the file name does not give a system name"), m);
    }

    @Test
    void aBadFileLeavesTheOthers(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.conf"), "source=dir:/srv/a\naliases=a1\n");
        Files.writeString(dir.resolve("b.conf"), "source=dir:/srv/b\nbogus=1\n");
        Files.writeString(dir.resolve("c.conf"), "source=dir:/srv/c\naliases=a\n");
        Files.writeString(dir.resolve("d.conf"), "source=dir:/srv/d\n");
        Files.writeString(dir.resolve(".e.conf.swp"), "junk");
        Files.writeString(dir.resolve("README"), "not a declaration");
        Declarations ds = Declarations.read(dir);
        assertEquals(List.of("a", "d"), ds.declared().stream().map(Declaration::name).toList());
        assertEquals(List.of(dir.resolve("b.conf") + ":2: unknown key 'bogus'",
                dir.resolve("c.conf") + ": alias a is also declared by " + dir.resolve("a.conf")),
                ds.problems().stream().map(Exception::getMessage).toList());
        assertTrue(ds.mentions("b"), "a bad file still names its system (which is then left as it is)");
        assertTrue(!ds.mentions("zz"));
    }

    @Test
    void aMissingDirectoryIsAnErrorNotAnEmptyDeclaration(@TempDir Path dir) {
        org.vsys.base.VsysException e = assertThrows(org.vsys.base.VsysException.class, () -> Declarations.read(dir.resolve("nope")));
        assertEquals(5, e.exitCode().code());
    }
}
