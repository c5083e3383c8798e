package org.vsys.core;

import java.nio.file.Files;
import java.nio.file.LinkOption;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.Steps;
import org.vsys.base.VsysException;
import org.vsys.config.AliasRecord;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.Names;
import org.vsys.config.SystemRecord;

/** {@code vsys alias} and {@code vsys unalias}: a second name, its record and its launcher link. */
public final class Aliases {
    private final Installation inst;
    private final Records records;

    public Aliases(Installation inst) {
        this.inst = inst;
        this.records = new Records(inst);
    }

    /** Makes {@code alias} name {@code target}'s system (an alias of an alias names the system). */
    public AliasRecord alias(String rawAlias, String rawTarget) throws VsysException {
        String alias = Names.check(rawAlias);
        String target = Names.check(rawTarget);
        records.ensureLayout();
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            Recovery.atStart(inst, Debug.off());
            return aliasLocked(alias, target, null);
        }
    }

    /**
     * {@link #alias} under the lock the caller holds; {@code origin} goes into the record
     * ({@code declared} from {@code vsys apply}, null by hand).
     */
    public AliasRecord aliasLocked(String alias, String target, String origin) throws VsysException {
        {
            String system;
            SystemRecord sys = records.system(target);
            if (sys != null || Automap.read(inst, target) != null) {
                system = target; // a system, or one served on demand (R/etc/automap/TARGET)
            } else {
                AliasRecord via = records.alias(target);
                if (via == null) {
                    throw new VsysException(ExitCode.NO_SUCH, target, "no such system or alias");
                }
                system = via.system();
            }
            if (records.systemExists(alias)) {
                throw new VsysException(ExitCode.EXISTS, alias, "a system of this name exists");
            }
            if (records.aliasExists(alias)) {
                throw new VsysException(ExitCode.EXISTS, alias, "an alias of this name exists");
            }
            if (Automap.read(inst, alias) != null) {
                throw new VsysException(ExitCode.EXISTS, alias, "a system of this name is served on demand");
            }
            if (Files.exists(inst.systemDir(alias), LinkOption.NOFOLLOW_LINKS)) {
                throw new VsysException(ExitCode.EXISTS, alias, inst.systemDir(alias) + " exists");
            }
            if (Links.exists(inst.link(alias))) {
                throw new VsysException(ExitCode.EXISTS, alias, inst.link(alias) + " exists");
            }
            AliasRecord rec = new AliasRecord(alias, system, origin);
            Steps.reach("alias.start");
            records.write(rec);
            try {
                Steps.reach("alias.record");
                Links.create(inst.link(alias));
            } catch (VsysException | RuntimeException e) {
                records.removeAlias(alias);
                throw e;
            }
            return rec;
        }
    }

    public AliasRecord unalias(String rawAlias) throws VsysException {
        String alias = Names.check(rawAlias);
        if (!Files.isDirectory(inst.aliases(), LinkOption.NOFOLLOW_LINKS)) {
            throw new VsysException(ExitCode.NO_SUCH, alias, "no such alias");
        }
        records.ensureLayout();
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            Recovery.atStart(inst, Debug.off());
            return unaliasLocked(alias);
        }
    }

    /** {@link #unalias} under the lock the caller holds. */
    public AliasRecord unaliasLocked(String alias) throws VsysException {
        {
            AliasRecord rec = records.alias(alias);
            if (rec == null) {
                if (records.systemExists(alias)) {
                    throw new VsysException(ExitCode.USAGE, alias, "is a system, not an alias; use 'vsys destroy " + alias + "'");
                }
                throw new VsysException(ExitCode.NO_SUCH, alias, "no such alias");
            }
            Links.checkOursOrAbsent(inst.link(alias));
            Steps.reach("unalias.start");
            Links.removeIfOurs(inst.link(alias));
            records.removeAlias(alias);
            return rec;
        }
    }
}
