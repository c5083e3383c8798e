#!/bin/bash
# bench/snapshot-bench.sh: the snapshot figures of issue 8. Not part of the test suite.
#
#   [ROUNDS=N] [VSYS_BASE=/path/to/other/vsys] bench/snapshot-bench.sh [--out FILE]
#
# As root. Starts the SSH remote of tests/remote/remote.sh (the debootstrapped tree with gcc,
# ~440 MB, ~9400 entries), makes a system of it, and times over that same sshfs mount, in
# ROUNDS (default 3) interleaved rounds, each of them running every tool once, one after another
# (page cache dropped before every first copy):
#   cp -a                 a plain copy
#   rsync -aHX            first copy, then again with nothing changed (its quick check)
#   ostree commit         --tree=dir= into a new bare repo, first and again, then ostree checkout
#                         (hard links). ostree refuses device files (the tree has 8, in /dev,
#                         and --skip-list does not skip them): it runs in a private mount
#                         namespace with an empty tmpfs over the mount's /dev
#   vsys snapshot         first (into a store emptied of this tree by gc), then with nothing changed
#                         NC_REPS (default 5) times a round, each right after its own rsync quick
#                         check (rsync -aHX into the round's rsync copy, nothing to do), itself
#                         right after an untimed one (the caches warm for both, whatever came before)
#                         Then NC_COLD_REPS (default 1) times a round, the same pair with the
#                         caches cold for both: page cache dropped and sshfs's directory cache
#                         (dcache_timeout, 20 s) expired before each (a snapshot taken on a
#                         schedule, hours after the last walk of the tree)
#   vsys switch           --snapshot: the hard-linked checkout (and the whole command), CO_REPS
#                         (default 5) times a round, each paired with an ostree checkout
# With VSYS_BASE, that other build of vsys is measured the same way in every round (its order
# against VSYS alternating), for before/after figures on the same noise.
# The machine is shared (load from other jobs): every vsys figure is reported as the median over
# rounds of its ratio to the paired tool of the same round, with the medians and ranges of the
# times. Once (round 1): the store's growth against the unique bytes of the tree, and a second,
# similar tree (a local copy with 1% of its files changed) against the first.
# The Markdown goes to stdout, or is appended to FILE with --out.
set -euo pipefail
umask 022
PROG=bench/snapshot-bench.sh
. "$(dirname "$0")/lib.sh"
SRC=$TOP
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
        -h|--help) bench_usage 26; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root
command -v ostree >/dev/null && command -v rsync >/dev/null || die "needs ostree and rsync"

ROUNDS=${ROUNDS:-3}
CO_REPS=${CO_REPS:-5}
NC_REPS=${NC_REPS:-5}
VSYS_BASE=${VSYS_BASE:-}

cleanup() {
    set +e
    for v in "$VSYS" $VSYS_BASE; do "$v" switch $NAME --live >/dev/null 2>&1; done
    for n in $NAME $NAME2; do
        "$VSYS" destroy $n >/dev/null 2>&1 || "$VSYS" destroy --force $n >/dev/null 2>&1
        rm -f $R/.store/refs/$n $R/.store/resume/$n
    done
    "$VSYS" gc >/dev/null 2>&1
    rm -rf --one-file-system "$WORK"
    "$SRC/tests/remote/remote.sh" down $REMOTE >/dev/null 2>&1
}
bench_cleanup_on_exit cleanup

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
# med V...: the median; range V...: min-max
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "-" b }'; }

cleanup
mkdir -p "$WORK"
"$SRC/tests/remote/remote.sh" up $REMOTE >/dev/null
D=/run/vsys-remote/$REMOTE
"$VSYS" create --identity $D/id_ed25519 --known-hosts $D/known_hosts $NAME "$(cat $D/url)" >/dev/null
M=$R/$NAME
ENTRIES=$(find $M | wc -l)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

