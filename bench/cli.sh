#!/bin/bash
# bench/cli.sh: the admin-CLI start-up part of the benchmark alone (docs/BENCHMARKS.md, section 4),
# with an optional second vsys build measured in the same interleaved rounds (before/after).
#
#   bench/cli.sh [--steps "1 100 1000"] [--rounds N] [--out FILE]
#
#   --steps "N..."  the numbers of systems to measure at (default "1 100 1000")
#   --rounds N      measured rounds of the list set (default 30; the status set: N/3, N/6 above 100)
#   --out FILE      where the Markdown tables go (default: standard output)
#   env VSYS_CMD    the vsys wrapper to measure (default: the installed `vsys`); its JVM flags
#                   (one `exec java FLAGS -cp 'CP' MAIN "$@"` line) are hello's flags too
#   env VSYS_OLD    another wrapper of the same form (e.g. the build before a change): measured
#                   in the same rounds, so its rows are paired with the others
#
# As root. Systems are made with the real `VSYS_CMD -c NAME dir:TREE` of a tiny local tree (two at
# a time) and destroyed with `VSYS_CMD -d` at the end, also on failure or Ctrl-C. Every set is
# paired and interleaved (bench/launchbench.c: A B C A B C ...), hello first: the ratios hold on a
# busy machine where the medians in ms do not.
set -euo pipefail
umask 022
PROG=bench/cli.sh
SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$SRC/bench
STEPS="1 100 1000"
ROUNDS=30
OUT=
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case $1 in
        --steps) [ $# -ge 2 ] || die "--steps needs a list"; STEPS=$2; shift 2 ;;
        --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; ROUNDS=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || die "--out needs a file"; OUT=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
[ "$(id -u)" = 0 ] || die "must run as root (vsys -c)"
case $ROUNDS in ''|*[!0-9]*) die "--rounds: a number, please" ;; esac
VSYS=${VSYS_CMD:-$(command -v vsys || true)}
[ -n "$VSYS" ] && [ -x "$VSYS" ] || die "no vsys wrapper (install vsys or set VSYS_CMD)"
OLD=${VSYS_OLD:-}
R=$(sed -n 's/.*-Dvsys\.root=\([^ ]*\).*/\1/p' "$VSYS" | head -n1)
R=${R:-/OS}

jvm_line() { grep -m1 '^exec java ' "$1" || die "$1: no 'exec java ... -cp' line"; }
wl=$(jvm_line "$VSYS")
JAVA_FLAGS=$(printf '%s\n' "$wl" | sed -n 's/^exec java \(.*\) -cp .*/\1/p')
JAVA_CP=$(printf '%s\n' "$wl" | sed -n "s/.* -cp '\([^']*\)'.*/\1/p")
JAVA_MAIN=$(printf '%s\n' "$wl" | sed -n "s/.* -cp '[^']*' \([^ ]*\) .*/\1/p")
JAVA_FLAGS_NOCDS=$(printf '%s\n' "$JAVA_FLAGS" | sed 's/ *-XX:SharedArchiveFile=[^ ]*//g')
[ -n "$JAVA_CP" ] && [ -n "$JAVA_MAIN" ] || die "cannot parse the JVM line of $VSYS"
PICOCLI=
for f in "${JAVA_CP%/\*}"/picocli-*.jar; do [ -f "$f" ] && PICOCLI=$f; done
[ -n "$PICOCLI" ] || die "no picocli jar in $JAVA_CP"

