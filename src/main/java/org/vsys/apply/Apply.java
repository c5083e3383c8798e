package org.vsys.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.vsys.config.SystemRecord;
import org.vsys.core.Aliases;
import org.vsys.core.Automap;
import org.vsys.core.Create;
import org.vsys.base.Debug;
import org.vsys.core.Destroy;
import org.vsys.base.ExitCode;
import org.vsys.config.Installation;
import org.vsys.config.Lock;
import org.vsys.core.Records;
import org.vsys.core.Recovery;
import org.vsys.core.Restore;
import org.vsys.base.Steps;
import org.vsys.core.SystemMounts;
import org.vsys.core.ViewHelper;
import org.vsys.base.VsysException;
import org.vsys.mount.MountTable;

/**
 * {@code vsys apply}: converges the installation to the declarations. Under the lock, for the
 * whole run: recovery of interrupted operations first, then the plan ({@link Plan}), then the
 * removals, changes and remounts one at a time through the use cases of {@code destroy} and
 * {@code restore} (their safety checks included: a busy system is reported and left), then the
 * creates in parallel through {@code create}'s own steps, then the aliases. Every step is one of
 * those commands' steps, so a kill at any point is finished or undone by the next vsys, and the
 * next apply plans again from what is there.
 */
public final class Apply {
    /** The outcome of one step. {@code failure} null: done. */
    public record Result(Plan.Step step, VsysException failure) {
        public boolean ok() {
            return failure == null;
        }
    }

    /** The plan and what came of each step (every step LEAVE and no problem: nothing was done). */
    public record Outcome(Plan plan, List<Result> results) {
        /** 0, or the exit code of the first failure (a bad declaration: 2, a busy system: 11). */
        public int exitCode() {
            for (Result r : results) {
                if (!r.ok()) {
                    return r.failure().exitCode().code();
                }
            }
            return plan.problems().isEmpty() ? 0 : ExitCode.USAGE.code();
        }
    }

    private final Installation inst;
    private final Debug debug;
    private final int threads;

    public Apply(Installation inst, Debug debug, int threads) {
        this.inst = inst;
        this.debug = debug;
        this.threads = Math.max(1, threads);
    }

    /** The default number of creates at once: {@code -Dvsys.applyThreads}, else 2 per core. */
    public static int defaultThreads() {
        return Integer.getInteger("vsys.applyThreads", 2 * Runtime.getRuntime().availableProcessors());
    }

