#!/bin/bash
# shared-roots.sh - two vsys roots on one host share the host mounts their shared-up made shared:
# one root's shared-down must not make them private again while the other's tree relies on them
# (before /run/vsys/made-shared, root B found / shared by A's shared-up and recorded nothing, and A's
# shared-down made / private: B's tree stopped seeing new host mounts under /tmp and /home).
# In a mount namespace of its own with / private (the host's propagation is never changed) and a
# /run/vsys of its own; two private roots /run/vsys-sr-a and /run/vsys-sr-b, built with make B=build-sr.
#   1. shared-up A, shared-up B, shared-down A: a tmpfs mounted then under /tmp shows in B's tree
#   2. shared-down B: / is private again (the last root put it back)
#   3. an old per-root R/.var/shared-made is taken in: shared-down of that root puts / back, once
#   4. a stale line (mount id gone) is dropped, not acted on
# Output: one line per case, then "shared-roots: N passed, M failed". Run as root.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
NATIVE=$(cd "$HERE/.." && pwd)
RA=/run/vsys-sr-a
RB=/run/vsys-sr-b
if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" = 0 ] || { echo "shared-roots: must run as root" >&2; exit 2; }
	for r in "$RA" "$RB"; do
		make -s -C "$NATIVE" B=build-sr/"${r##*-}" VSYS_ROOT="$r" build-sr/"${r##*-}"/vsys-view >/tmp/vsys-sr-make.log 2>&1 ||
			{ cat /tmp/vsys-sr-make.log; echo "shared-roots: make failed" >&2; exit 2; }
	done
	rm -f /tmp/vsys-sr-make.log
	mkdir -p /run/vsys
	# the namespace and every mount in it go when its last process exits
	unshare -m --propagation private bash "$0" --inside; rc=$?
	rm -rf --one-file-system "$RA" "$RB" "$NATIVE/build-sr"
	exit $rc
fi
VA=$NATIVE/build-sr/a/vsys-view
VB=$NATIVE/build-sr/b/vsys-view
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1${2:+: $2}"; }
prop() { findmnt -n -o PROPAGATION "$1"; }
W=$(mktemp -d /tmp/vsys-sr.XXXXXX)
cleanup() {
	set +e
	mountpoint -q "$W/new" && umount -l "$W/new"
	"$VB" shared-down >/dev/null 2>&1; "$VA" shared-down >/dev/null 2>&1
	mount --make-private /
	rm -rf "$W"
}
trap cleanup EXIT
mount -t tmpfs vsys-sr /run/vsys
for r in "$RA" "$RB"; do
	rm -rf "$r"; mkdir -p "$r/etc/systems" "$r/etc/aliases" "$r/bin"
	echo "link=namespace" >"$r/etc/vsys.conf"
done
[ "$(prop /)" = private ] || { bad "/ is private in the test's namespace" "$(prop /)"; exit 1; }

# 1.
out=$("$VA" shared-up 2>&1 && "$VB" shared-up 2>&1 && "$VA" shared-down 2>&1)
if [ $? != 0 ]; then bad "shared-up A, B, shared-down A" "$out"; else
	mkdir -p "$W/new" && mount -t tmpfs vsys-sr-new "$W/new"
	if mountpoint -q "$RB/.root$W/new"; then ok "a root's shared-down leaves / shared for the other: a new /tmp mount shows in its tree"
	else bad "new /tmp mount in B's tree after A's shared-down" "/ is $(prop /); $(cat /run/vsys/made-shared 2>&1)"; fi
	umount "$W/new"
fi
# 2.
out=$("$VB" shared-down 2>&1)
if [ $? = 0 ] && [ "$(prop /)" = private ] && [ ! -e /run/vsys/made-shared ]; then ok "the last root's shared-down makes / private again"
else bad "shared-down B" "$out; / is $(prop /)"; fi
# 3.
out=$("$VA" shared-up 2>&1 && "$VA" shared-down 2>&1)
mount --make-shared /
id=$(awk '$5 == "/" {print $1}' /proc/self/mountinfo)
mkdir -p "$RA/.var" && echo "$id private /" >"$RA/.var/shared-made"
out=$("$VA" shared-down 2>&1)
if [ $? = 0 ] && [ "$(prop /)" = private ] && [ ! -e "$RA/.var/shared-made" ]; then ok "an old R/.var/shared-made is honoured once"
else bad "old R/.var/shared-made" "$out; / is $(prop /)"; fi
# 4.
mount --make-shared /
echo "999999999 private / $RA" >/run/vsys/made-shared
out=$("$VA" shared-down 2>&1)
if [ $? = 0 ] && [ "$(prop /)" = shared ] && [ ! -e /run/vsys/made-shared ]; then ok "a stale line is dropped, not acted on"
else bad "stale line" "$out; / is $(prop /)"; fi
mount --make-private /

echo "shared-roots: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
