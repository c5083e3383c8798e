package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class SystemRecordTest {

    static SystemRecord sample() throws Exception {
        return new SystemRecord("web1", SystemRecord.State.READY, "2026-11-22T02:30:00Z",
                List.of(new FsEntry("/", SourceUrl.parse("nfs://fileserver/"), List.of("ro", "vers=4.1")),
                        new FsEntry("/usr", SourceUrl.parse("ssh://root@host:2222/usr"),
                                List.of("rw", "suid", "identity=/root/.ssh/id_x")),
                        new FsEntry("/opt", SourceUrl.parse("/srv/opt"), List.of("ro"))),
                true, "alice,bob", "staff", true, "passwd,group");
    }

    static SystemRecord roundTrip(SystemRecord r) throws Exception {
        return SystemRecord.parse(RecordFile.parse(r.toBytes(), "t"), r.name());
    }

    @Test
    void roundTrips() throws Exception {
        SystemRecord r = sample();
        SystemRecord back = roundTrip(r);
        assertEquals(new String(r.toBytes(), StandardCharsets.UTF_8), new String(back.toBytes(), StandardCharsets.UTF_8));
        assertEquals("web1", back.name());
        assertEquals(SystemRecord.State.READY, back.state());
        assertEquals(3, back.filesystems().size());
        assertEquals("nfs://fileserver/", back.root().source().toString());
        assertEquals("4.1", back.root().option("vers"));
        assertTrue(back.filesystems().get(1).suid());
        assertEquals(List.of(), back.filesystems().get(1).transportOptions());
        assertTrue(back.setuid());
        assertTrue(back.cwdFallback());
        assertEquals("alice,bob", back.users());
        assertEquals(SystemRecord.State.DESTROYING, roundTrip(r.withState(SystemRecord.State.DESTROYING)).state());
    }

    @Test
    void writesTheDocumentedKeysInOrder() throws Exception {
        String text = new String(sample().toBytes(), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("# "));
        assertTrue(text.contains("\nversion=1\nname=web1\nstate=ready\ncreated=2026-11-22T02:30:00Z\nfs=/ nfs://fileserver/ ro,vers=4.1\n"));
        assertTrue(text.endsWith("setuid=yes\nusers=alice,bob\ngroups=staff\ncwd_fallback=yes\nhostfiles=passwd,group\n"));
    }

    static String reject(String text, String file) {
        return assertThrows(RecordFormatException.class,
                () -> SystemRecord.parse(RecordFile.parse(text.getBytes(StandardCharsets.UTF_8), "t"), file)).getMessage();
    }

    static final String GOOD = "version=1\nname=a\nstate=ready\nfs=/ dir:/x ro\n";

    @Test
    void acceptsMinimalRecordWithDefaults() throws Exception {
        SystemRecord r = SystemRecord.parse(RecordFile.parse(GOOD.getBytes(StandardCharsets.UTF_8), "t"), "a");
        assertFalse(r.setuid());
        assertEquals(SystemRecord.DEFAULT_HOSTFILES, r.hostfiles());
        assertEquals("", r.users());
    }

    @Test
    void rejectsSemanticErrors() {
        assertTrue(reject(GOOD, "b").contains("file name"));
        assertTrue(reject(GOOD.replace("version=1", "version=2"), "a").contains("version"));
        assertTrue(reject(GOOD.replace("ready", "running"), "a").contains("state"));
        assertTrue(reject(GOOD.replace("fs=/ dir:/x ro", "fs=/usr dir:/x ro"), "a").contains("first"));
        assertTrue(reject(GOOD.replace("fs=/ dir:/x ro\n", ""), "a").contains("no filesystem"));
        assertTrue(reject(GOOD + "fs=/tmp dir:/y rw\n", "a").contains("local"));
        assertTrue(reject(GOOD + "fs=/ dir:/y rw\n", "a").contains("two filesystems"));
        assertTrue(reject(GOOD.replace("dir:/x ro", "dir:/x  ro"), "a").contains("expected"));
        assertTrue(reject(GOOD.replace("dir:/x ro", "dir:/x/ ro"), "a").contains("canonical"));
        assertTrue(reject(GOOD.replace("dir:/x ro", "/x ro"), "a").contains("canonical"));
        assertTrue(reject(GOOD.replace("fs=/ ", "fs=// "), "a").contains("normal"));
        assertTrue(reject(GOOD.replace("dir:/x ro", "dir:/x suid"), "a").contains("ro or rw"));
        assertTrue(reject(GOOD.replace("dir:/x ro", "dir:/x ro,rw"), "a").contains("twice"));
        assertTrue(reject(GOOD.replace("dir:/x ro", "dir:/x ro,,dev"), "a").contains("empty"));
        assertTrue(reject(GOOD + "setuid=maybe\n", "a").contains("yes or no"));
        assertTrue(reject(GOOD + "users=al ice\n", "a").contains("bad name"));
        assertTrue(reject(GOOD + "hostfiles=../shadow\n", "a").contains("host file"));
        assertTrue(reject(GOOD + "state=ready\n", "a").contains("twice"));
    }

    @Test
    void aliasRoundTripAndRejects() throws Exception {
        AliasRecord a = new AliasRecord("w", "web1");
        assertEquals(a, AliasRecord.parse(RecordFile.parse(a.toBytes(), "t"), "w"));
        assertThrows(RecordFormatException.class, () -> AliasRecord.parse(RecordFile.parse(a.toBytes(), "t"), "x"));
        assertThrows(RecordFormatException.class, () -> AliasRecord.parse(
                RecordFile.parse("version=1\nname=w\nsystem=../x\n".getBytes(StandardCharsets.UTF_8), "t"), "w"));
    }

    @Test
    void globalConfigDefaultsAndChecks() throws Exception {
        GlobalConfig d = GlobalConfig.parse(RecordFile.parse(new byte[0], "t"));
        assertEquals("namespace", d.link());
        assertEquals(GlobalConfig.DEFAULT_NFS_OPTIONS, d.nfsOptions());
        GlobalConfig g = GlobalConfig.parse(RecordFile.parse(
                "link=kmod\nbind=/scratch\nbind=/proj\naudit=no\nnfs.options=soft,timeo=100\n".getBytes(StandardCharsets.UTF_8), "t"));
        assertEquals(List.of("/scratch", "/proj"), g.binds());
        assertFalse(g.audit());
        assertEquals("soft,timeo=100", g.nfsOptions());
        assertThrows(RecordFormatException.class, () -> GlobalConfig.parse(RecordFile.parse("link=x\n".getBytes(StandardCharsets.UTF_8), "t")));
        assertThrows(RecordFormatException.class, () -> GlobalConfig.parse(RecordFile.parse("bind=rel\n".getBytes(StandardCharsets.UTF_8), "t")));
    }

    @Test
    void originOfDeclaredSystems() throws Exception {
        SystemRecord d = sample().withOrigin(SystemRecord.declaredIn("/etc/vsys/systems.d"));
        assertTrue(new String(d.toBytes(), StandardCharsets.UTF_8).endsWith("\norigin=declared:/etc/vsys/systems.d\n"));
        assertEquals("declared:/etc/vsys/systems.d", roundTrip(d).origin());
        assertTrue(roundTrip(d).declared());
        assertFalse(roundTrip(sample()).declared(), "made by hand: no origin=");
        assertEquals("declared:/etc/vsys/systems.d", roundTrip(d.withState(SystemRecord.State.DESTROYING)).origin());
        assertEquals("systems/a: origin must be declared:DIR (an absolute path) when given", reject(GOOD + "origin=hand\n", "a"));
        assertEquals("systems/a: origin must be declared:DIR (an absolute path) when given", reject(GOOD + "origin=declared:rel\n", "a"));
        assertTrue(SystemRecord.parse(RecordFile.parse((GOOD + "origin=declared\n").getBytes(StandardCharsets.UTF_8), "t"), "a").declared());
        AliasRecord a = new AliasRecord("w", "web1", SystemRecord.declaredIn("/d"));
        assertEquals(a, AliasRecord.parse(RecordFile.parse(a.toBytes(), "t"), "w"));
    }
}
