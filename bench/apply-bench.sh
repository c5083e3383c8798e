#!/bin/bash
# bench/apply-bench.sh: vsys apply of N declared eager systems (dir sources) from nothing, and again
# with nothing to do, paired in one run with the peers of docs/BENCHMARKS.md (section "apply"):
#
#   from nothing   against a `vsys -c` loop of the same systems (SAMPLE of them, per system,
#                  extrapolated to N): target <= 60 s for N=1000 on 2 cores
#   nothing to do  against `vsys list` at the same N systems, interleaved rounds, medians and
#                  the ratio: target <= 1.5x (the first round plans in full and writes the stamp
#                  of apply's quick check; it is reported too)
#   removal        the N systems removed by an apply of the emptied directory (reported only)
#
#   bench/apply-bench.sh [--systems N] [--sample K] [--rounds R]    (defaults 1000, 20, 11)
#
# As root, with the installed vsys (or VSYS_CMD). Names vab<tag>-NNNN; everything made is removed
# at the end, also on failure or Ctrl-C (apply of the emptied directory, then vsys -d of leftovers).
set -euo pipefail
umask 022
PROG=bench/apply-bench.sh
. "$(dirname "$0")/lib.sh"
N=1000
SAMPLE=20
ROUNDS=11
while [ $# -gt 0 ]; do
    case $1 in
        --systems) N=$2; shift 2 ;;
        --sample) SAMPLE=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        -h|--help) bench_usage 15; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root
VSYS=$(bench_vsys)
[ -n "$VSYS" ] && [ -x "$VSYS" ] || die "no vsys (install vsys or set VSYS_CMD)"
R=$(sed -n 's/.*-Dvsys\.root=\([^ ]*\).*/\1/p' "$VSYS" | head -n1)
R=${R:-/OS}
[ -x /bin/busybox ] || die "needs /bin/busybox (apt-get install busybox-static)"

WORK=$(mktemp -d /var/tmp/vsys-applybench.XXXXXX)
chmod 0755 "$WORK"
TAG=$(basename "$WORK" | sed 's/.*\.//' | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')
PFX=vab$TAG-
DECL=$WORK/decl
mkdir -p "$DECL" "$WORK/tree"/{bin,etc,tmp,var/tmp,usr/tmp,home,proc,dev,sys,run}
cp /bin/busybox "$WORK/tree/bin/"
ln -s busybox "$WORK/tree/bin/sh"
echo "ID=vsys-applybench" >"$WORK/tree/etc/os-release"
cleanup() {
    local rc=$? n
    set +e
    trap - EXIT INT TERM
    [ $rc -ne 0 ] && say "failed or interrupted (status $rc): cleaning up"
    find "$DECL" -maxdepth 1 -name '*.conf' -delete
    "$VSYS" apply --dir "$DECL" >/dev/null 2>>"$WORK/cleanup.err"
    for n in $(ls "$R/etc/systems" 2>/dev/null | grep "^$PFX"); do "$VSYS" -d "$n" >/dev/null 2>>"$WORK/cleanup.err"; done
    if ls "$R/etc/systems" 2>/dev/null | grep -q "^$PFX"; then
        say "systems $PFX* left in place (see $WORK/cleanup.err)"
    else
        rm -rf --one-file-system -- "$WORK"
    fi
    exit $rc
}
bench_cleanup_on_exit cleanup

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

say "peer: vsys -c loop of $SAMPLE systems (then destroyed)"
t0=$(now)
for i in $(seq 1 "$SAMPLE"); do "$VSYS" -c "${PFX}c$i" "dir:$WORK/tree" >/dev/null; done
t1=$(now)
for i in $(seq 1 "$SAMPLE"); do "$VSYS" -d "${PFX}c$i" >/dev/null; done
LOOP_MS=$(ms "$t0" "$t1")
PER_CREATE=$((LOOP_MS / SAMPLE))

for i in $(seq -w 1 "$N"); do printf 'source=dir:%s\n' "$WORK/tree" >"$DECL/$PFX$i.conf"; done
say "vsys apply of $N declared systems from nothing"
t0=$(now)
"$VSYS" apply --dir "$DECL" >"$WORK/apply.out"
t1=$(now)
APPLY_MS=$(ms "$t0" "$t1")
tail -n 1 "$WORK/apply.out" >&2
made=$(ls "$R/etc/systems" | grep -c "^$PFX")
[ "$made" = "$N" ] || die "apply made $made of $N systems"

say "nothing to do against vsys list, $ROUNDS interleaved rounds"
: >"$WORK/noop"; : >"$WORK/list"
for r in $(seq 1 "$ROUNDS"); do
    t0=$(now); "$VSYS" list >/dev/null; t1=$(now); ms "$t0" "$t1" >>"$WORK/list"
    t0=$(now); "$VSYS" apply --dir "$DECL" >"$WORK/noop.out"; t1=$(now); ms "$t0" "$t1" >>"$WORK/noop"
    grep -q '^apply: nothing to do' "$WORK/noop.out" || die "second apply did something: $(tail -n 1 "$WORK/noop.out")"
done
NOOP=$(median <"$WORK/noop")
NOOP_FIRST=$(head -n 1 "$WORK/noop")   # the first round plans in full and writes the stamp (apply/Stamp)
LIST=$(median <"$WORK/list")
total=$(ls "$R/etc/systems" | wc -l)

say "removal of the $N systems (apply of the emptied directory)"
find "$DECL" -maxdepth 1 -name '*.conf' -delete
t0=$(now)
"$VSYS" apply --dir "$DECL" >"$WORK/remove.out" || say "removal: not every system was removed: $(tail -n 1 "$WORK/remove.out")"
t1=$(now)
REMOVE_MS=$(ms "$t0" "$t1")

LOOP_N_S=$(awk -v p="$PER_CREATE" -v n="$N" 'BEGIN { printf "%.1f", p * n / 1000 }')
cat <<REPORT
## vsys apply, $N dir-source systems ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))

| what | measured | peer, same run | ratio | target |
|---|---|---|---|---|
| apply from nothing | $(awk -v m="$APPLY_MS" 'BEGIN { printf "%.1f s", m / 1000 }') | vsys -c loop: $PER_CREATE ms a system ($SAMPLE made), $LOOP_N_S s for $N | $(awk -v a="$APPLY_MS" -v p="$PER_CREATE" -v n="$N" 'BEGIN { printf "%.1fx faster", p * n / a }') | <= 60 s |
| apply, nothing to do (median of $ROUNDS) | $NOOP ms | vsys list: $LIST ms ($total systems) | $(awk -v a="$NOOP" -v b="$LIST" 'BEGIN { printf "%.2fx", a / b }') | <= 1.5x |
| the first of them (planned in full; the others take the quick check) | $NOOP_FIRST ms | | | |
| apply removing all $N | $(awk -v m="$REMOVE_MS" 'BEGIN { printf "%.1f s", m / 1000 }') | | | |
REPORT
