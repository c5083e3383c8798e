#!/bin/bash
# Benchmark (VM_SUITE_BENCH=1 tests/vm/run-suite.sh tests/vm/steps/51-autofs-bench.sh): 1000 on-demand systems.
#   - `vsys apply` of 1000 declarations mode=on-demand (dir: sources) from nothing, and again with nothing to do
#     (planned in full, then by the quick check of apply/Stamp)
#   - host mount entries with all 1000 idle: against the automounter's own trigger entries (R/.auto, R/.private/.auto)
#   - paired rounds: the first access of an unmounted on-demand system (a different one each round, so each
#     access is a first one) against the same access of a mounted one; medians
# The launcher does not enter on-demand systems yet: the access is `cat R/.auto/NAME/etc/debian_version`.
. "$(dirname "$0")/lib.sh"
R=/OS
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
N=${AUTOFS_BENCH_N:-1000}; TMO=600; ROUNDS=${AUTOFS_BENCH_ROUNDS:-9}
D=/run/g-bdecl; MASTER=/run/g-bauto.master; ALOG=/run/g-bautomount.log; APID=
LIBEXEC=$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$(command -v vsys)" | head -n 1)
TREE=/var/cache/vsys/rootfs-bookworm-gcc
cleanup() {
  if [ -n "$APID" ]; then kill -TERM "$APID" 2>/dev/null; for i in $(seq 100); do kill -0 "$APID" 2>/dev/null || break; sleep 0.2; done; fi
  awk -v p="$R/.auto/" 'index($2, p) == 1 {print $2}' /proc/mounts | xargs -r umount -l 2>/dev/null; umount -l "$R/.auto" 2>/dev/null
  rm -rf "$D" "$R/etc/automap" "$R/etc/auto.vsys"
}
trap cleanup EXIT
command -v automount >/dev/null || { nok "automount is not installed"; finish; exit; }
mkdir -p "$D"
for i in $(seq -w 1 "$N"); do printf '%s\n' "source=dir:$TREE" 'mode=on-demand' > "$D/gb$i.conf"; done
# apply brings the shared tree up for the launcher (native/enter.c enters on-demand systems with its local
# parts); up first, as on a node with eager systems, so that the counts below are apply's and autofs's own
"$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$(command -v vsys)" | head -n 1)/vsys-view" shared-up
n0=$(wc -l < /proc/mounts)
VS_TIMEOUT=900 expect_vs "vsys apply of $N on-demand declarations" 0 apply --dir "$D"; t_apply=$VS_TIME
VS_TIMEOUT=900 expect_vs "  again: nothing to do (planned in full, the stamp written)" 0 apply --dir "$D"; t_noop=$VS_TIME
VS_TIMEOUT=900 expect_vs "  again: nothing to do (the quick check)" 0 apply --dir "$D"; t_quick=$VS_TIME
VS_TIMEOUT=300 vs list > /dev/null; t_list=$VS_TIME
check "  vsys list: $N systems on demand, not mounted" test "$(grep -c 'on demand, not mounted' $VS_OUT)" = "$N"
figure "autofs_apply_${N}_on_demand_guest $t_apply s from nothing, $t_noop s nothing to do planned in full, $t_quick s by the quick check (vsys list $t_list s)"
automount_up "$TMO" /run/g-bautomount.pid
n1=$(wc -l < /proc/mounts); nt=$(awk '$3 == "autofs"' /proc/mounts | wc -l)
figure "autofs_mount_entries_${N}_idle_guest $((n1 - n0)) (the automounter's own trigger entries: $nt, R/.auto and R/.private/.auto)"
check "$N idle on-demand systems: the mount entries are the automounter's triggers ($nt)" test $((n1 - n0)) = "$nt"
cat "$R/.auto/gb$(printf %0${#N}d 1)/etc/debian_version" > /dev/null   # the mounted one
: > /run/g-first; : > /run/g-mounted
for r in $(seq 2 $((ROUNDS + 1))); do
  k=gb$(printf %0${#N}d "$r")
  t=$(ts); cat "$R/.auto/$k/etc/debian_version" > /dev/null || { nok "first access of $k"; break; }; el "$t" >> /run/g-first; echo >> /run/g-first
  t=$(ts); cat "$R/.auto/gb$(printf %0${#N}d 1)/etc/debian_version" > /dev/null; el "$t" >> /run/g-mounted; echo >> /run/g-mounted
done
med() { grep . "$1" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
f=$(med /run/g-first); m=$(med /run/g-mounted)
figure "autofs_first_access_guest $f s against a mounted one $m s (medians of $ROUNDS paired rounds, dir: source)"
finish
