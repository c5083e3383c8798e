#!/bin/bash
# bench/snapshot-bench.sh: the snapshot figures of issue 8. Not part of the test suite.
#
#   bench/snapshot-bench.sh [--out FILE]
#
# As root. Starts the SSH remote of tests/remote/remote.sh (the debootstrapped tree with gcc,
# ~440 MB, ~9400 entries), makes a system of it, and times over that same sshfs mount, in one
# run, one after another (page cache dropped before every first copy):
#   cp -a                 a plain copy
#   rsync -aHX            first copy, then again with nothing changed (its quick check)
#   ostree commit         --tree=dir= into a bare repo, first and again, then ostree checkout
#                         (hard links). ostree refuses device files (the tree has 8, in /dev,
#                         and --skip-list does not skip them): it runs in a private mount
#                         namespace with an empty tmpfs over the mount's /dev
#   vsys snapshot         first (into a store without this tree), again with nothing changed
#   vsys switch           --snapshot: the hard-linked checkout (and the whole command)
# and the store's growth against the unique bytes of the tree, and a second, similar tree
# (a local copy with 1% of its files changed) against the first.
# The Markdown table goes to stdout, or is appended to FILE under '## Snapshots' with --out.
set -euo pipefail
umask 022
SRC=$(cd "$(dirname "$0")/.." && pwd)
VSYS=${VSYS:-/usr/local/bin/vsys}
REMOTE=${REMOTE:-bsnap}
NAME=bench-snap
NAME2=bench-snap2
WORK=${WORK:-/var/tmp/vsys-snapbench}
R=/OS
OUT=
while [ $# -gt 0 ]; do
    case $1 in
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: $0 [--out FILE]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "$0: must run as root" >&2; exit 1; }
command -v ostree >/dev/null && command -v rsync >/dev/null || { echo "$0: needs ostree and rsync" >&2; exit 1; }

