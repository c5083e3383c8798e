package org.vsys.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vsys.config.FsEntry;
import org.vsys.config.GlobalConfig;
import org.vsys.config.SourceUrl;

class TransportOptionsTest {

    static FsEntry fs(String path, String url, String... opts) throws Exception {
        return new FsEntry(path, SourceUrl.parse(url), List.of(opts));
    }

    @Test
    void nfsDefaultsAreHardNosuidNodevAndRootReadOnly() throws Exception {
        assertEquals("ro,nosuid,nodev,hard,timeo=600,retrans=2",
                NfsTransport.options(fs("/", "nfs://h/", "ro"), GlobalConfig.DEFAULT_NFS_OPTIONS));
    }

    @Test
    void perSystemOptionsOverrideGlobalOnes() throws Exception {
        assertEquals("rw,suid,dev,soft,timeo=50,retrans=2,nolock,vers=3",
                NfsTransport.options(fs("/p", "nfs://h/p", "rw", "suid", "dev", "soft", "timeo=50", "vers=3", "nolock"),
                        "hard,timeo=600,retrans=2,lock"));
        assertEquals("ro,nosuid,nodev,nfsvers=4.1",
                NfsTransport.options(fs("/", "nfs://h/", "ro", "nfsvers=4.1"), "vers=3"));
        // access flags in the global string never override the per-filesystem choice
        assertEquals("ro,nosuid,nodev,hard", NfsTransport.options(fs("/", "nfs://h/", "ro"), "rw,suid,hard"));
    }

    @Test
    void parsesShowmountOutput() {
        assertEquals(List.of("/", "/export/home", "/srv/a"),
                NfsTransport.parseExports("/                  *\n/export/home       10.0.0.0/24,host\n\n/srv/a\tx\n/\t*\n"));
        assertTrue(NfsTransport.parseExports("").isEmpty());
    }

    @Test
    void sshfsCommandCarriesTheTestbedOptions() throws Exception {
        FsEntry f = fs("/", "ssh://root@h:2222/srv/root", "ro", "identity=/k/id", "known_hosts=/k/kh", "cache=yes");
        List<String> cmd = SshfsTransport.command(f, Path.of("/OS/x"), 7);
        assertEquals(List.of("setsid", "sshfs", "-f", "root@h:/srv/root", "/OS/x", "-o"), cmd.subList(0, 6));
        String o = cmd.get(6);
        assertTrue(o.startsWith("ro,nosuid,nodev,allow_other,default_permissions,no_contain_symlinks,reconnect,"
                + "ServerAliveInterval=15,ServerAliveCountMax=3,BatchMode=yes,StrictHostKeyChecking=yes,ConnectTimeout=7"), o);
        assertTrue(o.endsWith(",IdentityFile=/k/id,UserKnownHostsFile=/k/kh,port=2222,cache=yes"), o);
        List<String> noUser = SshfsTransport.command(fs("/usr", "ssh://[::1]/usr", "rw", "suid", "dev"), Path.of("/OS/x/usr"), 10);
        assertEquals("[::1]:/usr", noUser.get(3));
        assertTrue(noUser.get(6).startsWith("rw,suid,dev,"));
    }

    @Test
    void sshErrorsMapToExitCodes() throws Exception {
        FsEntry f = fs("/", "ssh://h/", "ro");
        MountContext ctx = new MountContext("x", new org.vsys.config.Installation(Path.of("/nonexistent-os"), Path.of("/x"), () -> 0),
                GlobalConfig.defaults(), 5, null);
        assertEquals(7, SshfsTransport.failure(f, "/OS/x", "Host key verification failed.\nread: Connection reset by peer\n", false, ctx).exitCode().code());
        assertEquals(7, SshfsTransport.failure(f, "/OS/x", "root@h: Permission denied (publickey).\n", false, ctx).exitCode().code());
        assertEquals(8, SshfsTransport.failure(f, "/OS/x", "ssh: connect to host h port 22: Connection refused\n", false, ctx).exitCode().code());
        assertEquals(8, SshfsTransport.failure(f, "/OS/x", "", true, ctx).exitCode().code());
        assertEquals(10, SshfsTransport.failure(f, "/OS/x", "something odd\n", false, ctx).exitCode().code());
        assertEquals("ssh: connect to host h port 22: Connection refused",
                SshfsTransport.failure(f, "/OS/x", "ssh: connect to host h port 22: Connection refused\n", false, ctx).why());
    }

    @Test
    void nfsVersion3IsRecognisedInEveryForm() {
        assertTrue(NfsTransport.isVersion3("ro,nosuid,vers=3"));
        assertTrue(NfsTransport.isVersion3("nfsvers=3,ro"));
        assertTrue(!NfsTransport.isVersion3("ro,vers=4.1"));
        assertTrue(!NfsTransport.isVersion3("ro,vers=30"));
        assertTrue(NfsTransport.hasOption("ro,nolock", "nolock"));
        assertTrue(!NfsTransport.hasOption("ro,nolockx", "nolock"));
    }
}