WORK=$(mktemp -d /var/tmp/vsys-clibench.XXXXXX)
chmod 0755 "$WORK"
TAG=$(basename "$WORK" | sed 's/.*\.//' | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')
PFX=vc$TAG-
CREATED=$WORK/created
: >"$CREATED"
cleanup() {
    local rc=$? n
    set +e
    trap - EXIT INT TERM
    [ $rc -ne 0 ] && say "failed or interrupted (status $rc): cleaning up"
    if [ -s "$CREATED" ]; then
        say "destroying $(wc -l <"$CREATED") systems"
        tac "$CREATED" | xargs -P 2 -n 1 "$VSYS" -d >/dev/null 2>>"$WORK/destroy.err"
        while read -r n; do
            [ -e "$R/etc/systems/$n" ] && say "could not destroy $n (see $WORK/destroy.err); left in place" && KEEP_WORK=1
        done <"$CREATED"
    fi
    if [ -n "${KEEP_WORK:-}" ]; then say "work directory kept: $WORK"; else rm -rf --one-file-system -- "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LB=$WORK/launchbench
gcc -O2 -Wall -o "$LB" "$BENCH/launchbench.c" || die "cannot build bench/launchbench.c"
TREE=$WORK/tree
mkdir -p "$TREE"/{bin,etc,tmp,usr,opt,home}
chmod 1777 "$TREE/tmp"

# hello: the picocli floor, with the wrapper's flags; and the same with its own static archive
mkdir -p "$WORK/hello/classes" "$WORK/hello/lib"
javac -nowarn --release 17 -cp "$PICOCLI" -d "$WORK/hello/classes" "$BENCH/hello/Hello.java"
jar cf "$WORK/hello/lib/hello.jar" -C "$WORK/hello/classes" .
cp "$PICOCLI" "$WORK/hello/lib/"
HCP="$WORK/hello/lib/*"
JAVA_FLAGS="$JAVA_FLAGS_NOCDS" "$BENCH/mkcds.sh" "$WORK/hello.jsa" "$HCP" Hello list >/dev/null

sysname() { printf '%s%04d' "$PFX" "$1"; }
NSYS=0
create_to() {   # two at a time, names recorded first (cleanup destroys whatever of them exists)
    local want=$1 k t0 n
    [ "$NSYS" -lt "$want" ] || return 0
    t0=$(date +%s)
    : >"$WORK/chunk"
    for k in $(seq $((NSYS + 1)) "$want"); do sysname "$k" >>"$WORK/chunk"; echo >>"$WORK/chunk"; done
    cat "$WORK/chunk" >>"$CREATED"
    if ! xargs -P 2 -I NAME "$VSYS" -c NAME "dir:$TREE" <"$WORK/chunk" >/dev/null 2>"$WORK/create.err"; then
        sleep 2   # others share the machine: one retry, one at a time, of what failed
        while read -r n; do
            [ "$(sed -n 's/^state=//p' "$R/etc/systems/$n" 2>/dev/null)" = ready ] && continue
            [ -e "$R/etc/systems/$n" ] && "$VSYS" -d "$n" >/dev/null 2>&1
            "$VSYS" -c "$n" "dir:$TREE" >/dev/null 2>"$WORK/create.err" ||
                { cat "$WORK/create.err" >&2; die "vsys -c $n failed"; }
        done <"$WORK/chunk"
    fi
    NSYS=$want
    say "$NSYS systems of this run ($(($(date +%s) - t0)) s to make)"
}

RES=$WORK/res
mkdir -p "$RES"
bset() {   # bset NAME LAUNCHBENCH-ARGS...
    local name=$1; shift
    say "measuring: $name"
    "$LB" -C / -e -o "$RES/$name.raw" "$@" >"$RES/$name.tsv" ||
        { say "measurement $name failed: once more"; sleep 2; "$LB" -C / -e -o "$RES/$name.raw" "$@" >"$RES/$name.tsv"; } ||
        die "measurement $name failed"
    column -t -s $'\t' "$RES/$name.tsv" | sed 's/^/    /' >&2
}
# shellcheck disable=SC2206
F=($JAVA_FLAGS_NOCDS)
declare -A LABEL=(
    [hello]="java FLAGS -cp hello.jar:picocli.jar Hello list (no app archive)"
    [hello-cds]="hello + static AppCDS (bench/mkcds.sh)"
    [list]="\`vsys list\` (the wrapper, with its archive)"
    [list-nocds]="java FLAGS -cp CP Main list (no app archive)"
    [list-old]="\`vsys list\`, build before (its wrapper, with its archive)"
    [status]="\`vsys status\` (the wrapper, with its archive)"
    [status-old]="\`vsys status\`, build before (its wrapper, with its archive)"
)
for n in $STEPS; do
    create_to "$n"
    total=$(find "$R/etc/systems" -mindepth 1 -maxdepth 1 | wc -l)
    echo "$total" >"$RES/total$n"
    cmds=(::: hello java "${F[@]}" -cp "$HCP" Hello list
          ::: hello-cds java "${F[@]}" -XX:SharedArchiveFile="$WORK/hello.jsa" -cp "$HCP" Hello list
          ::: list "$VSYS" list
          ::: list-nocds java "${F[@]}" -cp "$JAVA_CP" "$JAVA_MAIN" list)
    [ -n "$OLD" ] && cmds+=(::: list-old "$OLD" list)
    bset "list$n" -n "$ROUNDS" -w 2 "${cmds[@]}"
    sn=$((ROUNDS / 3)); [ "$n" -le 100 ] || sn=$((ROUNDS / 6)); [ "$sn" -ge 3 ] || sn=3
    cmds=(::: hello java "${F[@]}" -cp "$HCP" Hello list ::: status "$VSYS" status)
    [ -n "$OLD" ] && cmds+=(::: status-old "$OLD" status)
    bset "status$n" -n "$sn" -w 1 "${cmds[@]}"
done

paired() {   # paired RAW A B: the median over rounds of t(A)/t(B), or - when B is not in the set
    awk -v a="$2" -v b="$3" '$1 == a { ta[$2] = $3 } $1 == b { tb[$2] = $3 }
        END { for (r in ta) if (r in tb) print ta[r] / tb[r] }' "$1" | sort -g |
        awk '{ q[NR] = $1 } END { if (NR == 0) { print "-"; exit } n = NR
              printf "%.3f\n", (n % 2) ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2 }'
}
report() {
    local n name ref
    echo "Run: \`$PROG --steps \"$STEPS\" --rounds $ROUNDS\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Wrapper: \`$VSYS\`; flags \`$JAVA_FLAGS\`.${OLD:+ Build before: \`$OLD\`.}"
    echo
    for n in $STEPS; do
        for name in list status; do
            ref=hello-cds; [ "$name" = status ] && ref=-
            echo "#### \`$name\` at $n system(s) of this run ($(cat "$RES/total$n") on the machine)"
            echo
            echo "| command | median ms | p25–p75 ms | paired ratio vs hello | paired vs hello + AppCDS | paired vs build before | fails | n |"
            echo "|---|---:|---:|---:|---:|---:|---:|---:|"
            awk -F'\t' 'NR > 1 { printf "%s\t%.0f\t%.0f–%.0f\t%.3f\t%s\t%s\n", $1, $3/1000, $6/1000, $7/1000, $9, $11, $2 }' \
                "$RES/$name$n.tsv" | while IFS=$'\t' read -r l med iq pr fails cnt; do
                local pc=- po=-
                [ "$ref" != - ] && pc=$(paired "$RES/$name$n.raw" "$l" "$ref")
                case $l in "$name") [ -n "$OLD" ] && po=$(paired "$RES/$name$n.raw" "$l" "$name-old") ;; esac
                echo "| ${LABEL[$l]:-$l} | $med | $iq | $pr | $pc | $po | $fails | $cnt |"
            done
            echo
        done
    done
}
if [ -n "$OUT" ]; then report >"$OUT"; say "wrote $OUT"; else report; fi
