package org.vsys.core;

import java.util.List;
import java.util.function.Consumer;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.config.Names;

/**
 * Shows the host's current passwd, group, hosts, resolv.conf and localtime again in running
 * systems. Tools such as useradd replace those files (a new inode), and a bind mount keeps
 * showing the file it was made from; vsys-view refresh binds the new ones inside each prepared
 * namespace, so commands already running see the change too. OS/lib/systemd/vsys-refresh.path
 * runs it whenever one of those files changes.
 */
public final class Refresh {
    private final Installation inst;
    private final Debug debug;

    public Refresh(Installation inst, Debug debug) {
        this.inst = inst;
        this.debug = debug;
    }

    /**
     * Refreshes the systems named (every system when none is), under the lock, after checking
     * that each is a system: an alias or a missing name refuses before any is refreshed.
     * {@code done} hears each name once its view shows the host files again.
     */
    public void run(List<String> names, Consumer<String> done) throws VsysException {
        Records records = new Records(inst);
        records.ensureLayout();
        ViewHelper view = new ViewHelper(inst, debug);
        view.requirePresent("refresh");
        for (String n : names) {
            Names.check(n);
        }
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            List<String> todo = names.isEmpty() ? records.systemNames() : names;
            for (String n : todo) {
                if (records.system(n) == null) {
                    throw new VsysException(records.aliasExists(n) ? ExitCode.USAGE : ExitCode.NO_SUCH, n,
                            records.aliasExists(n) ? "is an alias; refresh its system" : "no such system");
                }
            }
            for (String n : todo) {
                view.run(n, "refresh", n);
                done.accept(n);
            }
        }
    }
}
