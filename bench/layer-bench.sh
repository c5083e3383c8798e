#!/bin/bash
# bench/layer-bench.sh: the persistent layer (docs/BENCHMARKS.md, section "Layers").
#
#   bench/layer-bench.sh [--tree DIR] [--rounds N] [--repeat K] [--out FILE]
#
#   --tree DIR   the OS tree both systems are made of (default: the cached Debian tree of
#                tests/remote/remote.sh, /var/cache/vsys/rootfs-bookworm-gcc: it has gcc)
#   --rounds N   paired rounds of the file-work sets (default 7; launch: 40 x N)
#   --repeat K   measure each set K times (default 3) and give each run's paired ratio and their median
#   env VSYS_CMD the vsys to measure (default: the installed `vsys`)
#
# As root. Two systems of the same tree, bl-plain-PID (no layer) and bl-layer-PID (--layer
# persistent), measured in the same interleaved rounds with bench/launchbench.c (A B A B ...,
# paired ratios): launch of /bin/true, find over /usr, cat of /usr/include, a gcc compile. Each round
# runs none, layer, none again: the second plain run against the first (an A/A control) shows how far
# the load alone moves a ratio in this run; each set is measured --repeat times, by the wall clock
# and then by the CPU time the command used (launchbench -c).
# Then vsys diff on 10 000 changed files of the layer (5 000 appended, 5 000 new), and vsys switch
# with the 3-way merge of a 1000-file /etc (100 changed locally, 100 upstream, 50 both) against
# the switch of the same tree without a layer. Everything made is destroyed at the end, also on
# failure.
set -euo pipefail
umask 022
PROG=bench/layer-bench.sh
. "$(dirname "$0")/lib.sh"
TREE=/var/cache/vsys/rootfs-bookworm-gcc
ROUNDS=7
REPEAT=3
OUT=
while [ $# -gt 0 ]; do
    case $1 in
        --tree) TREE=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) bench_usage 21; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root
[ -x "$TREE/usr/bin/gcc" ] || die "$TREE has no gcc (bench/../tests/remote/remote.sh tree)"
VSYS=$(bench_vsys)
# the other work on the machine may hold R/etc/.lock for a while: wait for it rather than fail
export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -Dvsys.lockTimeout=600"
WORK=$(mktemp -d /tmp/bl-bench.XXXXXX) # /tmp: shared with the systems (their /var/tmp is their own)
LB=$(bench_launchbench "$WORK")
P=bl-plain-$$ L=bl-layer-$$ SP=bl-sp-$$ SL=bl-sl-$$
cleanup() {
    for n in $P $L $SP $SL; do "$VSYS" -d "$n" >/dev/null 2>&1 || "$VSYS" destroy --force "$n" >/dev/null 2>&1 || true; done
    for n in $L $SL; do [ -d /OS/.layer/$n ] && rm -rf --one-file-system "/OS/.layer/$n"; done
    rm -rf --one-file-system "$WORK"
}
bench_cleanup_on_exit cleanup
out() { if [ -n "$OUT" ]; then cat >> "$OUT"; else cat; fi; }
[ -z "$OUT" ] || : > "$OUT"
cd /   # the launcher needs a working directory visible in the systems

"$VSYS" -c $P "dir:$TREE" >/dev/null
"$VSYS" -c $L "dir:$TREE" --layer persistent >/dev/null
# the source of the compile, in the shared /tmp (the same file for both)
cat > "$WORK/c.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) { char b[64]; snprintf(b, sizeof b, "%d", 42); puts(b); return strlen(b) == 2 ? 0 : 1; }
C
chmod 755 "$WORK"; chmod 644 "$WORK/c.c"
table() { # title
    local title=$1
    printf '\n%s\n\n| set | median ms (no layer) | median ms (layer) | paired ratio layer/none, each run | median | control none/none, each run |\n|---|---|---|---|---|---|\n' "$title"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) printf "%.3f", a[(NR+1)/2]; else printf "%.3f", (a[NR/2]+a[NR/2+1])/2}'; }
