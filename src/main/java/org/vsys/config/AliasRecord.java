package org.vsys.config;

import java.io.IOException;
import java.nio.file.Path;

/** The record {@code R/etc/aliases/<alias>}: a second name for a system. */
public record AliasRecord(String name, String system, String origin) {

    /** An alias made by hand ({@code vsys alias}): no origin=. */
    public AliasRecord(String name, String system) {
        this(name, system, null);
    }

    /** True if {@code vsys apply} made the alias from a declaration ({@code origin=declared:DIR}). */
    public boolean declared() {
        return origin != null;
    }

    public byte[] toBytes() {
        RecordFile.Writer w = new RecordFile.Writer()
                .comment("vsys alias record; see vsys.conf(5)")
                .put("version", SystemRecord.VERSION)
                .put("name", name)
                .put("system", system);
        if (origin != null) {
            w.put("origin", origin);
        }
        return w.toBytes();
    }

    public static AliasRecord parse(RecordFile rf, String fileName) throws RecordFormatException {
        String where = "aliases/" + fileName;
        if (!SystemRecord.VERSION.equals(rf.get("version"))) {
            throw new RecordFormatException(where + ": version is not " + SystemRecord.VERSION);
        }
        String name = rf.get("name");
        if (name == null || !name.equals(fileName)) {
            throw new RecordFormatException(where + ": name does not match the file name");
        }
        String system = rf.get("system");
        if (system == null || !Names.isValid(system)) {
            throw new RecordFormatException(where + ": bad or missing system");
        }
        return new AliasRecord(name, system, SystemRecord.originOf(rf.get("origin"), where));
    }

    public static AliasRecord read(Path file) throws IOException, RecordFormatException {
        return parse(RecordFile.read(file), file.getFileName().toString());
    }
}