declare -a CP RS1 RS2 OC1 OC2 OCO OCOS RSNC
declare -A VS1 VS2 VS2C SW CO RVS1 RVS2 RVS2C RCO
RSNCC=()
NC_COLD_REPS=${NC_COLD_REPS:-1}
# cold: the page cache dropped and sshfs's caches (dcache_timeout 20 s) expired
cold() { drop; sleep 21; }
S1=; S2=; S3=; T_VS3=; GROWTH1=; GROWTH2=; UNIQUE_KB=; OSTREE_KB=
ost() { unshare -m --propagation private sh -c "mount -t tmpfs none $M/dev && exec ostree --repo=$WORK/repo commit --branch=b --tree=dir=$M"; }

# vsys_round LABEL VSYS ROUND: first snapshot (store emptied of the tree), nothing changed, switch
vsys_round() {
    local l=$1 v=$2 r=$3 kb0 t out co
    "$v" switch $NAME --live >/dev/null 2>&1 || true
    rm -f $R/.store/refs/$NAME $R/.store/resume/$NAME
    "$v" gc >/dev/null
    kb0=$( [ -d $R/.store/objects ] && kb $R/.store/objects || echo 0)
    drop; t=$(secs "$v" snapshot $NAME); out=$(cat "$WORK/last.out")
    VS1[$l,$r]=$t; RVS1[$l,$r]=$(ratio $t ${CP[$r]})
    [ $r = 1 ] && [ $l = new ] && S1=$out
    # nothing changed, NC_REPS times, each paired with an rsync quick check made just before it
    local k2 q
    for k2 in $(seq 1 "$NC_REPS"); do
        # an untimed quick check first: the timed one and vsys then find the same warm caches
        # (sshfs's and the kernel's), whatever the vsys before did (a walk over the mount warms
        # them, the remote walk does not): rsync's best case, the same for every build
        secs rsync -aHX $M/ "$WORK/rsync/" > /dev/null
        q=$(secs rsync -aHX $M/ "$WORK/rsync/")
        RSNC+=("$q")
        t=$(secs "$v" snapshot $NAME); out=$(cat "$WORK/last.out")
        grep -q "nothing changed" "$WORK/last.out" || { echo "$0: $l: not 'nothing changed': $out" >&2; exit 1; }
        VS2[$l,$r,$k2]=$t; RVS2[$l,$r,$k2]=$(ratio $t $q)
    done
    [ $r = 1 ] && [ $l = new ] && S2=$out
    for k2 in $(seq 1 "$NC_COLD_REPS"); do
        cold; q=$(secs rsync -aHX $M/ "$WORK/rsync/")
        RSNCC+=("$q")
        cold; t=$(secs "$v" snapshot $NAME); out=$(cat "$WORK/last.out")
        grep -q "nothing changed" "$WORK/last.out" || { echo "$0: $l: not 'nothing changed': $out" >&2; exit 1; }
        VS2C[$l,$r,$k2]=$t; RVS2C[$l,$r,$k2]=$(ratio $t $q)
    done
    [ $r = 1 ] && [ $l = new ] && GROWTH1=$(( $(kb $R/.store/objects) - kb0 ))
    # the checkout, CO_REPS times, each paired with an ostree checkout made just before it
    local k o id
    for k in $(seq 1 "$CO_REPS"); do
        rm -rf "$WORK/ostree-co"
        o=$(secs ostree --repo="$WORK/repo" checkout b "$WORK/ostree-co")
        t=$(secs "$v" switch $NAME --snapshot)
        co=$(sed -n 's/.*checkout \([0-9]*\) ms.*/\1/p' "$WORK/last.out")
        id=$(sed -n 's/.*runs from commit \([0-9a-f]*\) .*/\1/p' "$WORK/last.out")
        SW[$l,$r,$k]=$t; CO[$l,$r,$k]=$(awk -v m=$co 'BEGIN { printf "%.3f", m / 1000 }'); RCO[$l,$r,$k]=$(ratio ${CO[$l,$r,$k]} $o)
        OCOS+=("$o")
        "$v" switch $NAME --live >/dev/null
        # not in use any more: removed by hand (gc keeps the checkouts of the commits in refs)
        rm -rf --one-file-system "$R/.store/checkouts/$id"
    done
    if [ $r = 1 ] && [ $l = new ]; then
        # a second, similar tree: the first round's cp -a copy with 1% of the regular files changed
        local kb1; kb1=$(kb $R/.store/objects)
        find "$WORK/cp1" -type f -size +0 | awk 'NR % 100 == 0' | while read -r f; do printf 'changed\n' >> "$f"; done
        "$v" create $NAME2 "dir:$WORK/cp1" >/dev/null
        T_VS3=$(secs "$v" snapshot $NAME2); S3=$(cat "$WORK/last.out")
        GROWTH2=$(( $(kb $R/.store/objects) - kb1 ))
        "$v" destroy $NAME2 >/dev/null
        rm -f $R/.store/refs/$NAME2
    fi
}