cleanup() {
    set +e
    "$VSYS" switch $NAME --live >/dev/null 2>&1
    for n in $NAME $NAME2; do
        "$VSYS" destroy $n >/dev/null 2>&1 || "$VSYS" destroy --force $n >/dev/null 2>&1
        rm -f $R/.store/refs/$n
    done
    "$VSYS" gc >/dev/null 2>&1
    rm -rf --one-file-system "$WORK"
    "$SRC/tests/remote/remote.sh" down $REMOTE >/dev/null 2>&1
}
trap cleanup EXIT

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
now() { date +%s%N; }
# secs CMD...: runs CMD, prints its wall time in seconds (3 decimals); its output to $WORK/last.out
secs() {
    local s e
    s=$(now)
    "$@" > "$WORK/last.out" 2>&1 || { echo "$0: failed: $*" >&2; cat "$WORK/last.out" >&2; exit 1; }
    e=$(now)
    awk -v d=$((e - s)) 'BEGIN { printf "%.3f", d / 1e9 }'
}
kb() { du -sk "$1" | cut -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cleanup
mkdir -p "$WORK"
"$SRC/tests/remote/remote.sh" up $REMOTE >/dev/null
D=/run/vsys-remote/$REMOTE
"$VSYS" create --identity $D/id_ed25519 --known-hosts $D/known_hosts $NAME "$(cat $D/url)" >/dev/null
M=$R/$NAME
ENTRIES=$(find $M | wc -l)
load=$(cut -d' ' -f1-3 /proc/loadavg)

drop; T_CP=$(secs cp -a $M "$WORK/cp")
drop; T_RS1=$(secs rsync -aHX $M/ "$WORK/rsync/")
T_RS2=$(secs rsync -aHX $M/ "$WORK/rsync/")
ostree --repo="$WORK/repo" init --mode=bare
ost() { unshare -m --propagation private sh -c "mount -t tmpfs none $M/dev && exec ostree --repo=$WORK/repo commit --branch=b --tree=dir=$M"; }
drop; T_OC1=$(secs ost)
T_OC2=$(secs ost)
T_OCO=$(secs ostree --repo="$WORK/repo" checkout b "$WORK/ostree-co")
OSTREE_KB=$(kb "$WORK/repo/objects")

STORE_KB0=$( [ -d $R/.store/objects ] && kb $R/.store/objects || echo 0)
drop; T_VS1=$(secs "$VSYS" snapshot $NAME); S1=$(cat "$WORK/last.out")
T_VS2=$(secs "$VSYS" snapshot $NAME); S2=$(cat "$WORK/last.out")
STORE_KB1=$(kb $R/.store/objects)
T_SW=$(secs "$VSYS" switch $NAME --snapshot); SW=$(cat "$WORK/last.out")
CO_MS=$(sed -n 's/.*checkout \([0-9]*\) ms.*/\1/p' <<<"$SW")
"$VSYS" switch $NAME --live >/dev/null
UNIQUE_KB=$(kb "$WORK/cp")
# a second, similar tree: 1% of the regular files changed
find "$WORK/cp" -type f -size +0 | awk 'NR % 100 == 0' | while read -r f; do printf 'changed\n' >> "$f"; done
"$VSYS" create $NAME2 "dir:$WORK/cp" >/dev/null
T_VS3=$(secs "$VSYS" snapshot $NAME2); S3=$(cat "$WORK/last.out")
STORE_KB2=$(kb $R/.store/objects)
GROWTH1=$((STORE_KB1 - STORE_KB0))
GROWTH2=$((STORE_KB2 - STORE_KB1))

report() {
    cat <<MD
## Snapshots

\`bench/snapshot-bench.sh\` ($(date -u +%Y-%m-%dT%H:%MZ), load average $load on $(nproc) CPUs):
the debootstrapped tree with gcc ($ENTRIES entries, $((UNIQUE_KB / 1024)) MiB) read over the
SSH remote's sshfs mount, each tool in turn in one run, page cache dropped before each first copy.

| what | time (s) | vs | target |
|---|---:|---|---|
| \`cp -a\` | $T_CP | | |
| \`rsync -aHX\` first / nothing changed | $T_RS1 / $T_RS2 | | |
| \`ostree commit\` first / again | $T_OC1 / $T_OC2 | | |
| \`ostree checkout\` (hard links) | $T_OCO | | |
| \`vsys snapshot\` first | $T_VS1 | $(ratio $T_VS1 $T_CP)x \`cp -a\` | <= 1.0x |
| \`vsys snapshot\` nothing changed | $T_VS2 | $(ratio $T_VS2 $T_RS2)x rsync's quick check | <= 1.5x |
| \`vsys switch --snapshot\` (checkout $CO_MS ms of it) | $T_SW | $(ratio $(awk -v m=$CO_MS 'BEGIN{printf "%.3f", m/1000}') $T_OCO)x \`ostree checkout\` (checkout part) | <= 1.5x |
| \`vsys snapshot\` of a second tree, 1% of files changed | $T_VS3 | | |

| storage | KiB | vs unique bytes ($UNIQUE_KB KiB, \`du -sk\` of the \`cp -a\` copy) | target |
|---|---:|---|---|
| vsys store growth, first tree | $GROWTH1 | $(ratio $GROWTH1 $UNIQUE_KB)x | <= 1.05x |
| vsys store growth, second similar tree | $GROWTH2 | $(ratio $GROWTH2 $UNIQUE_KB)x of one tree | little |
| OSTree repo objects | $OSTREE_KB | $(ratio $OSTREE_KB $UNIQUE_KB)x | |

vsys's own summary lines (bytes read from the source, time inside the JVM, time in syncfs):

\`\`\`
$S1
$S2
$S3
\`\`\`
MD
}
if [ -n "$OUT" ]; then
    { echo; report; } >> "$OUT"
else
    report
fi
