package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.vsys.base.AtomicFile;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.GlobalConfig;
import org.vsys.config.Installation;
import org.vsys.config.Names;
import org.vsys.config.RecordFormatException;
import org.vsys.config.SystemRecord;

/** The records under {@code R/etc}: reading them, writing them atomically, listing names. */
public final class Records {
    private final Installation inst;

    public Records(Installation inst) {
        this.inst = inst;
    }

    public Installation installation() {
        return inst;
    }

    /** Makes R, R/bin, R/etc, R/etc/systems, R/etc/aliases if missing (0755) and checks their modes. */
    public void ensureLayout() throws VsysException {
        for (Path d : List.of(inst.root(), inst.bin(), inst.etc(), inst.systems(), inst.aliases())) {
            try {
                if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            } catch (IOException e) {
                throw new VsysException(ExitCode.CORRUPT, d.toString(), "cannot create: " + e.getMessage(), e);
            }
            checkDirectory(d);
        }
    }

    /** A directory of the installation: a real directory, not group or other writable. */
    public static void checkDirectory(Path d) throws VsysException {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, d.toString(), "cannot stat: " + e.getMessage(), e);
        }
        if (!a.isDirectory()) {
            throw new VsysException(ExitCode.UNSAFE, d.toString(), "not a directory (a symlink or file is in its place)");
        }
        if (a.permissions().contains(PosixFilePermission.GROUP_WRITE) || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new VsysException(ExitCode.CORRUPT, d.toString(), "is group or other writable (must be 0755 root)");
        }
    }

    public GlobalConfig config() throws VsysException {
        try {
            return GlobalConfig.read(inst.conf());
        } catch (RecordFormatException e) {
            throw new VsysException(ExitCode.CORRUPT, inst.conf().toString(), e.getMessage(), e);
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, inst.conf().toString(), e.getMessage(), e);
        }
    }

    public boolean systemExists(String name) {
        return Files.exists(inst.systemRecord(name), LinkOption.NOFOLLOW_LINKS);
    }

    public boolean aliasExists(String name) {
        return Files.exists(inst.aliasRecord(name), LinkOption.NOFOLLOW_LINKS);
    }

    /** The system record, or null when there is none; exit 13 when it is malformed. */
    public SystemRecord system(String name) throws VsysException {
        Path p = inst.systemRecord(name);
        try {
            // no separate exists(): the read's own lstat says when there is no record
            return SystemRecord.read(p);
        } catch (NoSuchFileException e) {
            return null;
        } catch (RecordFormatException e) {
            throw new VsysException(ExitCode.CORRUPT, name, "bad record: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, name, "cannot read record: " + e.getMessage(), e);
        }
    }

    /**
     * The record of the system a command names (never an alias): exit 2 for a bad name or an
     * alias, 5 when there is no such system, 13 when its record is malformed.
     */
    public SystemRecord existingSystem(String rawName) throws VsysException {
        String name = Names.check(rawName);
        SystemRecord rec = system(name);
        if (rec == null) {
            if (aliasExists(name)) {
                throw new VsysException(ExitCode.USAGE, name, "is an alias; name its system");
            }
            throw new VsysException(ExitCode.NO_SUCH, name, "no such system");
        }
        return rec;
    }

    public AliasRecord alias(String name) throws VsysException {
        Path p = inst.aliasRecord(name);
        try {
            return AliasRecord.read(p);
        } catch (NoSuchFileException e) {
            return null;
        } catch (RecordFormatException e) {
            throw new VsysException(ExitCode.CORRUPT, name, "bad alias record: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VsysException(ExitCode.CORRUPT, name, "cannot read alias record: " + e.getMessage(), e);
        }
    }

    public List<String> systemNames() {
        return names(inst.systems());
    }

    public List<String> aliasNames() {
        return names(inst.aliases());
    }

    /** The aliases whose system is {@code system}. Malformed alias records are skipped. */
    public List<AliasRecord> aliasesOf(String system) {
        List<AliasRecord> out = new ArrayList<>();
        for (String a : aliasNames()) {
            try {
                AliasRecord r = alias(a);
                if (r != null && r.system().equals(system)) {
                    out.add(r);
                }
            } catch (VsysException e) {
                // a corrupt alias record is reported by list; it does not block the others
            }
        }
        return out;
    }

    private static List<String> names(Path dir) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        // File.list: one String per entry (no Path, no iterator over a DirectoryStream); a third of
        // the time at 1000 records, cold. Null when the directory cannot be read.
        String[] entries = dir.toFile().list();
        if (entries == null) {
            return out;
        }
        for (String n : entries) {
            if (Names.isValid(n)) {
                out.add(n);
            }
        }
        Collections.sort(out);
        return out;
    }

    public void write(SystemRecord r) throws VsysException {
        write(inst.systemRecord(r.name()), r.toBytes());
    }

    public void write(AliasRecord r) throws VsysException {
        write(inst.aliasRecord(r.name()), r.toBytes());
    }

    private static void write(Path file, byte[] bytes) throws VsysException {
        try {
            AtomicFile.write(file, bytes);
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, file.toString(), "cannot write record: " + e.getMessage(), e);
        }
    }

    public void removeSystem(String name) throws VsysException {
        remove(inst.systemRecord(name));
    }

    public void removeAlias(String name) throws VsysException {
        remove(inst.aliasRecord(name));
    }

    private static void remove(Path file) throws VsysException {
        try {
            AtomicFile.removeDurably(file);
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, file.toString(), "cannot remove record: " + e.getMessage(), e);
        }
    }
}
