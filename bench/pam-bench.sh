#!/bin/bash
# bench/pam-bench.sh: an SSH login through pam_vsys.so against one without it, on the sshd test bed
# of tests/pam/sshd-bed.sh (a real sshd with UsePAM yes in namespaces of its own).
#
#   bench/pam-bench.sh [--logins N]      N pairs (default 50)
#
# Each pair is two key-only logins of vsys-it running /bin/true: the PAM stack without the module,
# then with `session required pam_vsys.so` and ~/.vsys naming a system (the login lands inside), in
# alternating order, timed from the client (connection, key exchange, authentication, session,
# command, exit). Prints a Markdown table. As root, with vsys installed and the test users.
# Target (issue 14): at most 1.05x.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/common.sh"
. "$ROOT/tests/pam/sshd-bed.sh"
N=50
while [ $# -gt 0 ]; do
    case $1 in
        --logins) N=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/pam-bench.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
is_root || { echo "bench/pam-bench.sh: must run as root" >&2; exit 1; }
apt_ensure openssh-server openssh-client libpam0g-dev
PAM_MODULE=${VSYS_PAM_MODULE:-$ROOT/native/build/pam_vsys.so}
[ -n "${VSYS_PAM_MODULE:-}" ] || make -s -C "$ROOT/native" pam >/dev/null || exit 1
TREE=/var/cache/vsys/rootfs-bookworm-gcc
[ -f "$TREE/etc/debian_version" ] || "$ROOT/tests/remote/remote.sh" tree >/dev/null || exit 1
S=x14-pbench
U=$VSYS_IT_USER
UHOME=$(getent passwd "$U" | cut -d: -f6)
[ -e "$UHOME/.vsys" ] && { echo "bench/pam-bench.sh: $UHOME/.vsys exists; not touching it" >&2; exit 1; }
PAIRS=$(mktemp /tmp/x14-pam-bench.XXXXXX)
cleanup() { pam_bed_down; vsys destroy "$S" >/dev/null 2>&1; rm -f "$UHOME/.vsys" "$PAIRS"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
pam_bed_up || exit 1
vsys destroy "$S" >/dev/null 2>&1
vsys create "$S" "dir:$TREE" >/dev/null && pam_bed_bind_system "$S" || exit 1
runuser -u "$U" -- sh -c "echo $S > ~/.vsys"

timed() {   # timed none|"": seconds of one login with that stack
    local t0 t1
    pam_bed_stack "$1"
    t0=$(date +%s%N); pam_bed_ssh "$U" /bin/true || echo "bench: login failed" >&2; t1=$(date +%s%N)
    echo "$(( t1 - t0 ))" | awk '{ printf "%.6f", $1 / 1e9 }'
}
for i in 1 2; do timed none >/dev/null; timed "" >/dev/null; done   # warm-up
pam_bed_stack ""
[ "$(pam_bed_ssh "$U" cat /etc/debian_version)" = "$(cat "$TREE/etc/debian_version")" ] ||
    { echo "bench/pam-bench.sh: the login with pam_vsys did not land in $S" >&2; exit 1; }
for ((i = 0; i < N; i++)); do
    if ((i % 2)); then b=$(timed ""); a=$(timed none); else a=$(timed none); b=$(timed ""); fi
    echo "$a $b"
done >"$PAIRS"
echo "SSH logins on 2 cores, $(date -u +%Y-%m-%dT%H:%MZ), $N pairs, alternating order"
echo
echo "| login | pairs | median (min-max) | ratio |"
echo "|---|---|---|---|"
awk -v label="ssh without pam_vsys|ssh with pam_vsys (lands in $S)" -f "$ROOT/bench/paired.awk" "$PAIRS"
