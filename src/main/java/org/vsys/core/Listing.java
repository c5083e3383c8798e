package org.vsys.core;

import java.util.ArrayList;
import java.util.List;

import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.Installation;
import org.vsys.config.SystemRecord;

/**
 * {@code vsys list}: every system and alias from the records alone, and the systems served on
 * demand from their autofs entries ({@link Automap}) with the mount table's word on whether autofs
 * has them mounted (no mount is touched, nothing under {@code R/.auto} is looked up).
 */
public final class Listing {

    /** One row: for an alias, source and state are its system's. {@code problem} is set for a bad record. */
    public record Row(String name, String type, String system, String source, String state, String problem) {
    }

    private Listing() {
    }

    public static List<Row> rows(Installation inst) {
        Records records = new Records(inst);
        List<Row> out = new ArrayList<>();
        java.util.Map<String, Automap.Entry> served = Automap.all(inst);
        org.vsys.mount.MountTable table = served.isEmpty() ? null : org.vsys.mount.MountTable.read();
        for (Automap.Entry e : served.values()) {
            if (!records.systemExists(e.name())) {
                out.add(new Row(e.name(), "system", e.name(), e.sourceOrLocation(), onDemandState(table, inst, e.name()), null));
            }
        }
        for (String n : records.systemNames()) {
            try {
                SystemRecord r = records.system(n);
                if (r != null) {
                    out.add(new Row(n, "system", n, r.root().source().toString(), r.state().word(), null));
                }
            } catch (VsysException e) {
                out.add(new Row(n, "system", n, "-", "corrupt", e.why()));
            }
        }
        for (String n : records.aliasNames()) {
            try {
                AliasRecord a = records.alias(n);
                if (a == null) {
                    continue;
                }
                String source = "-";
                String state = "missing";
                try {
                    SystemRecord r = records.system(a.system());
                    if (r != null) {
                        source = r.root().source().toString();
                        state = r.state().word();
                    } else if (served.containsKey(a.system())) {
                        source = served.get(a.system()).sourceOrLocation();
                        state = onDemandState(table, inst, a.system());
                    }
                } catch (VsysException e) {
                    state = "corrupt";
                }
                out.add(new Row(n, "alias", a.system(), source, state, null));
            } catch (VsysException e) {
                out.add(new Row(n, "alias", "-", "-", "corrupt", e.why()));
            }
        }
        out.sort((x, y) -> x.name().compareTo(y.name()));
        return out;
    }

    /** "on demand, mounted" or "on demand, not mounted", from the mount table. */
    static String onDemandState(org.vsys.mount.MountTable table, Installation inst, String name) {
        return Automap.mounted(table, inst, name) ? "on demand, mounted" : "on demand, not mounted";
    }
}
