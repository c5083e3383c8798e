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
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/common.sh"
. "$ROOT/tests/slurm/cluster.sh"
N=100
while [ $# -gt 0 ]; do
    case $1 in
        --steps) N=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/slurm-bench.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
is_root || { echo "bench/slurm-bench.sh: must run as root" >&2; exit 1; }
apt_ensure slurmctld slurmd slurm-client munge libslurm-dev
PLUGIN=${VSYS_SPANK_PLUGIN:-$ROOT/native/build/vsys_spank.so}
[ -n "${VSYS_SPANK_PLUGIN:-}" ] || make -s -C "$ROOT/native" spank >/dev/null || exit 1
TREE=/var/cache/vsys/rootfs-bookworm-gcc
[ -f "$TREE/etc/debian_version" ] || "$ROOT/tests/remote/remote.sh" tree >/dev/null || exit 1
S=x14-bench
WORK=$(mktemp -d /tmp/x14-slurm-bench.XXXXXX); chmod 0755 "$WORK"
cleanup() { slurm_down; vsys destroy "$S" >/dev/null 2>&1; rm -rf -- "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
vsys destroy "$S" >/dev/null 2>&1
vsys create "$S" "dir:$TREE" >/dev/null || exit 1
slurm_up "required $PLUGIN" || exit 1

step() { slurm_as "$VSYS_IT_USER" srun "$@" /bin/true; }
timed() {   # seconds of one step
    local t0 t1
    t0=$(date +%s%N); step "$@" || echo "bench: step failed: srun $*" >&2; t1=$(date +%s%N)
    echo "$(( t1 - t0 ))" | awk '{ printf "%.6f", $1 / 1e9 }'
}
cd "$WORK"
for i in 1 2 3; do step >/dev/null; step --vsys=$S >/dev/null; done   # warm-up
for ((i = 0; i < N; i++)); do
    if ((i % 2)); then b=$(timed --vsys=$S); a=$(timed); else a=$(timed); b=$(timed --vsys=$S); fi
    echo "$a $b"
done >"$WORK/pairs"
echo "Slurm job steps on 2 cores, $(date -u +%Y-%m-%dT%H:%MZ), $N pairs, alternating order"
echo
echo "| step | pairs | median (min-max) | ratio |"
echo "|---|---|---|---|"
awk -v label="srun /bin/true|srun --vsys=$S /bin/true" -f "$ROOT/bench/paired.awk" "$WORK/pairs"
