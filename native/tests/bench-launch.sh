#!/bin/bash
# bench-launch.sh - per-launch time of the installed launcher against chroot(8)
# (and unshare -m chroot, bwrap when present) on the same tree, from paired,
# interleaved runs, at 0 and at 1000 extra host mounts. A benchmark, not a test.
#
# Run as root with the launcher installed at R/bin/bin (4755 root) and
# vsys-view at $VSYS_VIEW. Builds its own system "vlb" (a tree of host /usr and
# a copy of /etc), runs the launcher as user vsys-t1, removes everything after.
#   RUNS=2000 (per command and setting)   MOUNTS=1000   BWRAP=1 adds bwrap
#   SYSTEMS=N (default 1): a third setting with N-1 more prepared systems
#   (vlb-2 ... vlb-N, each a bind of $SYSTEMS_TREE, default the cached
#   debootstrap tree, else the bench tree), made and prepared with vsys-view
#   as vsys -c would; prints host mount entries per system and the entries
#   inside the launched system
#   EXTRA_LAUNCHERS="LABEL=FILE ..." more launcher builds, installed 4755 root
#   in the work directory and timed in the same paired rounds (e.g. two ways of
#   one check: build both, compare their ratios to chroot side by side)
#   SESSION=1: a second system vlb-s of the same tree with layer=session,
#   timed in the same paired rounds (the session layer's cost per launch)
#   BENCH_LC=C (the locale of the timed commands; chroot(8) loads the locale
#   named by LANG/LC_ALL, the launcher does not: C is the strict comparison)
set -u -o pipefail
export LC_ALL=C
R=${VSYS_ROOT:-/OS}
HERE=$(cd "$(dirname "$0")" && pwd)
VIEW=${VSYS_VIEW:-$HERE/../build/vsys-view}
RUNS=${RUNS:-2000}
MOUNTS=${MOUNTS:-1000}
SYSTEMS=${SYSTEMS:-1}
U=vsys-t1
S=vlb
W=
SHARED_WAS_UP=0

# rm -rf a work directory only when nothing is mounted below it (a bind of
# /usr inside must never be walked into); lazily detach leftovers first.
safe_rm() {
	local d=$1 mp
	[ -n "$d" ] && [ -d "$d" ] || return 0
	for _ in 1 2 3; do
		grep -q " $d/" /proc/self/mountinfo || break
		awk -v d="$d/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while read -r mp; do umount -l "$mp" 2>/dev/null; done
	done
	if grep -q " $d/" /proc/self/mountinfo; then
		echo "# not removing $d: still has mounts" >&2
		return 1
	fi
	rm -rf "$d"
}

extra_systems_down() {
	local i
	for i in $(seq 2 "$SYSTEMS"); do
		[ -e "$R/etc/systems/$S-$i" ] || [ -d "$R/$S-$i" ] || continue
		"$VIEW" release $S-$i >/dev/null 2>&1
		rm -f "$R/bin/$S-$i" "$R/etc/systems/$S-$i"
		mountpoint -q "$R/$S-$i" && umount "$R/$S-$i"
		rmdir "$R/$S-$i" 2>/dev/null
		rm -rf "${R:?}/.var/$S-$i"
	done
}