    /**
     * Starts loading the native calls (JNA: the lock's flock, the mounts) in a thread of its own,
     * while the caller reads the declarations: at 1000 systems the load was a fifth of an apply
     * with nothing to do, spent before the lock.
     */
    public static void warmUp() {
        Thread t = new Thread(() -> {
            try {
                org.vsys.linux.Posix.get();
            } catch (Throwable e) {
                // the real call reports it
            }
        }, "vsys-jna");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The number of declared systems when the stamp of the last apply shows that nothing it read
     * has changed and every mount it needs is there ({@link Stamp}): the plan would be all
     * {@code leave}. Null: a full apply is needed. Reads metadata only, takes no lock.
     */
    public static Integer nothingChanged(Installation inst, java.nio.file.Path declDir) {
        return Stamp.nothingChanged(inst, declDir);
    }

    /** The plan only (--dry-run): no lock, no change. */
    public Plan plan(Declarations decls) {
        return Plan.compute(inst, decls, debug);
    }

    public Outcome run(Declarations decls) throws VsysException {
        Records records = new Records(inst);
        ViewHelper view = new ViewHelper(inst, debug);
        view.requirePresent("apply");
        records.ensureLayout();
        long tl = System.nanoTime();
        try (Lock lock = Lock.take(inst.lockFile(), Lock.defaultTimeoutSeconds())) {
            long t0 = System.nanoTime();
            debug.line("apply: lock " + (t0 - tl) / 1_000_000 + " ms");
            // one pass over the records for recovery and the plan (recovery that changed something: read again)
            records.readAll();
            debug.line("apply: readAll " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            if (Recovery.atStart(inst, debug, records)) {
                records.forget();
            }
            long t1 = System.nanoTime();
            Plan plan = Plan.compute(inst, records, decls, debug);
            records.forget();
            debug.line("apply: recovery " + (t1 - t0) / 1_000_000 + " ms, plan " + (System.nanoTime() - t1) / 1_000_000 + " ms");
            Steps.reach("apply.planned");
            List<Result> results = new ArrayList<>();
            List<Plan.Step> creates = new ArrayList<>();
            Destroy destroy = new Destroy(inst, debug);
            Aliases aliases = new Aliases(inst);
            for (Plan.Step s : plan.steps()) {
                if (s.kind() == Plan.Kind.UNALIAS) {
                    results.add(attempt(s, () -> aliases.unaliasLocked(s.name())));
                } else if (s.kind() == Plan.Kind.REMOVE) {
                    results.add(attempt(s, () -> destroy.destroyLocked(s.name(), false)));
                    Steps.reach("apply.removed");
                }
            }
            String origin = SystemRecord.declaredIn(decls.dir().toString());
            java.util.Map<String, Declaration> declared = new java.util.HashMap<>();
            boolean[] sharedUp = {false};
            org.vsys.mount.MountTable[] serveTable = {plan.steps().stream().anyMatch(x -> x.kind() == Plan.Kind.SERVE)
                    ? org.vsys.mount.MountTable.read() : null};
            for (Declaration d : decls.declared()) {
                declared.put(d.name(), d);
            }
            for (Plan.Step s : plan.steps()) {
                if (s.kind() == Plan.Kind.UNSERVE) {
                    results.add(attempt(s, () -> {
                        Automap.unserve(inst, s.name(), debug);
                        // its aliases go with it, as with a destroy
                        for (org.vsys.config.AliasRecord a : records.aliasesOf(s.name())) {
                            if (origin.equals(a.origin())) {
                                aliases.unaliasLocked(a.name());
                            }
                        }
                        return null;
                    }));
                } else if (s.kind() == Plan.Kind.SERVE && !failed(results, s.name())) {
                    results.add(attempt(s, () -> {
                        // the launcher enters an on-demand system with the shared tree's local parts
                        if (!sharedUp[0]) {
                            view.run("apply", "shared-up");
                            sharedUp[0] = true;
                        }
                        Declaration d = declared.get(s.name());
                        OnDemand.serve(inst, s.name(), origin, d.request().source, s.system(), OnDemand.record(d, origin),
                                !d.request().users.isEmpty() || !d.request().groups.isEmpty(), serveTable[0]);
                        return null;
                    }));
                }
            }
            Steps.reach("apply.served");
            for (Plan.Step s : plan.steps()) {
                switch (s.kind()) {
                    case CHANGE:
                        if (s.recreate()) {
                            Result r = attempt(s, () -> destroy.destroyLocked(s.name(), false));
                            if (r.ok()) {
                                creates.add(s);
                            } else {
                                results.add(r);
                            }
                        } else {
                            results.add(attempt(s, () -> {
                                change(records, view, s);
                                return null;
                            }));
                        }
                        Steps.reach("apply.changed");
                        break;
                    case REMOUNT:
                        results.add(attempt(s, () -> new Restore(inst, debug).restoreOne(s.name(), view, s.timeoutSeconds(), 2000)));
                        Steps.reach("apply.remounted");
                        break;
                    case CREATE:
                    case RECOVER:
                        creates.add(s);
                        break;
                    case CONFLICT:
                        results.add(new Result(s, new VsysException(ExitCode.EXISTS, s.name(), s.detail())));
                        break;
                    default:
                        break;
                }
            }
            results.addAll(createAll(records, view, creates));
            Steps.reach("apply.created");
            for (Plan.Step s : plan.steps()) {
                if (s.kind() == Plan.Kind.ALIAS) {
                    results.add(attempt(s, () -> aliases.aliasLocked(s.name(), s.system(),
                            SystemRecord.declaredIn(decls.dir().toString()))));
                }
            }
            Steps.reach("apply.aliased");
            for (Plan.Step s : plan.steps()) {
                if (s.kind() == Plan.Kind.LEAVE) {
                    results.add(new Result(s, null));
                }
            }
            Outcome outcome = new Outcome(plan, results);
            if (outcome.exitCode() == 0 && plan.problems().isEmpty()) {
                Stamp.write(inst, decls, plan, debug); // every declared system as declared now
            }
            return outcome;
        }
    }

    /** Whether a step on {@code name} already failed (an on-demand system whose eager one is busy is not served). */
    private static boolean failed(List<Result> results, String name) {
        return results.stream().anyMatch(r -> !r.ok() && r.step().name().equals(name));
    }

    /** A record-only change: what the launcher reads is rewritten; the host files bound again when they changed. */
    private void change(Records records, ViewHelper view, Plan.Step s) throws VsysException {
        SystemRecord now = records.system(s.name());
        if (now == null) {
            throw new VsysException(ExitCode.NO_SUCH, s.name(), "destroyed meanwhile");
        }
        SystemRecord next = now.withAccess(s.desired()).withOrigin(s.desired().origin());
        records.write(next);
        Steps.reach("apply.access");
        if (now.restricted() != next.restricted()) {
            new SystemMounts(inst, next, debug).place();
        }
        if (!now.hostfiles().equals(next.hostfiles()) && MountTable.read().isViewMounted(inst, s.name())) {
            view.run(s.name(), "refresh", s.name());
        }
        if (Plan.missing(inst, next, mountPoints()) != null) {
            new Restore(inst, debug).restoreOne(s.name(), view, s.timeoutSeconds(), 2000);
        }
    }

    private static java.util.Set<String> mountPoints() {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (MountTable.Mount m : MountTable.read().mounts()) {
            out.add(m.mountPoint());
        }
        return out;
    }

    /**
     * The creates, {@link #threads} at once: the shared tree brought up once for all of them, each
     * then a create of its own (record, directory, mounts, prepare, link, ready; undone on failure).
     */
    private List<Result> createAll(Records records, ViewHelper view, List<Plan.Step> creates) {
        List<Result> out = new ArrayList<>();
        if (creates.isEmpty()) {
            return out;
        }
        try {
            view.run("apply", "shared-up");
        } catch (VsysException e) {
            for (Plan.Step s : creates) {
                out.add(new Result(s, e));
            }
            return out;
        }
        int n = Math.min(threads, creates.size());
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "vsys-apply");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (Plan.Step s : creates) {
                futures.add(pool.submit(() -> attempt(s, () -> new Create(inst, debug).createLocked(s.desired(), s.timeoutSeconds(), false))));
            }
            for (int i = 0; i < futures.size(); i++) {
                try {
                    out.add(futures.get(i).get());
                } catch (java.util.concurrent.ExecutionException e) {
                    out.add(new Result(creates.get(i), new VsysException(ExitCode.INTERNAL, creates.get(i).name(),
                            String.valueOf(e.getCause()), e.getCause())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.add(new Result(creates.get(i), new VsysException(ExitCode.INTERNAL, creates.get(i).name(), "interrupted")));
                }
            }
        } finally {
            pool.shutdown();
        }
        if (records.systemNames().isEmpty()) {
            try {
                view.run("apply", "shared-down"); // every create failed and nothing else is there
            } catch (VsysException e) {
                debug.line("shared-down: " + e.why());
            }
        }
        return out;
    }

    @FunctionalInterface
    interface Work {
        Object run() throws VsysException;
    }

    private static Result attempt(Plan.Step s, Work w) {
        try {
            w.run();
            return new Result(s, null);
        } catch (VsysException e) {
            return new Result(s, e);
        } catch (RuntimeException e) {
            return new Result(s, new VsysException(ExitCode.INTERNAL, s.name(), String.valueOf(e), e));
        }
    }
}