# col ARRAY LABEL: the values of one vsys column over the rounds
col() { local -n a=$1; local i; for i in $(seq 1 "$ROUNDS"); do echo "${a[$2,$i]}"; done; }
# cols ARRAY LABEL [ROUND]: the values of a checkout column over rounds (or one round) and reps
cols() {
    local -n a=$1; local i k
    for i in $(seq "${3:-1}" "${3:-$ROUNDS}"); do for k in $(seq 1 "$CO_REPS"); do echo "${a[$2,$i,$k]}"; done; done
}
# ncols ARRAY LABEL [ROUND]: the same for the nothing-changed snapshots (NC_REPS a round)
ncols() {
    local -n a=$1; local i k
    for i in $(seq "${3:-1}" "${3:-$ROUNDS}"); do for k in $(seq 1 "$NC_REPS"); do echo "${a[$2,$i,$k]}"; done; done
}
# cncols ARRAY LABEL: the same for the cold ones (NC_COLD_REPS a round)
cncols() {
    local -n a=$1; local i k
    for i in $(seq 1 "$ROUNDS"); do for k in $(seq 1 "$NC_COLD_REPS"); do echo "${a[$2,$i,$k]}"; done; done
}
for r in $(seq 1 "$ROUNDS"); do
    drop; CP[$r]=$(secs cp -a $M "$WORK/cp$r")
    if [ $r = 1 ]; then UNIQUE_KB=$(kb "$WORK/cp1"); else rm -rf "$WORK/cp$r"; fi
    drop; RS1[$r]=$(secs rsync -aHX $M/ "$WORK/rsync/")
    RS2[$r]=$(secs rsync -aHX $M/ "$WORK/rsync/")
    rm -rf "$WORK/repo" "$WORK/ostree-co"
    ostree --repo="$WORK/repo" init --mode=bare
    drop; OC1[$r]=$(secs ost)
    OC2[$r]=$(secs ost)
    OCO[$r]=$(secs ostree --repo="$WORK/repo" checkout b "$WORK/ostree-co")
    [ $r = 1 ] && OSTREE_KB=$(kb "$WORK/repo/objects")
    if [ -n "$VSYS_BASE" ] && [ $((r % 2)) = 0 ]; then
        vsys_round base "$VSYS_BASE" $r; vsys_round new "$VSYS" $r
    else
        vsys_round new "$VSYS" $r
        [ -n "$VSYS_BASE" ] && vsys_round base "$VSYS_BASE" $r
    fi
    echo "round $r: cp ${CP[$r]} rsync ${RS1[$r]}/${RS2[$r]} ostree ${OC1[$r]}/${OC2[$r]} co ${OCO[$r]}" \
        "vsys ${VS1[new,$r]}/$(ncols VS2 new $r | tr '\n' ' ')co $(cols CO new $r | tr '\n' ' ')${VSYS_BASE:+base ${VS1[base,$r]}/$(ncols VS2 base $r | tr '\n' ' ')co $(cols CO base $r | tr '\n' ' ')}" \
        "load $(cut -d' ' -f1 /proc/loadavg)" >&2
    rm -rf "$WORK/rsync" "$WORK/repo" "$WORK/ostree-co"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

