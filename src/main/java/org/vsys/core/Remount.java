package org.vsys.core;

import java.util.ArrayList;
import java.util.List;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.FsEntry;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.Names;
import org.vsys.config.SystemRecord;
import org.vsys.mount.MountContext;

/**
 * {@code vsys remount}: every filesystem that is not mounted or does not answer (and those mounted
 * inside it) is unmounted, lazily when it hangs, and mounted again; then the view is prepared anew
 * and the launcher link restored.
 */
public final class Remount {
    private final Installation inst;
    private final Records records;
    private final Debug debug;

    public Remount(Installation inst, Debug debug) {
        this.inst = inst;
        this.records = new Records(inst);
        this.debug = debug;
    }

    /** Returns the paths (inside the system) that were mounted again. */
    public List<String> run(String rawName, int timeoutSeconds, long probeMillis) throws VsysException {
        String name = Names.check(rawName);
        records.ensureLayout();
        ViewHelper view = new ViewHelper(inst, debug);
        view.requirePresent(name);
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            Recovery.atStart(inst, debug);
            SystemRecord rec = records.system(name);
            if (rec == null) {
                if (records.aliasExists(name)) {
                    throw new VsysException(ExitCode.USAGE, name, "is an alias; remount its system");
                }
                throw new VsysException(ExitCode.NO_SUCH, name, "no such system");
            }
            if (rec.state() != SystemRecord.State.READY) {
                throw new VsysException(ExitCode.CORRUPT, name, "state is " + rec.state().word() + "; destroy it and create it again");
            }
            SystemMounts mounts = new SystemMounts(inst, rec, debug);
            Health.SystemState st = Health.check(inst, rec, probeMillis);
            List<FsEntry> redo = Health.toRedo(rec, st);
            MountContext ctx = new MountContext(name, inst, records.config(), timeoutSeconds, debug);
            Restore.mark(inst, name); // a remount killed half way is finished by the next command
            try {
                mounts.remount(redo, ctx, "remount.unmounted", fs -> { });
                view.run(name, "shared-up");
                view.run(name, "prepare", name);
                if (!Links.isOurs(inst.link(name))) {
                    Links.checkOursOrAbsent(inst.link(name));
                    Links.create(inst.link(name));
                }
                List<String> paths = new ArrayList<>();
                for (FsEntry fs : redo) {
                    paths.add(fs.path());
                }
                return paths;
            } finally {
                Restore.unmark(inst, name);
            }
        }
    }
}