run_set() { # label n cmd...: REPEAT runs of n rounds of none, layer, none (control)
    local label=$1 n=$2; shift 2
    local res k a= b= rs= cs= r c
    for k in $(seq "$REPEAT"); do
        res=$("$LB" $LBOPT -n "$n" -w 2 -C / ::: none /OS/bin/$P "$@" ::: layer /OS/bin/$L "$@" ::: control /OS/bin/$P "$@" | grep -v '^#')
        a="$a $(awk -F'\t' '$1=="none"{printf "%.2f", $3/1000}' <<<"$res")"
        b="$b $(awk -F'\t' '$1=="layer"{printf "%.2f", $3/1000}' <<<"$res")"
        rs="$rs $(awk -F'\t' '$1=="layer"{printf "%.3f", $9}' <<<"$res")"
        cs="$cs $(awk -F'\t' '$1=="control"{printf "%.3f", $9}' <<<"$res")"
    done
    r=$(tr ' ' '\n' <<<"$rs" | grep . | median)
    printf '| %s | %s | %s | %s | %sx | %s |\n' "$label" "$(tr ' ' '\n' <<<"$a" | grep . | median)" \
        "$(tr ' ' '\n' <<<"$b" | grep . | median)" "$(echo $rs | sed 's/ / \/ /g')" "$r" "$(echo $cs | sed 's/ / \/ /g')"
}
sets() {
    run_set "launch /bin/true" $((ROUNDS * 40)) /bin/true
    run_set "find /usr -xdev" "$ROUNDS" /usr/bin/find /usr -xdev -printf ''
    run_set "cat every file of /usr/include" "$ROUNDS" /bin/sh -c 'find /usr/include -type f -exec cat {} + > /dev/null'
    run_set "gcc -O2 -c (stdio, stdlib, string)" "$ROUNDS" /usr/bin/gcc -O2 -c -o /dev/null "$WORK/c.c"
}
say "launch and file work, $REPEAT x $ROUNDS rounds, wall clock then CPU time"
{
    LBOPT=
    table "Launch and file work inside, wall clock (same tree, bench/launchbench.c paired rounds, $REPEAT runs; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the start)"
    sets
    LBOPT=-c
    table "The same, CPU time of the command (user + system, launchbench -c: what waiting for a CPU on a loaded machine does not move; load $(cut -d' ' -f1-3 /proc/loadavg))"
    sets
    printf '\n(load at the end: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} | out

say "diff of 10 000 changed files"
/OS/bin/$L /bin/sh -c 'find /usr/share -type f -size -64k | head -5000 | while read -r f; do echo x >> "$f"; done;
    mkdir -p /opt/bl; i=0; while [ $i -lt 5000 ]; do echo $i > /opt/bl/f$i; i=$((i+1)); done'
t0=$(date +%s%N); n=$("$VSYS" diff $L | wc -l); t1=$(date +%s%N)
t2=$(date +%s%N); "$VSYS" diff $L --json > /dev/null; t3=$(date +%s%N)
t4=$(date +%s%N); find "/OS/.layer/$L" > /dev/null; t5=$(date +%s%N)
{
    printf '\n| vsys diff of a layer | lines | seconds | per changed file |\n|---|---|---|---|\n'
    printf '| text | %s | %.2f | %.0f us |\n' "$n" "$(echo "($t1-$t0)/1000000000" | bc -l)" "$(echo "($t1-$t0)/1000/$n" | bc -l)"
    printf '| --json | %s | %.2f | %.0f us |\n' "$n" "$(echo "($t3-$t2)/1000000000" | bc -l)" "$(echo "($t3-$t2)/1000/$n" | bc -l)"
    printf '| (find over the upper alone, for scale) | | %.2f | |\n' "$(echo "($t5-$t4)/1000000000" | bc -l)"
} | out

say "switch with the merge of a 1000-file /etc"
T=$WORK/small; mkdir -p "$T/etc/many" "$T/bin" "$T/tmp" "$T/var/tmp"; cp /bin/busybox "$T/bin/"; ln -s busybox "$T/bin/sh"
i=0; while [ $i -lt 1000 ]; do echo "orig $i" > "$T/etc/many/f$i"; i=$((i+1)); done
"$VSYS" -c $SP "dir:$T" >/dev/null; "$VSYS" -c $SL "dir:$T" --layer persistent >/dev/null
"$VSYS" snapshot $SL >/dev/null; "$VSYS" snapshot $SP >/dev/null
c1l=$("$VSYS" snapshot --list $SL | head -1 | cut -c1-64); c1p=$("$VSYS" snapshot --list $SP | head -1 | cut -c1-64)
"$VSYS" switch $SL "$c1l" >/dev/null; "$VSYS" switch $SP "$c1p" >/dev/null
/OS/bin/$SL /bin/sh -c 'i=0; while [ $i -lt 100 ]; do echo local >> /etc/many/f$i; i=$((i+1)); done'
i=50; while [ $i -lt 150 ]; do echo upstream >> "$T/etc/many/f$i"; i=$((i+1)); done
"$VSYS" snapshot $SL >/dev/null; "$VSYS" snapshot $SP >/dev/null
c2l=$("$VSYS" snapshot --list $SL | head -1 | cut -c1-64); c2p=$("$VSYS" snapshot --list $SP | head -1 | cut -c1-64)
t0=$(date +%s%N); "$VSYS" switch $SL "$c2l" > "$WORK/sw.out"; t1=$(date +%s%N)
t2=$(date +%s%N); "$VSYS" switch $SP "$c2p" > /dev/null; t3=$(date +%s%N)
conf=$(grep -c ': conflict ' "$WORK/sw.out" || true)
t4=$(date +%s%N); "$VSYS" rollback $SL > /dev/null; t5=$(date +%s%N)
{
    printf '\n| switch (1000-file /etc, 100 local, 100 upstream, 50 both) | seconds | conflicts |\n|---|---|---|\n'
    printf '| with a layer: copy, merge, record, overlay, view | %.2f | %s |\n' "$(echo "($t1-$t0)/1000000000" | bc -l)" "$conf"
    printf '| without a layer (same tree, same commits) | %.2f | - |\n' "$(echo "($t3-$t2)/1000000000" | bc -l)"
    printf '| rollback with the layer (no merge) | %.2f | - |\n' "$(echo "($t5-$t4)/1000000000" | bc -l)"
} | out
