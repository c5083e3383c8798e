#!/bin/bash
# Guest step (benchmark, not a timed test): launch cost of /bin/true through
# the kmod mode (set link + chroot, native/kmod_link.c), the namespace mode
# (setns into a prepared namespace) and chroot(8), at 1 and at 1000 systems,
# and the cost of tracking on fork+exit.  Prints ratios only (TCG guest).
. "$(dirname "$0")/../../../kmod/tests/lib.sh"
LB=$KT/linkbench
ROUNDS=${KMOD_BENCH_ROUNDS:-7} M=${KMOD_BENCH_LAUNCHES:-20}

loaded && rmmod vsyslink
build && load || { fail "build and load"; summary; exit 1; }
shared_up
make_system a
register a

# a prepared namespace as vsys-view prepare makes it (namespace mode)
N=$R/nsroot
mkdir -p "$N/.link" "$N/.old" "$R/.ns"
for d in $LINKDIRS; do ln -sfn ".link/$d" "$N/$d"; done
mount --bind "$R/.ns" "$R/.ns"; mount --make-private "$R/.ns"
touch "$R/.ns/a"
unshare --mount="$R/.ns/a" --propagation slave sh -c "
	mount --rbind $N $N && mount --rbind $R/.root/.os/a $N/.link &&
	cd $N && pivot_root . .old && /bin/busybox umount -l /.old" || fail "prepare namespace"
check "namespace mode works" a "$("$LB" setns "$R/.ns/a" /bin/cat /etc/marker)"

echo "kmod: bench at 1 system ($ROUNDS rounds x $M launches, median):"
"$LB" bench "$ROUNDS" "$M" "$R/.root/.os/a" a "$R/.ns/a" | tee /tmp/b1
"$LB" populate 999 || fail "populate 999 systems"
check "1000 targets" 1000 "$(stat_of targets)"
echo "kmod: bench at 1000 systems ($(wc -l < /proc/self/mountinfo) mounts):"
"$LB" bench "$ROUNDS" "$M" "$R/.root/.os/a" a "$R/.ns/a" | tee /tmp/b1000
awk 'NR == FNR { k1 = $2; n1 = $4; next }
	{ printf "kmod: 1000 vs 1 system: kmod %.2f namespace %.2f (each against chroot(8))\n", $2 / k1, $4 / n1 }' \
	/tmp/b1 /tmp/b1000

# fork+exit with and without a tracked link: 7 pairs, alternating order
rm -f /tmp/fs.plain /tmp/fs.linked
plain() { "$KT/forkstorm" 3000 | awk '{ print $5 }' >> /tmp/fs.plain; }
linked() {
	sh -c 'echo a > $R/.root/.vsys/set && exec "$1" 3000' sh "$KT/forkstorm" |
		awk '{ print $5 }' >> /tmp/fs.linked
}
for i in 1 2 3 4 5 6 7; do
	if [ $((i % 2)) = 1 ]; then plain; linked; else linked; plain; fi
done
paste /tmp/fs.linked /tmp/fs.plain | awk '{ print $1 / $2 }' | sort -n | awk '{ r[NR] = $1 } END {
	printf "kmod: fork+exit with a link / without: %.2f (median of %d pairs)\n", r[int((NR + 1) / 2)], NR }'

umount -l "$R/.ns/a" "$R/.ns" 2>/dev/null
"$LB" depopulate 999 || fail "depopulate"
echo "del a" > "$R/.root/.vsys/targets"
umount -R "$N" 2>/dev/null
shared_down
if unload; then ok "rmmod"; else fail "rmmod"; fi
summary
