#!/bin/bash
# bench/slurm-bench.sh: a job step through vsys_spank.so against a plain one, on the real two-node
# cluster of tests/slurm/cluster.sh (munge, slurmctld, slurmd n1 n2 on this machine).
#
#   bench/slurm-bench.sh [--steps N]      N pairs (default 100)
#
# Each pair runs `srun /bin/true` and `srun --vsys=NAME /bin/true` as the test user vsys-it, in
# alternating order, timed from the client (wall clock, the whole step: allocation, launch on the
# node, the task, completion). Prints a Markdown table: medians, min-max and the ratio. As root,
# with vsys installed (./install.sh) and the test users (tests/lib/common.sh make_test_users).
# Target (issue 14): at most 1.05x.
set -u
PROG=bench/slurm-bench.sh
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/slurm/cluster.sh"
N=100
while [ $# -gt 0 ]; do
    case $1 in
        --steps) N=$2; shift 2 ;;
        -h|--help) bench_usage 12; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root
apt_ensure slurmctld slurmd slurm-client munge libslurm-dev
PLUGIN=${VSYS_SPANK_PLUGIN:-$TOP/native/build/vsys_spank.so}
[ -n "${VSYS_SPANK_PLUGIN:-}" ] || make -s -C "$TOP/native" spank >/dev/null || exit 1
TREE=/var/cache/vsys/rootfs-bookworm-gcc
[ -f "$TREE/etc/debian_version" ] || "$TOP/tests/remote/remote.sh" tree >/dev/null || exit 1
S=x14-bench
WORK=$(mktemp -d /tmp/x14-slurm-bench.XXXXXX); chmod 0755 "$WORK"
cleanup() { slurm_down; vsys destroy "$S" >/dev/null 2>&1; rm -rf -- "$WORK"; }
bench_cleanup_on_exit cleanup
vsys destroy "$S" >/dev/null 2>&1
vsys create "$S" "dir:$TREE" >/dev/null || exit 1
slurm_up "required $PLUGIN" || exit 1

step() { slurm_as "$VSYS_IT_USER" srun "$@" /bin/true; }
# seconds of one plain step, of one step entering $S
step_plain() { bench_secs step; }
step_vsys() { bench_secs step --vsys="$S"; }
cd "$WORK"
for i in 1 2 3; do step >/dev/null; step --vsys=$S >/dev/null; done   # warm-up
bench_pairs "$N" step_plain step_vsys >"$WORK/pairs"
bench_pair_table "Slurm job steps on 2 cores, $(date -u +%Y-%m-%dT%H:%MZ), $N pairs, alternating order" step \
    "srun /bin/true" "srun --vsys=$S /bin/true" "$WORK/pairs"
