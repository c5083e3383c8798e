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
PROG=bench/pam-bench.sh
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/pam/sshd-bed.sh"
N=50
while [ $# -gt 0 ]; do
    case $1 in
        --logins) N=$2; shift 2 ;;
        -h|--help) bench_usage 11; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root
apt_ensure openssh-server openssh-client libpam0g-dev
PAM_MODULE=${VSYS_PAM_MODULE:-$TOP/native/build/pam_vsys.so}
[ -n "${VSYS_PAM_MODULE:-}" ] || make -s -C "$TOP/native" pam >/dev/null || exit 1
TREE=/var/cache/vsys/rootfs-bookworm-gcc
[ -f "$TREE/etc/debian_version" ] || "$TOP/tests/remote/remote.sh" tree >/dev/null || exit 1
S=x14-pbench
U=$VSYS_IT_USER
UHOME=$(getent passwd "$U" | cut -d: -f6)
[ -e "$UHOME/.vsys" ] && die "$UHOME/.vsys exists; not touching it"
PAIRS=$(mktemp /tmp/x14-pam-bench.XXXXXX)
cleanup() { pam_bed_down; vsys destroy "$S" >/dev/null 2>&1; rm -f "$UHOME/.vsys" "$PAIRS"; }
bench_cleanup_on_exit cleanup
pam_bed_up || exit 1
vsys destroy "$S" >/dev/null 2>&1
vsys create "$S" "dir:$TREE" >/dev/null && pam_bed_bind_system "$S" || exit 1
runuser -u "$U" -- sh -c "echo $S > ~/.vsys"

# seconds of one login with the stack without the module, with it (the stack is set untimed)
login_plain() { pam_bed_stack none; bench_secs pam_bed_ssh "$U" /bin/true; }
login_vsys() { pam_bed_stack ""; bench_secs pam_bed_ssh "$U" /bin/true; }
for i in 1 2; do login_plain >/dev/null; login_vsys >/dev/null; done   # warm-up
pam_bed_stack ""
[ "$(pam_bed_ssh "$U" cat /etc/debian_version)" = "$(cat "$TREE/etc/debian_version")" ] ||
    die "the login with pam_vsys did not land in $S"
bench_pairs "$N" login_plain login_vsys >"$PAIRS"
bench_pair_table "SSH logins on 2 cores, $(date -u +%Y-%m-%dT%H:%MZ), $N pairs, alternating order" login \
    "ssh without pam_vsys" "ssh with pam_vsys (lands in $S)" "$PAIRS"