cleanup() {
	trap '' INT TERM HUP
	set +e
	[ "$SYSTEMS" -gt 1 ] && extra_systems_down
	for s in $S $S-s; do
		"$VIEW" release $s >/dev/null 2>&1
		rm -f "$R/bin/$s" "$R/etc/systems/$s"
		mountpoint -q "$R/$s" && umount -R "$R/$s"
		rmdir "$R/$s" 2>/dev/null
		rm -rf "${R:?}/.var/$s"
	done
	[ "$SHARED_WAS_UP" = 0 ] && "$VIEW" shared-down >/dev/null 2>&1
	if [ -n "$W" ]; then
		mountpoint -q "$W/m" && umount -l "$W/m"
		mountpoint -q "$W/tree/usr" && umount "$W/tree/usr"
		safe_rm "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
die() { echo "bench-launch: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "must run as root"
[ -u "$R/bin/bin" ] || die "$R/bin/bin is not installed setuid"
id $U >/dev/null 2>&1 || useradd -m -s /bin/bash $U || die "useradd $U"
W=$(mktemp -d /var/tmp/vsys-bench.XXXXXX) && chmod 755 "$W" || die mktemp
cc -O2 -o "$W/bench" "$HERE/bench-launch.c" || die "cannot build the driver"

T=$W/tree
mkdir -p "$T"/{usr,var/tmp,tmp,proc,dev,sys,home,run}
cp -a /etc "$T/etc"
for l in bin lib lib64 sbin; do ln -s usr/$l "$T/$l"; done
mount --bind /usr "$T/usr" && mount --make-private "$T/usr" &&
	mount -o remount,bind,ro "$T/usr" || die "bind /usr"
mountpoint -q "$R/.ns" && SHARED_WAS_UP=1
mkdir -p "$R/$S"
mount --rbind "$T" "$R/$S" && mount --make-rprivate "$R/$S" || die "mount $R/$S"
printf 'version=1\nname=%s\nstate=ready\ncreated=2026-11-22T00:00:00Z\nfs=/ dir:%s ro\nsetuid=no\nusers=\ngroups=\ncwd_fallback=no\nhostfiles=passwd,group,hosts,resolv.conf,localtime\n' \
	$S "$T" >"$R/etc/systems/$S"
chmod 644 "$R/etc/systems/$S"
ln -sfn bin "$R/bin/$S"
"$VIEW" shared-up || die "shared-up"
"$VIEW" prepare $S || die "prepare"
if [ "${SESSION:-0}" = 1 ]; then
	mkdir -p "$R/$S-s"
	mount --rbind "$T" "$R/$S-s" && mount --make-rprivate "$R/$S-s" || die "mount $R/$S-s"
	sed -e "s/^name=.*/name=$S-s/" "$R/etc/systems/$S" >"$R/etc/systems/$S-s"
	echo layer=session >>"$R/etc/systems/$S-s"
	chmod 644 "$R/etc/systems/$S-s"
	ln -sfn bin "$R/bin/$S-s"
	"$VIEW" prepare $S-s || die "prepare $S-s"
fi

uidgid="$(id -u $U):$(id -g $U)"
n=0
for l in ${EXTRA_LAUNCHERS:-}; do
	n=$((n + 1))
	mkdir -p "$W/l$n" && chmod 755 "$W/l$n" &&
		install -m 4755 -o root -g root "${l#*=}" "$W/l$n/$S" || die "install ${l#*=}"
done
cd /   # visible in the system and in the chroot
bench() {
	local -a extra=()
	local l n=0
	for l in ${EXTRA_LAUNCHERS:-}; do
		n=$((n + 1))
		extra+=(-u "$uidgid" "variant ${l%%=*} (as $U)" "$W/l$n/$S" /bin/true ---)
	done
	if [ "${SESSION:-0}" = 1 ]; then
		extra+=(-u "$uidgid" "session layer (as $U)" "$R/bin/$S-s" /bin/true ---)
	fi
	if [ "${BWRAP:-0}" = 1 ] && [ -x /usr/bin/bwrap ]; then
		extra+=(bwrap /usr/bin/bwrap --ro-bind "$T" / --proc /proc --dev /dev /bin/true ---)
	fi
	LC_ALL=${BENCH_LC:-C} "$W/bench" "$RUNS" \
		-u "$uidgid" "launcher (as $U)" "$R/bin/$S" /bin/true --- \
		"unshare -m chroot" /usr/bin/unshare -m /usr/sbin/chroot "$T" /bin/true --- \
		"${extra[@]}" \
		"chroot (baseline)" /usr/sbin/chroot "$T" /bin/true
}

echo "# kernel $(uname -r), $(nproc) cpus, $RUNS paired runs per command, LC_ALL=${BENCH_LC:-C}, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 0 extra mounts (host mount table: $(grep -c '' /proc/self/mountinfo) entries)"
bench | tee "$W/r0" || die "bench failed"

mkdir -p "$W/m"
mount -t tmpfs -o size=1m tmpfs "$W/m" && mount --make-private "$W/m" || die "tmpfs"
mkdir "$W/m/src"
for i in $(seq "$MOUNTS"); do
	mkdir "$W/m/$i" && mount --bind "$W/m/src" "$W/m/$i" || die "mount $i"
done
echo "# $MOUNTS extra mounts (host mount table: $(grep -c '' /proc/self/mountinfo) entries)"
bench | tee "$W/r1" || die "bench failed"

# columns from the right: median mean p90 ratio cpu_us cpu_rat
med() { awk -v k="$2" 'index($0, k) == 1 { print $(NF - 5); exit }' "$1"; }
wall() { awk -v k="$2" 'index($0, k) == 1 { print $(NF - 2); exit }' "$1"; }
cpur() { awk -v k="$2" 'index($0, k) == 1 { print $NF; exit }' "$1"; }
l0=$(med "$W/r0" launcher)
l1=$(med "$W/r1" launcher)
c0=$(med "$W/r0" chroot)
c1=$(med "$W/r1" chroot)
echo "# summary"
echo "launcher / chroot, 0 mounts:     wall $(wall "$W/r0" launcher) (paired median), cpu $(cpur "$W/r0" launcher)"
echo "launcher / chroot, $MOUNTS mounts:  wall $(wall "$W/r1" launcher), cpu $(cpur "$W/r1" launcher)"
echo "unshare -m chroot / chroot, 0 / $MOUNTS mounts: wall $(wall "$W/r0" unshare) / $(wall "$W/r1" unshare), cpu $(cpur "$W/r0" unshare) / $(cpur "$W/r1" unshare)"
awk -v a="$l0" -v b="$l1" -v c="$c0" -v d="$c1" 'BEGIN {
	printf "launcher median %.1f us -> %.1f us: %.2fx from 0 to '"$MOUNTS"' mounts (chroot %.2fx)\n", a, b, b / a, d / c }'
if [ "${SESSION:-0}" = 1 ]; then
	for r in r0 r1; do
		awk -v a="$(med "$W/$r" launcher)" -v b="$(med "$W/$r" session)" -v m="$([ $r = r0 ] && echo 0 || echo "$MOUNTS")" 'BEGIN {
			printf "session layer / launcher, %s mounts: median %.1f us / %.1f us = %.2fx\n", m, b, a, b / a }'
	done
