package org.vsys.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code R/etc/vsys.conf}: written by the admin, read by vsys and the launcher (native/record.c's
 * {@code record_config}). {@code defaultSystem}: {@code default=}, the system a login or a launch
 * without a name enters (read by the C front ends; checked here too), {@code ""} for none.
 */
public record GlobalConfig(String link, List<String> binds, boolean audit, String nfsOptions, String declarations,
        String defaultSystem) {

    /** Where {@code vsys apply} reads the declarations when vsys.conf sets no {@code declarations=}. */
    public static final String DEFAULT_DECLARATIONS = "/etc/vsys/systems.d";

    public GlobalConfig(String link, List<String> binds, boolean audit, String nfsOptions) {
        this(link, binds, audit, nfsOptions, DEFAULT_DECLARATIONS, "");
    }

    /**
     * NFS options used when vsys.conf sets no {@code nfs.options}; see vsys.conf(5) for why:
     * hard mounts (no silent data loss; the status check and destroy --force never wait on them),
     * the Linux TCP defaults timeo=600,retrans=2 spelled out, version negotiated by mount.nfs.
     */
    public static final String DEFAULT_NFS_OPTIONS = "hard,timeo=600,retrans=2";

    public static GlobalConfig defaults() {
        return new GlobalConfig("namespace", List.of(), true, DEFAULT_NFS_OPTIONS);
    }

    public static GlobalConfig parse(RecordFile rf) throws RecordFormatException {
        String link = rf.get("link", "namespace");
        if (!link.equals("namespace") && !link.equals("kmod")) {
            throw new RecordFormatException("vsys.conf: link must be namespace or kmod");
        }
        String audit = rf.get("audit", "yes");
        if (!audit.equals("yes") && !audit.equals("no")) {
            throw new RecordFormatException("vsys.conf: audit must be yes or no");
        }
        for (String b : rf.getAll("bind")) {
            if (!RecordFile.absoluteNormalised(b) || b.indexOf(' ') >= 0) {
                throw new RecordFormatException("vsys.conf: bind=" + Names.display(b) + " is not an absolute normalised path");
            }
        }
        String nfs = rf.get("nfs.options", DEFAULT_NFS_OPTIONS);
        if (nfs.indexOf(' ') >= 0) {
            throw new RecordFormatException("vsys.conf: nfs.options must not contain spaces");
        }
        String decl = rf.get("declarations", DEFAULT_DECLARATIONS);
        if (!decl.startsWith("/") || decl.indexOf(' ') >= 0) {
            throw new RecordFormatException("vsys.conf: declarations=" + Names.display(decl)
                    + " is not an absolute path without spaces");
        }
        // default=: the system a login or a launch without a name enters (read by the C front ends)
        String def = rf.get("default", "");
        if (!def.isEmpty() && !Names.isValid(def)) {
            throw new RecordFormatException("vsys.conf: default=" + Names.display(def) + " is not a valid system name");
        }
        return new GlobalConfig(link, rf.getAll("bind"), audit.equals("yes"), nfs, decl, def);
    }

    /** Reads the file; a missing file means all defaults. */
    public static GlobalConfig read(Path file) throws IOException, RecordFormatException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return defaults();
        }
        return parse(RecordFile.read(file));
    }
}
