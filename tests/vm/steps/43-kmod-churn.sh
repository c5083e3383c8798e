#!/bin/bash
# Guest step: 100 000 short processes with a link come and go; the tracked
# count returns to its baseline and every one was tracked and dropped.
. "$(dirname "$0")/../../../kmod/tests/lib.sh"
N=${KMOD_CHURN:-100000}
V=$R/.root/.vsys

loaded && rmmod vsyslink
build && load || { fail "build and load"; summary; exit 1; }
shared_up
make_system a
register a

base=$(stat_of tracked); inh=$(stat_of inherited); ex=$(stat_of exited)
sh -c 'echo a > $R/.root/.vsys/set && exec "$1" "$2"' sh "$KT/forkstorm" "$N"
check "tracked back to baseline after $N processes" "$base" "$(stat_of tracked)"
check "every child inherited the link" $((inh + N)) "$(stat_of inherited)"
check "every entry dropped at exit" $((ex + N + 1)) "$(stat_of exited)"
check "no allocation failure" 0 "$(stat_of nomem)"
check "no entry left in procs" "" "$(cat "$V/procs")"
echo "del a" > "$V/targets"
shared_down
if unload; then ok "rmmod"; else fail "rmmod"; fi
if dmesg | grep -qE 'BUG:|WARNING:|Oops'; then fail "kernel log clean"; else ok "kernel log clean"; fi
summary