fi

entries_inside() {
	setpriv --reuid=$U --regid=$U --clear-groups "$R/bin/$S" /bin/sh -c 'grep -c "" /proc/self/mountinfo'; }
echo "# mount entries inside $S: $(entries_inside)"
if [ "$SYSTEMS" -gt 1 ]; then
	ST=${SYSTEMS_TREE:-/var/cache/vsys/rootfs-bookworm-gcc}
	[ -x "$ST/bin/sh" ] || ST=$T
	umount -l "$W/m"
	t0=$(date +%s.%N)
	for i in $(seq 2 "$SYSTEMS"); do
		n=$S-$i
		mkdir -p "$R/$n" && mount --bind "$ST" "$R/$n" && mount --make-private "$R/$n" &&
			mount -o remount,bind,ro "$R/$n" || die "mount $R/$n"
		printf 'version=1\nname=%s\nstate=ready\ncreated=2026-11-22T00:00:00Z\nfs=/ dir:%s ro\nsetuid=no\nusers=\ngroups=\ncwd_fallback=no\nhostfiles=passwd,group,hosts,resolv.conf,localtime\n' \
			$n "$ST" >"$R/etc/systems/$n"
		chmod 644 "$R/etc/systems/$n"
		ln -sfn bin "$R/bin/$n"
		"$VIEW" prepare $n || die "prepare $n"
	done
	per=$(awk -v r="$R" -v s="$S-" 'index($5, r "/" s) == 1 || index($5, r "/.ns/" s) == 1 { n++ } END { print n + 0 }' /proc/self/mountinfo)
	echo "# $SYSTEMS systems ($((SYSTEMS - 1)) made and prepared in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; host mount table: $(grep -c '' /proc/self/mountinfo) entries, $per of the $((SYSTEMS - 1)) extra systems: $(awk -v a="$per" -v b="$((SYSTEMS - 1))" 'BEGIN { printf "%.2f", a / b }') per system)"
	echo "# mount entries inside $S: $(entries_inside), inside $S-2: $(setpriv --reuid=$U --regid=$U --clear-groups "$R/bin/$S-2" /bin/sh -c 'grep -c "" /proc/self/mountinfo' 2>&1)"
	bench | tee "$W/r2" || die "bench failed"
	l2=$(med "$W/r2" launcher)
	c2=$(med "$W/r2" chroot)
	echo "launcher / chroot, $SYSTEMS systems: wall $(wall "$W/r2" launcher), cpu $(cpur "$W/r2" launcher)"
	awk -v a="$l0" -v b="$l2" -v c="$c0" -v d="$c2" 'BEGIN {
		printf "launcher median %.1f us -> %.1f us: %.2fx from 1 to '"$SYSTEMS"' systems (chroot %.2fx)\n", a, b, b / a, d / c }'
fi