cell() { echo "$(med "$@") ($(range "$@"))"; }

report() {
    cat <<MD
## Snapshots

\`ROUNDS=$ROUNDS${VSYS_BASE:+ VSYS_BASE=...} bench/snapshot-bench.sh\` ($(date -u +%Y-%m-%dT%H:%MZ), load average $load0 at the start, $load1 at the end, $(nproc) CPUs):
the debootstrapped tree with gcc ($ENTRIES entries, $((UNIQUE_KB / 1024)) MiB) read over the
SSH remote's sshfs mount; $ROUNDS interleaved rounds, each running every tool once, page cache
dropped before each first copy. Times: median (min-max) in seconds; ratios: median over rounds
of the ratio to the paired tool of the same round.

| what | time (s) | paired ratio | target |
|---|---:|---|---|
| \`cp -a\` | $(cell "${CP[@]}") | | |
| \`rsync -aHX\` first | $(cell "${RS1[@]}") | | |
| \`rsync -aHX\` nothing changed (right after the first; and paired with each vsys one) | $(cell "${RS2[@]}"); $(cell "${RSNC[@]}") | | |
| \`ostree commit\` first | $(cell "${OC1[@]}") | | |
| \`ostree commit\` again | $(cell "${OC2[@]}") | | |
| \`ostree checkout\` (hard links; paired with each vsys checkout) | $(cell "${OCOS[@]}") | | |
| \`vsys snapshot\` first | $(cell $(col VS1 new)) | $(med $(col RVS1 new))x \`cp -a\` | <= 0.8x (issue 18) |
| \`vsys snapshot\` nothing changed ($NC_REPS per round) | $(cell $(ncols VS2 new)) | $(med $(ncols RVS2 new))x rsync's quick check | <= 1.0x (issue 18) |
| \`rsync -aHX\` nothing changed, caches cold ($NC_COLD_REPS per round) | $(cell "${RSNCC[@]}") | | |
| \`vsys snapshot\` nothing changed, caches cold ($NC_COLD_REPS per round, each paired with the rsync before it) | $(cell $(cncols VS2C new)) | $(med $(cncols RVS2C new))x rsync's quick check | <= 1.0x (issue 18) |
| \`vsys switch --snapshot\`: its checkout ($CO_REPS per round) | $(cell $(cols CO new)) | $(med $(cols RCO new))x \`ostree checkout\` | <= 1.5x |
| \`vsys switch --snapshot\`: whole command | $(cell $(cols SW new)) | | |
MD
    if [ -n "$VSYS_BASE" ]; then
        cat <<MD
| before (VSYS_BASE): \`vsys snapshot\` first | $(cell $(col VS1 base)) | $(med $(col RVS1 base))x \`cp -a\` | |
| before: \`vsys snapshot\` nothing changed | $(cell $(ncols VS2 base)) | $(med $(ncols RVS2 base))x rsync's quick check | |
| before: \`vsys snapshot\` nothing changed, caches cold | $(cell $(cncols VS2C base)) | $(med $(cncols RVS2C base))x rsync's quick check | |
| before: checkout | $(cell $(cols CO base)) | $(med $(cols RCO base))x \`ostree checkout\` | |
MD
    fi
    cat <<MD
| \`vsys snapshot\` of a second tree, 1% of files changed (round 1) | $T_VS3 | | |

| storage (round 1) | KiB | vs unique bytes ($UNIQUE_KB KiB, \`du -sk\` of the \`cp -a\` copy) | target |
|---|---:|---|---|
| vsys store growth, first tree | $GROWTH1 | $(ratio $GROWTH1 $UNIQUE_KB)x | <= 1.05x |
| vsys store growth, second similar tree | $GROWTH2 | $(ratio $GROWTH2 $UNIQUE_KB)x of one tree | little |
| OSTree repo objects | $OSTREE_KB | $(ratio $OSTREE_KB $UNIQUE_KB)x | |

vsys's own summary lines of round 1 (bytes read from the source, time inside the JVM, time in syncfs):

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
