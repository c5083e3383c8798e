# bench/lib.sh: what every benchmark driver starts with, and the one paired driver of the
# launch benchmarks (a login through PAM, a Slurm job step: A against B, alternating).
# Source it first thing, after naming the script:
#
#     PROG=bench/NAME.sh
#     . "$(dirname "$0")/lib.sh"
#
# It sets BENCH (this folder) and TOP (the project), sources tests/lib/common.sh (is_root,
# apt_ensure, now, VSYS_PREFIX, the test users' names) and defines the functions below. It sets
# no shell option: each driver keeps its own `set`.

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$TOP/tests/lib/common.sh"

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

# bench_usage LAST: the script's header comment, lines 2 to LAST, as its --help
bench_usage() { sed -n "2,${1}p" "$0" | sed 's/^# \{0,1\}//'; }

# bench_bad_option OPT: one line naming it, exit 2
bench_bad_option() { printf "%s: unknown option '%s' (see --help)\n" "$PROG" "$1" >&2; exit 2; }

# bench_cleanup_on_exit FN: FN runs when the driver ends, also on failure and on Ctrl-C or
# SIGTERM (exit status 130, 143)
bench_cleanup_on_exit() {
    trap "$1" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# need_root [WHY]
need_root() { is_root || die "must run as root${1:+ ($1)}"; }

# bench_vsys: the vsys to measure: $VSYS_CMD (another build's wrapper), else the installed one
bench_vsys() { printf '%s\n' "${VSYS_CMD:-$(command -v vsys || true)}"; }

# bench_launchbench DIR: builds the timer (bench/launchbench.c) as DIR/launchbench; prints its path
bench_launchbench() {
    gcc -O2 -Wall -o "$1/launchbench" "$BENCH/launchbench.c" || die "cannot build bench/launchbench.c"
    printf '%s\n' "$1/launchbench"
}

# ---- the paired launch driver -------------------------------------------------------------------

# bench_secs CMD...: runs CMD (its output discarded) and prints the wall-clock seconds it took
# (%.6f); a failure is said on stderr and still timed
bench_secs() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null || echo "bench: failed: $*" >&2
    t1=$(date +%s%N)
    echo "$((t1 - t0))" | awk '{ printf "%.6f", $1 / 1e9 }'
}

# bench_pairs N A B: N lines "SECONDS_A SECONDS_B"; A and B are commands (shell functions) that
# each time one launch and print its seconds (bench_secs), run in alternating order (A B, B A, ...)
# so that both meet the same load
bench_pairs() {
    local n=$1 a=$2 b=$3 i x y
    for ((i = 0; i < n; i++)); do
        if ((i % 2)); then y=$("$b"); x=$("$a"); else x=$("$a"); y=$("$b"); fi
        echo "$x $y"
    done
}

# bench_pair_table TITLE COLUMN LABEL_A LABEL_B PAIRS: the Markdown table of bench_pairs' output
# (medians, min-max, the paired ratio B/A: bench/paired.awk)
bench_pair_table() {
    echo "$1"
    echo
    echo "| $2 | pairs | median (min-max) | ratio |"
    echo "|---|---|---|---|"
    awk -v label="$3|$4" -f "$BENCH/paired.awk" "$5"
}
