#!/bin/bash
# view-race.sh - vsys-view's commands run at the same time (as vsys apply's parallel creates, or
# launcher-tests.sh beside them, do), in a private root of its own: a vsys-view built for
# VSYS_ROOT=/run/vsys-view-race (or VIEW_RACE_VIEW, built for that root), systems without records
# (the defaults) over one small tree. Cleans up every mount it made, also on failure.
#   1. shared-down and shared-up in a loop against prepare and release of 4 systems: no release
#      fails (before R was locked: "remove R/.ns/NAME: Device or resource busy", a bind hidden
#      under R/.ns), a prepare is only ever refused as "not up", nothing is left mounted
#   2. 10 shared-up at once: all succeed (before: "R/.var/shared-made: No such file or directory"
#      when they raced for its rename), one R/.ns mount, not a stack
#   3. 40 systems prepared 8 at a time, then released 8 at a time: all succeed, R/.ns empty
# Output: one line per case, then "view-race: N passed, M failed". Run as root.
set -u
export LC_ALL=C
# In the host's namespace (in a namespace of the test's own the binds of namespaces made on the other CPU
# are refused: the 6.18 kernel hands out namespace ids in per-CPU batches, and on one CPU the race does not
# show). shared-up makes the sources of the local parts shared where they are not, and shared-down gives them
# their old propagation back: on the host's own mounts that would cut every other root's systems (e.g. /OS
# beside this test) off from later mounts under /home and /tmp. So they are made shared first, and left so
# (as systemd has them at boot): this root's shared-up then changes nothing of the host's.
HERE=$(cd "$(dirname "$0")" && pwd)
NATIVE=$(cd "$HERE/.." && pwd)
R=/run/vsys-view-race
N=${VIEW_RACE_ROUNDS:-300}
PASS=0
FAIL=0
W=
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1${2:+: $2}"; }
mounts_under() { awk -v r="$R" '$5 == r || index($5, r "/") == 1' /proc/self/mountinfo | wc -l; }

cleanup() {
	local mp i
	set +e
	[ -n "${BG:-}" ] && kill "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	for i in 1 2 3 4 5; do   # deepest first, hidden ones surface as the ones above go
		awk -v r="$R" '$5 == r || index($5, r "/") == 1 {print length($5), $5}' /proc/self/mountinfo |
			sort -rn | cut -d' ' -f2- | while read -r mp; do umount -l "$mp" 2>/dev/null; done
	done
	[ "$(mounts_under)" = 0 ] && rm -rf --one-file-system "$R"
	[ -n "$W" ] && rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "view-race: must run as root" >&2; exit 2; }
[ -e "$R" ] && [ "$(mounts_under)" != 0 ] && { echo "view-race: $R is in use" >&2; exit 2; }
W=$(mktemp -d /tmp/vsys-view-race.XXXXXX)
if [ -n "${VIEW_RACE_VIEW:-}" ]; then
	V=$VIEW_RACE_VIEW
else
	make -s -C "$NATIVE" B=build/race VSYS_ROOT="$R" build/race/vsys-view >"$W/make.log" 2>&1 ||
		{ cat "$W/make.log"; echo "view-race: make failed" >&2; exit 2; }
	V=$NATIVE/build/race/vsys-view
fi
rm -rf "$R"; mkdir -p "$R/etc/systems" "$R/etc/aliases" "$R/bin"
echo "link=namespace" >"$R/etc/vsys.conf"
T=$W/tree
mkdir -p "$T"/{etc,proc,dev,sys,home,tmp,run,var/tmp,usr}
cp /etc/passwd /etc/group "$T/etc/"
for i in $(seq -w 1 40); do mkdir -p "$R/s$i" && mount --bind "$T" "$R/s$i" && mount --make-private "$R/s$i"; done

for p in /dev /sys /home /tmp; do
	mp=$(findmnt -n -o TARGET -T "$p") && [ "$(findmnt -n -o PROPAGATION "$mp")" != shared ] && mount --make-shared "$mp"
done

# 1. shared-down/shared-up against prepare/release
"$V" shared-up || { bad "shared-up"; exit 1; }
grep -qs " $R\$" /run/vsys/made-shared && { bad "shared-up made a host mount shared" "$(grep " $R\$" /run/vsys/made-shared)"; exit 1; }
( for _ in $(seq "$N"); do "$V" shared-down >/dev/null 2>&1; "$V" shared-up >/dev/null 2>&1; done ) &
BG=$!
busy=0; other=0; first=
for i in $(seq "$N"); do
	s=s0$((i % 4 + 1))
	if ! out=$("$V" prepare "$s" 2>&1); then
		case $out in *"shared tree is not up"*) ;; *) other=$((other + 1)); first=${first:-"prepare $s: $out"} ;; esac
	fi
	if ! out=$("$V" release "$s" 2>&1); then
		case $out in *busy*) busy=$((busy + 1)) ;; *) other=$((other + 1)) ;; esac
		first=${first:-"release $s: $out"}
	fi
done
wait "$BG"; BG=
for s in s01 s02 s03 s04; do "$V" release "$s" >/dev/null 2>&1; done
"$V" shared-down >/dev/null 2>&1
left=$(mounts_under)
[ "$busy:$other:$left" = "0:0:40" ] &&
	ok "$N prepare/release against shared-down/shared-up: no failed release, nothing left mounted" ||
	bad "$N prepare/release against shared-down/shared-up" "$busy releases busy, $other other failures, $((left - 40)) mounts left (first: $first)"

# 2. shared-up ten times at once
pids=(); for i in $(seq 10); do "$V" shared-up >"$W/up.$i" 2>&1 & pids+=($!); done
failed=0; for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
n=$(awk -v m="$R/.ns" '$5 == m' /proc/self/mountinfo | wc -l)
[ "$failed:$n" = 0:1 ] && ok "10 concurrent shared-up: all succeed, one $R/.ns mount" ||
	bad "10 concurrent shared-up" "$failed failed ($(cat "$W"/up.* | head -n 1)), $n mounts at $R/.ns"

# 3. 40 systems in parallel
seq -w 1 40 | xargs -P8 -I{} "$V" prepare s{} >"$W/p.out" 2>&1; rp=$?
np=$(ls "$R/.ns" | wc -l)
seq -w 1 40 | xargs -P8 -I{} "$V" release s{} >"$W/r.out" 2>&1; rr=$?
nr=$(ls "$R/.ns" | wc -l)
[ "$rp:$np:$rr:$nr" = "0:40:0:0" ] && ok "40 systems prepared and released 8 at a time" ||
	bad "40 systems prepared and released 8 at a time" "prepare rc $rp ($np bound), release rc $rr ($nr left): $(head -n 2 "$W/p.out" "$W/r.out" | tr '\n' ' ')"
"$V" shared-down || bad "shared-down at the end"
[ "$(mounts_under)" = 40 ] && ok "only the 40 trees are left mounted (the test's own)" || bad "mounts left" "$(mounts_under)"

echo "view-race: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
