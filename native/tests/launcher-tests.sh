#!/bin/bash
# launcher-tests.sh - drive the INSTALLED launcher as real unprivileged users.
#
# Run as root. Needs: R (VSYS_ROOT, default /OS) with the launcher installed as
# R/bin/bin (mode 4755, root), vsys-view at $VSYS_VIEW (default
# native/build/vsys-view), cc. Builds its own local-tree systems without the
# Java CLI (records written by hand per docs/DESIGN.md), creates the users
# vsys-t1 and vsys-t2 if missing, and cleans up every mount, namespace bind
# and file it made, also on failure.
#
# SANITIZE=1: build the ASan/UBSan launcher (make asan) and install it as
# R/bin/bin for the run; the original binary is put back afterwards.
# LT_LAUNCHER=FILE: the same with that binary (e.g. native/build/vsys-launcher:
# this tree's build, whatever another tree installed meanwhile).
#
# Output: one line per case, then "launcher: N passed, M failed".
set -u
export LC_ALL=C

R=${VSYS_ROOT:-/OS}
# the link mode under test: link= of R/etc/vsys.conf (namespace or kmod); the
# namespace-specific checks (nsenter into R/.ns/NAME) run only in namespace mode
# the vsys.conf the launcher reads (native/util.h): /etc/vsys/vsys.conf for R=/OS while it
# exists, else R/etc/vsys.conf
if [ "$R" = /OS ] && [ -e /etc/vsys/vsys.conf ]; then CONF_IN_USE=/etc/vsys/vsys.conf; else CONF_IN_USE=$R/etc/vsys.conf; fi
LINK_MODE=${LINK_MODE:-$(sed -n 's/^link=//p' "$CONF_IN_USE" 2>/dev/null | tail -n 1)}
LINK_MODE=${LINK_MODE:-namespace}
HERE=$(cd "$(dirname "$0")" && pwd)
NATIVE=$(cd "$HERE/.." && pwd)
VIEW=${VSYS_VIEW:-$NATIVE/build/vsys-view}
SANITIZE=${SANITIZE:-0}
LT_LAUNCHER=${LT_LAUNCHER:-}
U1=vsys-t1
U2=vsys-t2
TG=vsys-tg
SA=vlt-a      # plain system, setuid=no
SB=vlt-b      # second tree
SS=vlt-s      # setuid=yes
SF=vlt-f      # users=vsys-t2
SG=vlt-g      # groups=vsys-tg
SC=vlt-c      # cwd_fallback=yes
SN=vlt-n      # record but never prepared
SX=vlt-x      # scratch record for corruption cases
SL=vlt-l      # layer=session (issue 17)
AL=vlt-al     # alias of vlt-a
AM=vlt-am     # alias of a missing system
MARK=/tmp/vsys-lt-mark
PASS=0
FAIL=0
W=
SHARED_WAS_UP=0
SYSTEMS="$SA $SB $SS $SF $SG $SC $SL"
declare -a UNDO=()

say() { printf '%s\n' "$*"; }
ok() { PASS=$((PASS + 1)); say "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); say "FAIL $1${2:+: $2}"; }

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

cleanup() {
	trap '' INT TERM HUP
	local i s
	set +e
	for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do eval "${UNDO[$i]}" >/dev/null 2>&1; done
	UNDO=()
	for s in $SYSTEMS; do
		"$VIEW" release "$s" >/dev/null 2>&1
		rm -f "$R/bin/$s" "$R/etc/systems/$s"
		for d in "$R/$s" "$R/.private/$s"; do
			if mountpoint -q "$d"; then umount -R "$d"; fi
			rmdir "$d" 2>/dev/null
		done
		rm -rf "${R:?}/.var/$s"
	done
	rm -f "$R/bin/$SN" "$R/etc/systems/$SN" "$R/bin/$SX" "$R/etc/systems/$SX" \
		"$R/bin/$AL" "$R/etc/aliases/$AL" "$R/bin/$AM" "$R/etc/aliases/$AM"
	"$VIEW" release "$SN" >/dev/null 2>&1
	rmdir "$R/$SN" 2>/dev/null
	if [ "$SHARED_WAS_UP" = 0 ]; then "$VIEW" shared-down >/dev/null 2>&1; fi
	if [ -n "$W" ]; then
		for s in a b ../priv/f; do
			mountpoint -q "$W/trees/$s/usr" && umount "$W/trees/$s/usr"
		done
		if [ -f "$W/bin.orig" ]; then
			install -m 4755 -o root -g root "$W/bin.orig" "$R/bin/bin"
		fi
		safe_rm "$W"
	fi
	rm -rf "$MARK" /tmp/vsys-lt-* /home/$U1/vlt-* /home/$U2/vlt-* /home/$U1/.vsys /home/$U1/.vsys-real
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

die() { say "launcher-tests: $*" >&2; exit 2; }

# ---- preconditions --------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root"
# one run at a time on this machine (the suite's names, users and R/bin/bin are shared)
exec 8>>/run/vsys-launcher-tests.lock
flock -w 900 8 || die "another launcher-tests.sh holds /run/vsys-launcher-tests.lock"
[ -x "$VIEW" ] || die "no vsys-view at $VIEW (set VSYS_VIEW)"
[ -u "$R/bin/bin" ] && [ "$(stat -c %u "$R/bin/bin")" = 0 ] ||
	die "$R/bin/bin is not installed setuid root (install -m 4755 -o root)"
for d in "$R" "$R/bin" "$R/etc" "$R/etc/systems" "$R/etc/aliases"; do
	[ -d "$d" ] || die "$d missing"
done
command -v cc >/dev/null || die "cc missing"

W=$(mktemp -d /var/tmp/vsys-lt.XXXXXX) || die "mktemp"
chmod 755 "$W"

if [ "$SANITIZE" = 1 ]; then
	make -s -C "$NATIVE" asan VSYS_ROOT="$R" >/dev/null || die "make asan failed"
	cp -a "$R/bin/bin" "$W/bin.orig"
	install -m 4755 -o root -g root "$NATIVE/build/asan/vsys-launcher" "$R/bin/bin"
	say "# SANITIZE=1: $R/bin/bin is the ASan/UBSan build"
elif [ -n "$LT_LAUNCHER" ]; then
	cp -a "$R/bin/bin" "$W/bin.orig"
	install -m 4755 -o root -g root "$LT_LAUNCHER" "$R/bin/bin" || die "cannot install $LT_LAUNCHER"
	say "# $R/bin/bin is $LT_LAUNCHER for the run"
fi

if [ "$NATIVE/build/tests/xexec" -nt "$HERE/helpers.c" ] && [ "$NATIVE/build/tests/preload.so" -nt "$HERE/helpers.c" ]; then
	cp "$NATIVE/build/tests/xexec" "$NATIVE/build/tests/preload.so" "$W/"   # make -C native built them
else
	cc -O2 -o "$W/xexec" "$HERE/helpers.c" || die "cannot build helpers"
	cc -O2 -DPRELOAD -shared -fPIC -o "$W/preload.so" "$HERE/helpers.c" || die "cannot build preload.so"
fi
chmod 755 "$W/xexec" "$W/preload.so"
XEXEC=$W/xexec

# ---- users ------------------------------------------------------------------
getent group $TG >/dev/null || groupadd $TG
for u in $U1 $U2; do
	id $u >/dev/null 2>&1 || useradd -m -s /bin/bash $u || die "useradd $u"
	mkdir -p /home/$u && chown $u:$u /home/$u
done
usermod -a -G $TG $U2
H1=/home/$U1
H2=/home/$U2

# ---- trees and systems -----------------------------------------------------
make_tree() { # letter [base directory]
	local t=${2:-$W/trees}/$1
	mkdir -p "$t"/{usr,var/tmp,opt,home,tmp,root,proc,dev,sys,run,srv}
	cp -a /etc "$t/etc"
	rm -f "$t/etc/os-release"
	printf 'PRETTY_NAME="vsys launcher test %s"\nID=vsys-lt-%s\n' "$1" "$1" >"$t/etc/os-release"
	echo "$1" >"$t/SYSTEM_ID"
	mkdir -p "$t/vlt-extra-$1" && echo "extra-$1" >"$t/vlt-extra-$1/marker"
	for l in bin lib lib64 sbin; do ln -s usr/$l "$t/$l"; done
	cp /usr/bin/id "$t/opt/suid-id"
	chmod 4755 "$t/opt/suid-id"
	mount --bind /usr "$t/usr" && mount --make-private "$t/usr" &&
		mount -o remount,bind,ro "$t/usr" || die "bind /usr into $t"
}
write_record() { # name dir-of-tree extra-lines...
	local n=$1 t=$2
	shift 2
	{
		printf 'version=1\nname=%s\nstate=ready\ncreated=2026-11-22T02:30:00Z\n' "$n"
		printf 'fs=/ dir:%s ro\n' "$t"
		printf 'setuid=no\nusers=\ngroups=\ncwd_fallback=no\n'
		printf 'hostfiles=passwd,group,hosts,resolv.conf,localtime\n'
	} | awk -v extra="$*" 'BEGIN{n=split(extra,e," ");for(i=1;i<=n;i++){split(e[i],kv,"=");o[kv[1]]=e[i]}}
		{split($0,kv,"="); if (kv[1] in o) {print o[kv[1]]; delete o[kv[1]]} else print}
		END{for (k in o) print o[k]}' >"$R/etc/systems/.$n.tmp"
	chmod 644 "$R/etc/systems/.$n.tmp"
	mv "$R/etc/systems/.$n.tmp" "$R/etc/systems/$n"
}
make_system() { # name letter extra...
	local n=$1 t=$W/trees/$2 d=$R/$1
	shift 2
	case " $* " in # restricted (users=/groups=): where vsys mounts it, R/.private/NAME
	*" users="?* | *" groups="?*)
		mkdir -p -m 700 "$R/.private" && chmod 700 "$R/.private"
		d=$R/.private/$n ;;
	esac
	mkdir -p "$d" && chmod 755 "$d"
	mount --rbind "$t" "$d" && mount --make-rprivate "$d" &&
		mount -o remount,bind,ro "$d" || die "mount $d"
	write_record "$n" "$t" "$@"
	ln -sfn bin "$R/bin/$n"
}

mountpoint -q "$R/.ns" && SHARED_WAS_UP=1
make_tree a
make_tree b
# the restricted system's own tree (its source directory is root's: only vsys's mounts could show it)
mkdir -p -m 700 "$W/priv" && make_tree f "$W/priv"
make_system $SA a
make_system $SB b
make_system $SS a setuid=yes
make_system $SF ../priv/f users=$U2
make_system $SG a groups=$TG
make_system $SC a cwd_fallback=yes
make_system $SL a layer=session
mkdir -p "$W/trees/a/srv/vlt-u1" && chown $U1:$U1 "$W/trees/a/srv/vlt-u1"
"$VIEW" shared-up || die "vsys-view shared-up failed"
for s in $SYSTEMS; do "$VIEW" prepare $s || die "vsys-view prepare $s failed"; done
mkdir -p "$R/$SN"
write_record $SN "$W/trees/a"
ln -sfn bin "$R/bin/$SN"
printf 'version=1\nname=%s\nsystem=%s\n' $AL $SA >"$R/etc/aliases/$AL"
printf 'version=1\nname=%s\nsystem=%s\n' $AM vlt-missing >"$R/etc/aliases/$AM"
chmod 644 "$R/etc/aliases/$AL" "$R/etc/aliases/$AM"
ln -sfn bin "$R/bin/$AL"
ln -sfn bin "$R/bin/$AM"

mkdir -p $H1/vlt-work $H2/vlt-work
chown $U1:$U1 $H1/vlt-work
chown $U2:$U2 $H2/vlt-work

# ---- running things as a user ---------------------------------------------
PRE=()   # a prefix run as root before xexec (a private mount namespace: LOGPRE)
# RUN user cwd [xexec options] PROG ARGS...   -> $RC, $OUT, $ERR (stdin /dev/null)
RUN() {
	local u=$1 d=$2
	shift 2
	timeout 30 "${PRE[@]}" "$XEXEC" -u "$u" -c "$d" -e PATH=/usr/local/bin:/usr/bin:/bin -e HOME=/home/$u \
		-e USER=$u -e LOGNAME=$u "$@" >"$W/out" 2>"$W/err" <"${STDIN:-/dev/null}"
	RC=$?
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
}
L() { RUN $U1 $H1/vlt-work "$@"; }
# exec with argv[0] chosen: LA argv0 args...
LA() { local a0=$1; shift; L -0 "$a0" "$R/bin/bin" "$@"; }

expect() { # name condition-description test-expression...
	local n=$1
	shift
	if "$@"; then ok "$n"; else bad "$n" "rc=$RC out=[${OUT:0:200}] err=[${ERR:0:200}]"; fi
}
# Refusal: exit 125, exactly one line "vsys: ...<regex>", and the marker
# command never ran.
refused() { # name regex
	local n=$1 re=$2 lines
	lines=$(grep -c '' "$W/err")
	if [ "$RC" = 125 ] && [ "$lines" = 1 ] && grep -Eq "^vsys: .*$re" "$W/err" && [ ! -e $MARK ]; then
		ok "$n"
	else
		bad "$n" "rc=$RC lines=$lines marker=$([ -e $MARK ] && echo yes || echo no) err=[${ERR:0:300}]"
	fi
	rm -f $MARK
}
TOUCH=(/bin/sh -c "touch $MARK")
eq() { [ "$1" = "$2" ]; }
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }

# ---- functional cases -------------------------------------------------------
say "# functional"
for u in $U1 $U2; do
	for f in -u -g -G; do
		RUN $u /home/$u/vlt-work /usr/bin/id $f
		want=$OUT
		RUN $u /home/$u/vlt-work "$R/bin/$SA" id $f
		expect "id $f of $u equals the caller's ($want)" eq "$RC:$OUT" "0:$want"
	done
done
L "$R/bin/$SA" id -un
expect "host passwd shown in the system (id -un)" eq "$OUT" "$U1"
L "$R/bin/$SA" pwd
expect "pwd equals the caller's cwd" eq "$OUT" "$H1/vlt-work"
L "$R/bin/$SA" /bin/sh -c 'exit 0'
expect "exit status 0" eq "$RC" 0
L "$R/bin/$SA" /bin/sh -c 'exit 1'
expect "exit status 1" eq "$RC" 1
L "$R/bin/$SA" /bin/sh -c 'exit 42'
expect "exit status 42" eq "$RC" 42
L /bin/sh -c "$R/bin/$SA /bin/sh -c 'kill -TERM \$\$'; echo \$?"
expect "death by SIGTERM is 143 for the calling shell" eq "$OUT" 143
L /bin/sh -c "$R/bin/$SA /bin/sh -c 'kill -KILL \$\$'; echo \$?"
expect "death by SIGKILL is 137 for the calling shell" eq "$OUT" 137
L /bin/sh -c "echo hello | $R/bin/$SA cat"
expect "stdin reaches the command" eq "$OUT" hello
L /bin/sh -c "$R/bin/$SA seq 1 1000 | $R/bin/$SB wc -l"
expect "pipeline between two systems" eq "$OUT" 1000
L "$R/bin/$SA" /bin/sh -c 'echo to-stderr >&2'
expect "stderr reaches the caller" eq "$RC:$ERR" "0:to-stderr"
L "$R/bin/$SA" nonexistent-command-xyz
expect "command not found: 127 + one line" eq "$RC:$ERR" "127:vsys: nonexistent-command-xyz: No such file or directory"
L "$R/bin/$SA" /etc/os-release
expect "command not executable: 126 + one line" eq "$RC:$ERR" "126:vsys: /etc/os-release: Permission denied"
L "$R/bin/$SA" /bin/sh -c 'sh -c "cat /etc/os-release"'
expect "a grandchild sees the system" has "$OUT" "ID=vsys-lt-a"
L "$R/bin/$SB" cat /SYSTEM_ID /etc/os-release
expect "system b sees its own tree" has "$OUT" "ID=vsys-lt-b"
L /bin/sh -c "$R/bin/$SA sh -c 'sleep 1; cat /etc/os-release' > $H1/vlt-work/oa & $R/bin/$SB sh -c 'sleep 1; cat /etc/os-release' > $H1/vlt-work/ob; wait; cat $H1/vlt-work/oa $H1/vlt-work/ob"
expect "two systems side by side see different trees" eq "$(echo "$OUT" | grep ^ID= | tr '\n' ' ')" "ID=vsys-lt-a ID=vsys-lt-b "
L "$R/bin/$SA" cat /vlt-extra-a/marker /SYSTEM_ID
expect "a top-level directory and file outside the fixed list are shown" eq "$RC:$(echo $OUT)" "0:extra-a a"
L "$R/bin/$SB" /bin/sh -c 'for d in /vlt-extra-*; do [ -e "$d" ] && echo "$d"; done; true'
expect "...per system (b sees its own, not a's)" eq "$RC:$OUT" "0:/vlt-extra-b"
rm -f "$R/.root/vlt-x"
OUT=$(cd / && "$R/bin/$SA" /bin/sh -c 'touch /vlt-x 2>&1; echo "rc=$?"; mkdir /vlt-d 2>&1; ln -s x /vlt-l 2>&1' 2>&1)
RC=$?
expect "root inside: the top level is read-only (EROFS), nothing in $R/.root" eval \
	'has "$OUT" "Read-only file system" && has "$OUT" "rc=1" && [ "$(echo "$OUT" | grep -c "Read-only")" = 3 ] && ! [ -e "$R/.root/vlt-x" ] && ! [ -e "$R/.root/vlt-d" ] && ! [ -L "$R/.root/vlt-l" ]'
L "$R/bin/$SA" /bin/sh -c 'touch /vlt-x 2>&1'
expect "a user inside: cannot write at the top level either" eval '[ "$RC" != 0 ] && ! [ -e "$R/.root/vlt-x" ]'
if [ "$LINK_MODE" = namespace ]; then
	expect "the namespace's own root is not in the host mount table" eval '! grep -q " vsys-root " /proc/self/mountinfo'
fi
L "$R/bin/$AL" cat /etc/os-release
expect "alias runs its system" has "$OUT" "ID=vsys-lt-a"
L -e VSYS=$SB "$R/bin/bin" cat /etc/os-release
expect "bin with VSYS=name" has "$OUT" "ID=vsys-lt-b"
L "$R/bin/$SA" /bin/sh -c "echo x > /tmp/vsys-lt-tmpfile"
expect "/tmp inside is the local /tmp" eq "$(cat /tmp/vsys-lt-tmpfile 2>/dev/null):$(stat -c %U /tmp/vsys-lt-tmpfile 2>/dev/null)" "x:$U1"
L "$R/bin/$SA" /bin/sh -c "echo y > /var/tmp/vsys-lt-vt; ls -ld /var/tmp"
expect "/var/tmp is the system's local $R/.var/$SA/tmp (1777)" eq "$(cat $R/.var/$SA/tmp/vsys-lt-vt 2>/dev/null):${OUT:0:10}" "y:drwxrwxrwt"
L "$R/bin/$SB" ls /var/tmp/vsys-lt-vt
expect "/var/tmp is per system" eq "$RC" 2
rm -f "$R/.var/$SA/tmp/vsys-lt-vt"
L "$R/bin/$SA" grep -E '^(NoNewPrivs|CapEff|CapPrm):' /proc/self/status
expect "no capabilities, no_new_privs inside (setuid=no)" eq "$(echo $OUT)" "CapPrm: 0000000000000000 CapEff: 0000000000000000 NoNewPrivs: 1"
L "$R/bin/$SS" grep -E '^NoNewPrivs:' /proc/self/status
expect "setuid=yes: no_new_privs not set" eq "$(echo $OUT)" "NoNewPrivs: 0"
L -e FOO=bar -e TERM=xterm "$R/bin/$SA" -sh --noprofile -c 'echo "$0"; env'
expect "-sh: login shell argv[0] -bash" eq "$(echo "$OUT" | head -1)" "-bash"
envs=$(echo "$OUT" | grep -E '^(HOME|SHELL|USER|LOGNAME|PATH|TERM|FOO)=' | sort | tr '\n' ' ')
expect "-sh: clean login environment" eq "$envs" "HOME=$H1 LOGNAME=$U1 PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/bash TERM=xterm USER=$U1 "
STDIN=<(printf 'echo "$0"\n') L -e FOO=bar "$R/bin/$SA"
expect "NAME alone: the caller's shell, not a login shell" eq "$OUT" "bash"
STDIN=<(printf 'echo "$0:$FOO"\n') L -e FOO=bar "$R/bin/$SA" -sh
expect "NAME -sh alone: login shell without the caller's variables" eq "$OUT" "-bash:"

# propagation: a tmpfs mounted on the host under /home after prepare
mkdir -p $H1/vlt-mnt
L /bin/sh -c "$R/bin/$SA sh -c 'sleep 2; cat $H1/vlt-mnt/f 2>&1'" &
bgpid=$!
sleep 0.5
mount -t tmpfs -o size=1m tmpfs $H1/vlt-mnt && UNDO+=("umount $H1/vlt-mnt")
echo propagated >$H1/vlt-mnt/f
wait $bgpid
OUT=$(cat "$W/out")
expect "host mount under /home after prepare: seen by a running process" eq "$OUT" propagated
L "$R/bin/$SB" cat $H1/vlt-mnt/f
expect "host mount under /home after prepare: seen by the next launch" eq "$OUT" propagated
umount $H1/vlt-mnt
L "$R/bin/$SB" ls $H1/vlt-mnt
expect "host unmount propagates too" eq "$RC:$OUT" "0:"
if [ "$LINK_MODE" = namespace ]; then
	mkdir -p /tmp/vsys-lt-leak
	nsenter --mount="$R/.ns/$SA" mount -t tmpfs -o size=1m tmpfs /tmp/vsys-lt-leak
	expect "a mount made inside a system does not leak to the host" eval '! grep -q vsys-lt-leak /proc/self/mountinfo'
	nsenter --mount="$R/.ns/$SA" umount /tmp/vsys-lt-leak
	expect "no mount inside a prepared namespace is a peer of a host mount" \
		eval '! nsenter --mount="$R/.ns/$SA" grep -q "shared:" /proc/self/mountinfo'
else
	L "$R/bin/$SA" readlink /.vsys/link
	expect "kmod: the link of a process inside reads ../.os/$SA" eq "$RC:$OUT" "0:../.os/$SA"
	expect "kmod: the binds on the system's tree do not reach $R/$SA" \
		eval "grep -q ' $R/.root/.os/$SA/etc/passwd ' /proc/self/mountinfo && ! grep -q ' $R/$SA/etc/passwd ' /proc/self/mountinfo"
fi
groupadd vsys-lt-newgrp && UNDO+=("groupdel vsys-lt-newgrp")
L "$R/bin/$SA" getent group vsys-lt-newgrp
was=$RC
L /bin/sh -c "$R/bin/$SA sh -c 'sleep 1.5; getent group vsys-lt-newgrp >/dev/null; echo \$?'" &
bgpid=$!
sleep 0.5
"$VIEW" refresh $SA
wait $bgpid
OUT=$(cat "$W/out")
expect "vsys-view refresh: a group added on the host is seen by a running command" eq "$was:$OUT" "2:0"
L "$R/bin/$SA" getent group vsys-lt-newgrp
expect "vsys-view refresh: ...and by the next launch" eq "$RC" 0
groupdel vsys-lt-newgrp && unset 'UNDO[-1]'
"$XEXEC" -u $U1 -c $H1/vlt-work -e PATH=/usr/bin:/bin "$R/bin/$SA" /bin/sleep 3 </dev/null >/dev/null 2>&1 &
spid=$!
sleep 0.5
users_a=$("$VIEW" users $SA | tr '\n' ' ')
users_b=$("$VIEW" users $SB | tr '\n' ' ')
kill $spid 2>/dev/null
wait $spid 2>/dev/null
expect "vsys-view users lists a process inside the system (and only there)" eval \
	'has " $users_a" " $spid " && ! has " $users_b" " $spid "'
for _ in 1 2 3 4 5; do   # others may mount meanwhile on a shared machine: retry
	n1=$(grep -c '' /proc/self/mountinfo)
	L "$R/bin/$SA" true
	n2=$(grep -c '' /proc/self/mountinfo)
	[ "$n1" = "$n2" ] && break
done
expect "a launch adds nothing to the host mount table" eq "$n1" "$n2"
if [ "$LINK_MODE" = namespace ]; then
	expect "$R/.ns is a private mount" eval "grep -E ' $R/.ns ' /proc/self/mountinfo | grep -vq 'shared:'"
fi
L "$R/bin/$SA" /bin/sh -c 'ls /proc/$$/fd'
expect "the launcher leaves no fd of its own" eq "$(echo $OUT)" "0 1 2"

# audit records, through a stand-in /dev/log: the machine's own when no
# syslog daemon has one, else a socket bound over /dev/log in a private mount
# namespace of the launch (LOGPRE)
LOGSOCK=/dev/log
LOGPRE=()
if [ -e /dev/log ]; then
	LOGSOCK=$W/log.sock
	LOGPRE=(unshare -m --propagation slave /bin/sh -c 'mount --bind "$0" /dev/log && exec "$@"' "$W/log.sock")
fi
log_start() { # xexec log mode and its arguments after the socket path
	local mode=$1
	shift
	rm -f "$W/log"
	"$XEXEC" "$mode" "$LOGSOCK" "$@" >"$W/log" 2>&1 &
	logpid=$!
	for _ in $(seq 50); do grep -qs ready "$W/log" && break; sleep 0.1; done
	PRE=("${LOGPRE[@]}")
}
log_end() { PRE=(); wait $logpid; rm -f "$LOGSOCK"; OUT=$(grep -v '^ready' "$W/log"); }
log_start loglisten 5 "audit-me-$$"
L "$R/bin/$SA" /bin/echo "audit-me-$$"
log_end
audit_ok() { has "$OUT" "<86>" && has "$OUT" "vsys[" &&
	has "$OUT" "result=allowed user=$U1 uid=$(id -u $U1) system=$SA cwd=$H1/vlt-work command=\"/bin/echo audit-me-$$\""; }
expect "one audit record (authpriv.info): user, system, cwd, command" audit_ok

# bind= below a system directory (/srv/...): bound inside each prepared namespace
mkdir -p /srv/vlt-proj "$W/trees/a/srv/vlt-proj" && echo shared-proj >/srv/vlt-proj/f &&
	UNDO+=("rm -rf /srv/vlt-proj")
CONF=$CONF_IN_USE
if [ -e "$CONF" ]; then cp -a "$CONF" "$W/conf.bind"; else : >"$W/conf.bind"; fi
UNDO+=("cp -a $W/conf.bind $CONF.lt && mv -f $CONF.lt $CONF; [ -s $W/conf.bind ] || rm -f $CONF")
{ cat "$W/conf.bind"; echo "bind=/srv/vlt-proj"; } >"$CONF.lt" && chmod 644 "$CONF.lt" && mv -f "$CONF.lt" "$CONF"
"$VIEW" shared-up && "$VIEW" prepare $SA
cp -a "$W/conf.bind" "$CONF.lt" && mv -f "$CONF.lt" "$CONF"
[ -s "$W/conf.bind" ] || rm -f "$CONF"
unset 'UNDO[-1]'
L "$R/bin/$SA" cat /srv/vlt-proj/f
expect "bind=/srv/vlt-proj shown inside the system's /srv" eq "$RC:$OUT" "0:shared-proj"
L "$R/bin/$SB" cat /srv/vlt-proj/f
expect "...only where the system has that directory" eq "$RC" 1
"$VIEW" prepare $SA

# view= (snapshots): the system runs from a directory under R/.store instead of R/NAME
if :; then
	SV=vlt-v
	STORE_MADE=0
	[ -d "$R/.store" ] || { mkdir -m 700 "$R/.store" && STORE_MADE=1; }
	VD=$(mktemp -d "$R/.store/vlt-view.XXXXXX") && chmod 755 "$VD"
	UNDO+=("$VIEW release $SV; rm -f $R/etc/systems/$SV $R/bin/$SV; rmdir $R/$SV; umount $VD/usr; rm -rf $VD $R/.store/vlt-view-link $R/.var/$SV; [ $STORE_MADE = 1 ] && rmdir $R/.store")
	mkdir -p "$VD"/{usr,var/tmp,home,tmp,proc,dev,sys,run,opt}
	cp -a /etc "$VD/etc"
	rm -f "$VD/etc/os-release"
	printf 'ID=vsys-lt-view\n' >"$VD/etc/os-release"
	echo view >"$VD/SYSTEM_ID"
	for l in bin lib lib64 sbin; do ln -s usr/$l "$VD/$l"; done
	mount --bind /usr "$VD/usr" && mount --make-private "$VD/usr"
	mkdir -p "$R/$SV" && chmod 755 "$R/$SV"
	# a file system of the system other than "/" (an NFS /proj): shown in the view too
	mkdir -p "$R/$SV/vlt-sub" "$VD/vlt-sub" && mount -t tmpfs -o size=1m vlt-sub "$R/$SV/vlt-sub" &&
		UNDO+=("umount -l $R/$SV/vlt-sub; rmdir $R/$SV/vlt-sub") && echo live-sub >"$R/$SV/vlt-sub/f"
	write_record $SV "$W/trees/a" "view=$VD"
	ln -sfn bin "$R/bin/$SV"
	"$VIEW" prepare $SV
	L "$R/bin/$SV" cat /etc/os-release /SYSTEM_ID
	expect "view= under $R/.store: the system shows that tree" eq "$RC:$(echo $OUT)" "0:ID=vsys-lt-view view"
	L "$R/bin/$SV" cat /vlt-sub/f
	expect "view=: the system's other file systems (mounted below $R/$SV) are shown in it" eq "$RC:$OUT" "0:live-sub"
	OUT=$(cd / && "$R/bin/$SV" /bin/sh -c 'touch /etc/vlt-x 2>&1; id -un' 2>&1)
	expect "view= is bound read-only (root inside gets EROFS)" eval 'has "$OUT" "Read-only file system" && has "$OUT" root && ! [ -e "$VD/etc/vlt-x" ]'
	write_record $SV "$W/trees/a" "view=$W/trees/b"
	OUT=$("$VIEW" prepare $SV 2>&1); RC=$?
	expect "view= outside $R/.store refused" eq "$RC:$OUT" "1:vsys-view: $SV: view outside $R/.store"
	write_record $SV "$W/trees/a" "view=$R/.store"
	OUT=$("$VIEW" prepare $SV 2>&1); RC=$?
	expect "view=$R/.store itself refused" eq "$RC:$OUT" "1:vsys-view: $SV: view outside $R/.store"
	ln -s "$(basename "$VD")" "$R/.store/vlt-view-link"
	write_record $SV "$W/trees/a" "view=$R/.store/vlt-view-link"
	OUT=$("$VIEW" prepare $SV 2>&1); RC=$?
	expect "view= through a symlink refused" eval '[ "$RC" = 1 ] && has "$OUT" "symlink"'
	write_record $SV "$W/trees/a" "view=$R/.store/vlt-view-link/etc"
	OUT=$("$VIEW" prepare $SV 2>&1); RC=$?
	expect "view= with a symlink on the way refused" eval '[ "$RC" = 1 ] && has "$OUT" "symlink"'
	L "$R/bin/$SV" cat /SYSTEM_ID
	expect "...and the failed prepares left the previous namespace in place" eq "$RC:$OUT" "0:view"
fi

# prepare again while launches go on: never "not prepared", one nsfs bind left
L /bin/sh -c "n=0; f=0; while [ \$n -lt 150 ]; do $R/bin/$SA true 2>>$H1/vlt-work/perr || f=\$((f+1)); n=\$((n+1)); done; echo \$f" &
bgpid=$!
for _ in $(seq 15); do "$VIEW" prepare $SA || break; done
wait $bgpid
OUT=$(cat "$W/out")
expect "prepare while 150 launches run: no launch failed" eq "$OUT:$(cat $H1/vlt-work/perr 2>/dev/null)" "0:"
if [ "$LINK_MODE" = namespace ]; then
	n=$(awk -v p="$R/.ns/$SA" '$5 == p' /proc/self/mountinfo | wc -l)
	if [ "$(uname -r | awk -F. '{ print ($1 > 6 || ($1 == 6 && $2 >= 5)) }')" = 1 ]; then
		expect "after 15 prepares: one namespace bound at $R/.ns/$SA" eq "$n" 1
	else
		say "# kernel < 6.5 (no MOVE_MOUNT_BENEATH): $n namespaces stacked at $R/.ns/$SA until release"
	fi
fi

# release while a command runs: it keeps its tree, new launches are refused
RUN $U1 $H1/vlt-work /bin/sh -c "$R/bin/$SB sh -c 'sleep 2; cat /SYSTEM_ID' >$H1/vlt-work/rel-out 2>&1" &
bgpid=$!
sleep 0.7
"$VIEW" release $SB
RUN $U2 $H2/vlt-work "$R/bin/$SB" "${TOUCH[@]}"
refused "after release: a new launch is refused" "not (prepared|registered)"
wait $bgpid
OUT=$(cat $H1/vlt-work/rel-out)
expect "after release: the command already running keeps its tree" eq "$OUT" b
if [ "$LINK_MODE" = kmod ]; then
	"$VIEW" release $SB
	expect "kmod: release once nothing uses it removes $R/.root/.os/$SB" \
		eval "! [ -e $R/.root/.os/$SB ] && ! grep -q ' $R/.root/.os/$SB' /proc/self/mountinfo"
fi
"$VIEW" prepare $SB

# ---- attacks: each refused (125, one line) with no effect -------------------
say "# attacks"
LA "$R/bin/" "${TOUCH[@]}"
refused "argv[0] ending in / (empty name)" "empty name"
LA "$R/bin/.." "${TOUCH[@]}"
refused "argv[0] .." "invalid name"
LA "" "${TOUCH[@]}"
refused "argv[0] empty" "empty name"
LA "$(printf 'a%.0s' $(seq 5000))" "${TOUCH[@]}"
refused "argv[0] of 5000 bytes" "longer than 64"
LA "x/../$SA/" "${TOUCH[@]}"
refused "argv[0] x/../name/" "empty name"
LA ".hidden" "${TOUCH[@]}"
refused "argv[0] .hidden (reserved)" "invalid name"
LA "etc" "${TOUCH[@]}"
refused "argv[0] etc (reserved)" "reserved name"
LA "$(printf 'vlt-a\nX')" "${TOUCH[@]}"
refused "argv[0] with a newline" "invalid name"
LA "vlt-nosuch" "${TOUCH[@]}"
refused "argv[0] unknown name" "vlt-nosuch: no such system"
L -z "$R/bin/$SA"
refused "argc == 0" "(no program name|empty name)"
RUN_NOPW() { timeout 30 "$XEXEC" -U 54321:54321 -c / -e PATH=/usr/bin:/bin "$@" >"$W/out" 2>"$W/err" </dev/null; RC=$?; OUT=$(cat "$W/out"); ERR=$(cat "$W/err"); }
RUN_NOPW "$R/bin/$SA" "${TOUCH[@]}"
refused "a uid without a passwd entry" "uid 54321: no passwd entry"
RUN_NOPW /bin/sh -c "trap '' CHLD; exec $R/bin/$SA ${TOUCH[*]@Q}"
refused "...also with SIGCHLD ignored by the caller (the getent(1) fallback)" "uid 54321: no passwd entry"
L "$R/bin/$SF" "${TOUCH[@]}"
refused "system not allowed by users=" "permission denied for user $U1"
RUN $U2 $H2/vlt-work "$R/bin/$SF" id -un
expect "...while the listed user may use it" eq "$RC:$OUT" "0:$U2"
L "$R/bin/$SG" "${TOUCH[@]}"
refused "system not allowed by groups=" "permission denied"
RUN $U2 $H2/vlt-work "$R/bin/$SG" id -un
expect "...while a member of the group may use it" eq "$RC:$OUT" "0:$U2"
L -e VSYS=$SF "$R/bin/bin" "${TOUCH[@]}"
refused "VSYS naming a forbidden system" "permission denied"
L -e VSYS=vlt-nosuch "$R/bin/bin" "${TOUCH[@]}"
refused "VSYS naming an unknown system" "no such system"
L -e VSYS=../../etc "$R/bin/bin" "${TOUCH[@]}"
refused "VSYS invalid (../../etc)" "invalid name"
L -e VSYS=bin "$R/bin/bin" "${TOUCH[@]}"
refused "VSYS=bin (reserved)" "reserved name"
L "$R/bin/bin" "${TOUCH[@]}"
refused "bin without VSYS: usage" "usage"
# ~/.vsys (the selection of bin without a name or VSYS) is the user's own,
# hostile file: read with the user's rights, never followed, never blocked on
sel_reset() { rm -rf "$H1/.vsys" "$H1/.vsys-real"; }
sel_reset
printf '%s\n' $SA >"$H1/.vsys"; chown $U1:$U1 "$H1/.vsys"; chmod 644 "$H1/.vsys"
L "$R/bin/bin" cat /etc/os-release
expect "~/.vsys names the system of bin" eval 'eq "$RC" 0 && has "$OUT" "ID=vsys-lt-a"'
sel_reset
printf '%s\n' $SA >"$H1/.vsys-real"; chown $U1:$U1 "$H1/.vsys-real"
ln -s .vsys-real "$H1/.vsys"; chown -h $U1:$U1 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys a symlink" "~/\.vsys: unsafe: a symlink"
sel_reset
mkfifo "$H1/.vsys"; chown $U1:$U1 "$H1/.vsys"; chmod 644 "$H1/.vsys"
t0=$(date +%s%N)
L "$R/bin/bin" "${TOUCH[@]}"
t1=$(( ($(date +%s%N) - t0) / 1000000 ))
refused "~/.vsys a FIFO (refused at once: ${t1} ms, no writer)" "~/\.vsys: unsafe: not a regular file"
sel_reset
printf '%s\n' $SA >"$H1/.vsys"; chown $U2:$U2 "$H1/.vsys"; chmod 644 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys owned by another user" "~/\.vsys: unsafe: not owned by the user"
sel_reset
printf '%s\n' $SA >"$H1/.vsys"; chown $U1:$U1 "$H1/.vsys"; chmod 666 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys writable by others" "~/\.vsys: unsafe: writable by group or others"
sel_reset
{ printf '%s\n' $SA; head -c 1048576 /dev/zero | tr '\0' a; } >"$H1/.vsys"
chown $U1:$U1 "$H1/.vsys"; chmod 644 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys of 1 MB" "~/\.vsys: larger than 4096 bytes"
sel_reset
printf '../x\n' >"$H1/.vsys"; chown $U1:$U1 "$H1/.vsys"; chmod 644 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys naming ../x" "~/\.vsys: invalid name"
sel_reset
mkdir "$H1/.vsys"; chown $U1:$U1 "$H1/.vsys"; chmod 755 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys a directory" "~/\.vsys: unsafe: not a regular file"
sel_reset
printf '%s\n' $SF >"$H1/.vsys"; chown $U1:$U1 "$H1/.vsys"; chmod 644 "$H1/.vsys"
L "$R/bin/bin" "${TOUCH[@]}"
refused "~/.vsys naming a system users= forbids" "permission denied for user $U1"
sel_reset
L "$R/bin/$SN" "${TOUCH[@]}"
refused "system with a record but no prepared namespace" "not (prepared|registered)"
# (re)made just before use: a concurrent `vsys check --repair` may remove it
printf 'version=1\nname=%s\nsystem=%s\n' $AM vlt-missing >"$R/etc/aliases/$AM"
chmod 644 "$R/etc/aliases/$AM"
ln -sfn bin "$R/bin/$AM"
L "$R/bin/$AM" "${TOUCH[@]}"
refused "alias of a missing system" "alias of a missing system"
if [ "$LINK_MODE" = namespace ]; then
	touch "$R/.ns/$SN"
	L "$R/bin/$SN" "${TOUCH[@]}"
	rm -f "$R/.ns/$SN"
	refused "a stale $R/.ns file without its namespace (after a reboot)" "not prepared"
fi

# environment: scrubbed before anything privileged, absent inside
rm -f /tmp/vsys-lt-preload.*
L -e LD_PRELOAD="$W/preload.so" "$R/bin/$SA" /bin/sh -c 'echo "${LD_PRELOAD-unset}"'
expect "LD_PRELOAD: no marker (root or user), absent inside" eq "$RC:$OUT:$(ls /tmp/vsys-lt-preload.* 2>/dev/null)" "0:unset:"
L -e LD_LIBRARY_PATH="$W" -e GCONV_PATH="$W" -e LD_AUDIT="$W/preload.so" "$R/bin/$SA" /usr/bin/env
expect "LD_LIBRARY_PATH, GCONV_PATH, LD_AUDIT absent inside" eq "$RC:$(echo "$OUT" | grep -cE '^(LD_|GCONV)')" "0:0"
L -e IFS=x -e BASH_ENV=/tmp/x -e ENV=/tmp/x -e SHELLOPTS=xtrace -e PS4='$(touch /tmp/vsys-lt-ps4)' \
	-e GLIBC_TUNABLES=glibc.malloc.check=3 -e MALLOC_CHECK_=3 -e TMPDIR=/x -e TZDIR=/x -e NLSPATH=/x \
	-e HOSTALIASES=/x -e LOCPATH=/x -e RES_OPTIONS=x -e KEEP=1 "$R/bin/$SA" /usr/bin/env
expect "shell hooks and glibc's unsecure variables removed, others kept" eq "$RC:$(echo "$OUT" | grep -vE '^(PATH|HOME|USER|LOGNAME|VSYS_SYSTEM)=' | sort | tr '\n' ' ')" "0:KEEP=1 "
L -E NOEQUALS -E =weird -e GOOD=1 "$R/bin/$SA" /usr/bin/env
expect "entries that are not NAME=VALUE removed" eq "$RC:$(echo "$OUT" | grep -cE 'NOEQUALS|weird'):$(echo "$OUT" | grep -c GOOD=1)" "0:0:1"
rm -f /tmp/vsys-lt-preload.* /tmp/vsys-lt-ps4

# configuration files made unsafe (each undone at once)
REC=$R/etc/systems/$SA
chmod g+w "$REC"
L "$R/bin/$SA" "${TOUCH[@]}"
chmod 644 "$REC"
refused "record group-writable" "unsafe: writable by group or others"
chmod o+w "$REC"
L "$R/bin/$SA" "${TOUCH[@]}"
chmod 644 "$REC"
refused "record world-writable" "unsafe: writable by group or others"
chown $U1 "$REC"
L "$R/bin/$SA" "${TOUCH[@]}"
chown root "$REC"
refused "record not owned by root" "unsafe: not owned by root"
cp -a "$REC" "$W/rec.saved"
UNDO+=("cp -a $W/rec.saved $REC")
ln -sfn "$W/rec.saved" "$REC.lnk" && mv -T "$REC.lnk" "$REC"
L "$R/bin/$SA" "${TOUCH[@]}"
cp -a "$W/rec.saved" "$REC.new" && mv -T "$REC.new" "$REC"
refused "record replaced by a symlink" "unsafe: a symlink"
rm -f "$REC"
mkfifo -m 644 "$REC"
L "$R/bin/$SA" "${TOUCH[@]}"
rm -f "$REC"
cp -a "$W/rec.saved" "$REC"
refused "record replaced by a FIFO (no hang)" "unsafe: not a regular file"
chmod g+w "$R/etc"
L "$R/bin/$SA" "${TOUCH[@]}"
chmod 755 "$R/etc"
refused "$R/etc group-writable" "$R/etc: unsafe: writable by group or others"
chown $U1 "$R/etc/systems"
L "$R/bin/$SA" "${TOUCH[@]}"
chown root "$R/etc/systems"
refused "$R/etc/systems not owned by root" "unsafe: not owned by root"
mv "$R/etc/systems" "$R/etc/systems.real" && ln -s systems.real "$R/etc/systems" &&
	UNDO+=("rm -f $R/etc/systems; mv $R/etc/systems.real $R/etc/systems")
L "$R/bin/$SA" "${TOUCH[@]}"
rm -f "$R/etc/systems" && mv "$R/etc/systems.real" "$R/etc/systems" && unset 'UNDO[-1]'
refused "$R/etc/systems replaced by a symlink" "unsafe: not a directory"
chmod o+w "$R"
L "$R/bin/$SA" "${TOUCH[@]}"
chmod 755 "$R"
refused "$R world-writable" "unsafe: writable by group or others"

# corrupt records (scratch system vlt-x), written under R/etc/.lock like every
# state change, so that a concurrent vsys does not "recover" them meanwhile
exec 9>>"$R/etc/.lock"
flock -w 30 9 || say "# could not take $R/etc/.lock; going on without it"
xrec() { printf "$1" >"$R/etc/systems/$SX"; chmod 644 "$R/etc/systems/$SX"; ln -sfn bin "$R/bin/$SX"; }
xrec 'version=1\nname=vlt-x\nstate=creating\n'
L "$R/bin/$SX" "${TOUCH[@]}"
refused "state=creating" "not ready"
xrec 'version=1\nname=vlt-x\nstate=destroying\n'
L "$R/bin/$SX" "${TOUCH[@]}"
refused "state=destroying" "not ready"
xrec 'version=1\nname=vlt-x\nstate=rea'
L "$R/bin/$SX" "${TOUCH[@]}"
refused "truncated record" "corrupt record: last line not terminated"
xrec 'version=1\nname=vlt-x\n\x01\x02garbage\nstate=ready\n'
L "$R/bin/$SX" "${TOUCH[@]}"
refused "corrupt record (garbage line)" "corrupt record: line 3"
xrec 'version=1\nname=vlt-x\nstate=ready\nstate=ready\n'
L "$R/bin/$SX" "${TOUCH[@]}"
refused "duplicate key" "duplicate key state"
xrec 'version=1\nname=vlt-a\nstate=ready\n'
L "$R/bin/$SX" "${TOUCH[@]}"
refused "record name differs from the file name" "name does not match"
head -c 70000 /dev/zero | tr '\0' '#' >"$R/etc/systems/$SX"
L "$R/bin/$SX" "${TOUCH[@]}"
refused "record larger than 64 KiB" "larger than 65536"
rm -f "$R/etc/systems/$SX" "$R/bin/$SX"
flock -u 9
exec 9>&-

# global configuration (an existing vsys.conf is put back at once)
CONF=$CONF_IN_USE
if [ -e "$CONF" ]; then
	cp -a "$CONF" "$W/conf.saved"
	UNDO+=("cp -a $W/conf.saved $CONF.lt && mv -f $CONF.lt $CONF")
	restore_conf() { cp -a "$W/conf.saved" "$CONF.lt" && mv -f "$CONF.lt" "$CONF"; }
else
	UNDO+=("rm -f $CONF")
	restore_conf() { rm -f "$CONF"; }
fi
put_conf() { printf "$1" >"$CONF.lt" && chmod "$2" "$CONF.lt" && mv -f "$CONF.lt" "$CONF"; }
put_conf 'link=namespace\n' 666
L "$R/bin/$SA" "${TOUCH[@]}"
restore_conf
refused "vsys.conf world-writable" "vsys.conf: unsafe: writable by group or others"
put_conf 'link=namespace\nlink=kmod\n' 644
L "$R/bin/$SA" "${TOUCH[@]}"
restore_conf
refused "vsys.conf corrupt (duplicate link)" "vsys.conf: corrupt record: line 2: duplicate key link"
if [ ! -e /sys/module/vsyslink ]; then
	put_conf 'link=kmod\n' 644
	L "$R/bin/$SA" "${TOUCH[@]}"
	restore_conf
	refused "link=kmod without the module" "kmod link mode: module not loaded"
fi
unset 'UNDO[-1]'
# issue 16: /etc/vsys/vsys.conf is the configuration; R/etc/vsys.conf only while it is absent
if [ "$CONF" = /etc/vsys/vsys.conf ]; then
	OLDC=$R/etc/vsys.conf
	if [ -e "$OLDC" ]; then cp -a "$OLDC" "$W/oldconf.saved"; else : >"$W/oldconf.saved"; fi
	UNDO+=("if [ -s $W/oldconf.saved ]; then cp -a $W/oldconf.saved $OLDC; else rm -f $OLDC; fi")
	printf 'link=namespace\nlink=kmod\n' >"$OLDC.lt" && chmod 644 "$OLDC.lt" && mv -f "$OLDC.lt" "$OLDC"
	L "$R/bin/$SA" /bin/echo conf-ok
	expect "16: a corrupt R/etc/vsys.conf is ignored while /etc/vsys/vsys.conf exists" eq "$RC:$OUT" "0:conf-ok"
	chmod g+w /etc/vsys
	L "$R/bin/$SA" "${TOUCH[@]}"
	chmod g-w /etc/vsys
	refused "16: /etc/vsys group-writable (the trust chain to vsys.conf)" "/etc/vsys: unsafe: writable by group or others"
	mv /etc/vsys/vsys.conf "$W/conf.moved" && UNDO+=("mv -f $W/conf.moved /etc/vsys/vsys.conf")
	L "$R/bin/$SA" "${TOUCH[@]}"
	mv -f "$W/conf.moved" /etc/vsys/vsys.conf && unset 'UNDO[-1]'
	refused "16: without /etc/vsys/vsys.conf, R/etc/vsys.conf is read (an older install's)" \
		"$OLDC: corrupt record: line 2: duplicate key link"
	if [ -s "$W/oldconf.saved" ]; then cp -a "$W/oldconf.saved" "$OLDC"; else rm -f "$OLDC"; fi
	unset 'UNDO[-1]'
fi

# planted launchers
cp "$R/bin/bin" $H1/vlt-work/$SA && chown $U1 $H1/vlt-work/$SA
L $H1/vlt-work/$SA "${TOUCH[@]}"
refused "a copy of the launcher planted by the user (not setuid)" "Operation not permitted"
if L /usr/bin/ln "$R/bin/bin" $H1/vlt-work/vlt-hard && [ "$RC" = 0 ]; then
	L $H1/vlt-work/vlt-hard id -u
	expect "a hard link planted by the user runs as the user only" eq "$OUT" "$(id -u $U1)"
else
	expect "a hard link to the launcher cannot be planted (protected_hardlinks, or another filesystem)" \
		eval 'has "$ERR" "Operation not permitted" || has "$ERR" "Invalid cross-device link"'
fi
L /usr/bin/ln -s "$R/bin/bin" $H1/vlt-work/$SA.sym
L -0 $SA $H1/vlt-work/$SA.sym /bin/sh -c 'id -u; touch /etc/vsys-lt-owned 2>/dev/null; echo $?'
expect "a symlink planted by the user: same checks, no privilege" eq "$(echo $OUT)" "$(id -u $U1) 1"

# working directory
mkdir -p $H1/vlt-gone && chown $U1 $H1/vlt-gone
L /bin/sh -c "cd $H1/vlt-gone && rmdir $H1/vlt-gone && exec $R/bin/$SA ${TOUCH[*]@Q}"
refused "cwd removed" "cannot determine the current directory"
mkdir -p $H1/vlt-closed && chown $U1 $H1/vlt-closed
L /bin/sh -c "cd $H1/vlt-closed && chmod 000 $H1/vlt-closed && exec $R/bin/$SA ${TOUCH[*]@Q}"
refused "cwd unreadable (mode 000)" "$H1/vlt-closed: not visible in $SA"
mkdir -p "$W/hostonly" && chown $U1 "$W/hostonly"
RUN $U1 "$W/hostonly" "$R/bin/$SA" "${TOUCH[@]}"
refused "cwd not visible in the system" "$W/hostonly: not visible in $SA"
RUN $U1 "$W/hostonly" "$R/bin/$SC" pwd
expect "cwd_fallback=yes: falls back to \$HOME" eq "$RC:$OUT" "0:$H1"

# inherited fds
L /bin/bash -c "exec 3</ 4<$W 5</etc/hostname; exec $R/bin/$SA /bin/sh -c 'for f in 3 4 5; do [ -e /proc/\$\$/fd/\$f ] && echo \$f; done'"
expect "directory fds 3</ and 4<dir closed, file fd 5 kept" eq "$(echo $OUT)" "5"
L /bin/bash -c "exec 7</; exec $R/bin/$SA /bin/sh -c 'cd /proc/self/fd/7 2>/dev/null && ls /OS >/dev/null 2>&1 && echo escaped; ls -d /proc/\$\$/cwd/../SYSTEM_ID 2>&1 | head -1; true'"
expect "no way back to the host root through fd 7" eval '! has "$OUT" escaped'

# ptrace: the kernel ignores the setuid bit under ptrace; never root
if command -v strace >/dev/null; then
	L "$(command -v strace)" -f -o /dev/null "$R/bin/$SA" /bin/sh -c "id -u; touch $MARK"
	if [ "$RC" = 125 ]; then
		refused "strace -f on the launcher: refused (no privilege under ptrace)" "Operation not permitted"
	else
		expect "strace -f on the launcher: runs without privilege" eq "$(echo $OUT | head -c 20)" "$(id -u $U1)"
		rm -f $MARK
	fi
fi
# ptrace while the launcher is still root: block it in write(2) on a full
# stderr pipe (its refusal message for an unknown name), then try to attach
if command -v strace >/dev/null; then
	L /bin/bash -c "exec 3> >(sleep 4); dd if=/dev/zero bs=65536 count=1 status=none >&3
		exec -a vlt-nosuch $R/bin/bin /bin/true 2>&3 & p=\$!; sleep 0.5
		grep -E '^(Uid|State):' /proc/\$p/status | tr -s '\t' ' ' | tr '\n' ' '
		$(command -v strace) -p \$p -o /dev/null 2>&1 | head -1
		cat /proc/\$p/environ >/dev/null 2>&1 && echo environ-readable
		kill -9 \$p"
	expect "ptrace attach to the launcher blocked while privileged: refused" eval \
		'has "$OUT" "Uid: $(id -u $U1) 0 0 0" && has "$OUT" "Operation not permitted" && ! has "$OUT" environ-readable'
fi
if command -v gdb >/dev/null; then
	# attach to a launcher that is still privileged: must be refused
	L /bin/bash -c "$R/bin/$SA /bin/sleep 3 & sleep 0.3; gdb -q -batch -p \$! -ex 'print (int)geteuid()' 2>&1 | grep -F '\$1 ='; wait"
	expect "gdb attach to the running command: as the user only" eval '! has "$OUT" "\$1 = 0"'
fi

# setuid programs inside the system
L "$R/bin/$SA" /opt/suid-id -u
expect "setuid-root program with setuid=no: euid stays the caller's" eq "$RC:$OUT" "0:$(id -u $U1)"
L "$R/bin/$SS" /opt/suid-id -u
if findmnt -no OPTIONS --target "$W/trees/a" | grep -q nosuid; then
	expect "setuid=yes on a nosuid fs: still the caller" eq "$OUT" "$(id -u $U1)"
else
	expect "setuid=yes: the record allows setuid programs (euid 0)" eq "$RC:$OUT" "0:0"
fi
L "$R/bin/$SA" /bin/sh -c "touch /etc/vsys-lt-owned 2>/dev/null; ls /etc/vsys-lt-owned 2>&1"
expect "the system tree stays read-only / not writable by the caller" eval '! [ -e $W/trees/a/etc/vsys-lt-owned ]'

# ---- the system's own paths (namespace mode, issue 11) ----------------------
if [ "$LINK_MODE" = namespace ]; then
	say "# the system's own tree at /"
	L "$R/bin/$SA" /bin/sh -c 'ls -A / | tr "\n" " "'
	expect "ls -A / shows the system's top-level entries, nothing added" eq "$OUT" "$(ls -A "$W/trees/a" | tr '\n' ' ')"
	L "$R/bin/$SA" /bin/sh -c 'stat -c %F /usr /etc /bin; cd /usr/lib && pwd -P; readlink -f /bin/sh; cd /etc && /bin/pwd'
	expect "directories are directories, the tree's symlinks stay, pwd -P and readlink -f give the system's paths" \
		eq "$(echo $OUT)" "directory directory symbolic link /usr/lib $(readlink -f /bin/sh) /etc"
	L "$R/bin/$SA" /bin/sh -c 'cut -d" " -f5 /proc/self/mountinfo | grep -cE "^/(\.link|\.root|\.ns|\.var|OS)(/|$)"; readlink /proc/self/cwd /proc/self/root; df -P /etc | tail -1 | awk "{print \$6}"'
	expect "no vsys-private name at a mount point; cwd, root and df as on the system" eq "$(echo $OUT)" "0 $H1/vlt-work / /"
	L -e VSYS_SYSTEM=forged "$R/bin/$SA" /bin/sh -c 'echo "$VSYS_SYSTEM"'
	expect "VSYS_SYSTEM names the system inside (the caller's value replaced)" eq "$RC:$OUT" "0:$SA"
	STDIN=<(printf 'echo "$VSYS_SYSTEM"\n') L -e VSYS_SYSTEM=forged "$R/bin/$AL" -sh
	expect "VSYS_SYSTEM in a login shell, the system's name through an alias" eq "$RC:$OUT" "0:$SA"

	# finding 7: a hostile tree whose /var is a symlink into the users' /home
	SH=vlt-h
	mkdir -p "$W/trees/h"/{usr,etc,home,tmp,proc,dev,sys,run} $H2/vlt-victim/tmp
	chown -R $U2:$U2 $H2/vlt-victim
	echo victim-file >$H2/vlt-victim/tmp/mine && chown $U2 $H2/vlt-victim/tmp/mine
	ln -s /home/$U2/vlt-victim "$W/trees/h/var"
	mkdir -p "$W/trees/h/home/$U2/vlt-victim/tmp"  # the tree's own copy of the path
	cp /etc/passwd /etc/group "$W/trees/h/etc/"
	mkdir -p "$R/$SH" && mount --bind "$W/trees/h" "$R/$SH" && mount --make-private "$R/$SH" &&
		UNDO+=("$VIEW release $SH; umount -l $R/$SH; rmdir $R/$SH; rm -f $R/etc/systems/$SH $R/bin/$SH")
	write_record $SH "$W/trees/h"
	ln -sfn bin "$R/bin/$SH"
	OUT=$("$VIEW" prepare $SH 2>&1)
	RC=$?
	expect "a tree whose /var points into /home: prepare refused with one line" eval \
		'[ "$RC" = 1 ] && [ "$(echo "$OUT" | grep -c "")" = 1 ] && has "$OUT" "lands on /home of the system'"'"'s tree"'
	expect "...and the system is not prepared" eval '! mountpoint -q "$R/.ns/$SH"'
	RUN $U2 $H2 "$R/bin/$SH" cat $H2/vlt-victim/tmp/mine
	expect "...so the victim's directory is not covered in that system" eval \
		'[ "$RC:$OUT" = "0:victim-file" ] || { [ "$RC" = 125 ] && has "$ERR" "not prepared"; }'

	# finding 8: refresh mounts the new copy beneath the old, then detaches the old
	groupadd vsys-lt-wgrp && UNDO+=("groupdel vsys-lt-wgrp")
	"$VIEW" refresh $SA
	L /bin/sh -c "$R/bin/$SA sh -c 'm=0; for i in \$(seq 4000); do grep -q ^vsys-lt-wgrp: /etc/group || m=\$((m+1)); done; echo \$m'" &
	bgpid=$!
	nref=0
	while [ $nref -lt 2000 ] && kill -0 $bgpid 2>/dev/null; do "$VIEW" refresh $SA; nref=$((nref + 1)); done
	wait $bgpid
	OUT=$(cat "$W/out")
	expect "$nref refreshes while 4000 reads of /etc/group run: every read sees the host's file (misses: $OUT)" eq "$OUT" 0
	n_in=$(nsenter --mount="$R/.ns/$SA" grep -c " /etc/group " /proc/self/mountinfo)
	if [ "$(uname -r | cut -d. -f1)" -ge 7 ] || { [ "$(uname -r | cut -d. -f1)" = 6 ] && [ "$(uname -r | cut -d. -f2)" -ge 5 ]; }; then
		expect "...and the refreshes leave one bind on /etc/group" eq "$n_in" 1
	fi
	groupdel vsys-lt-wgrp && unset 'UNDO[-1]'

	# finding 10: bind= paths are taken literally (no symlink on the way)
	mkdir -p /srv/vlt-real/d && ln -sfn vlt-real /srv/vlt-lnk && UNDO+=("rm -rf /srv/vlt-real /srv/vlt-lnk")
	{ cat "$W/conf.bind"; echo "bind=/srv/vlt-lnk/d"; } >"$CONF.lt" && chmod 644 "$CONF.lt" && mv -f "$CONF.lt" "$CONF"
	UNDO+=("cp -a $W/conf.bind $CONF.lt && mv -f $CONF.lt $CONF; [ -s $W/conf.bind ] || rm -f $CONF")
	OUT=$("$VIEW" shared-up 2>&1)
	RC=$?
	cp -a "$W/conf.bind" "$CONF.lt" && mv -f "$CONF.lt" "$CONF"
	[ -s "$W/conf.bind" ] || rm -f "$CONF"
	unset 'UNDO[-1]'
	expect "bind= through a symlink (a user could redirect root's mount): refused" eval \
		'[ "$RC" = 1 ] && has "$OUT" "/srv/vlt-lnk/d: a symlink on the way"'
	# finding 10: shared-up makes the host's / shared only until shared-down
	# (in a private mount namespace of the test's own, with its own R/.ns, R/.var)
	OUT=$(unshare -m --propagation private /bin/sh -c "
		umount -R -l $R/.root/* 2>/dev/null; umount -l $R/.ns 2>/dev/null
		mount -t tmpfs vlt-ns $R/.ns && mount -t tmpfs vlt-var $R/.var || exit 9
		$VIEW shared-up || exit 8
		findmnt -no PROPAGATION /
		$VIEW shared-down || exit 7
		findmnt -no PROPAGATION /; ls $R/.var")
	RC=$?
	expect "shared-down puts the host's / back to private (shared-up had made it shared)" eq "$RC:$(echo $OUT)" "0:shared private"
fi

# ---- the review of issue 12: each case failed on the build of 614a915 ------
say "# review findings (issue 12)"
# 2: every value a user controls is escaped; a record is one line
FORGE=$'a\n<86>vsys[1]: user=root uid=0 system='$SA' command=/bin/rm -rf /srv/data'
mkdir -p "$H1/vlt-work/$FORGE" && chown -R $U1 "$H1/vlt-work/a"$'\n'*
log_start loglisten 5 "audit-forge-$$"
RUN $U1 "$H1/vlt-work/$FORGE" "$R/bin/$SA" /bin/echo "audit-forge-$$" $'x\ny' '"q"'
log_end
forge_ok() {
	[ "$RC" = 0 ] && [ "$(printf '%s\n' "$OUT" | grep -c '')" = 1 ] &&
		has "$OUT" "cwd=\"$H1/vlt-work/a\\x0a<86>vsys[1]: user=root" && has "$OUT" 'x\x0ay \"q\""'
}
expect "2: a cwd holding a newline and a forged record stays one escaped line" forge_ok
rm -rf "$H1/vlt-work/a"$'\n'*
# 3: refusals leave a record too, with the reason
log_start loglisten 5 "audit-ref-$$"
L "$R/bin/$SF" /bin/echo "audit-ref-$$"
log_end
expect "3: a users= refusal is recorded (authpriv.notice, result=refused, the reason)" eval \
	'[ "$RC" = 125 ] && has "$OUT" "<85>vsys[" && has "$OUT" "result=refused reason=\"$SF: permission denied for user $U1\" user=$U1"'
log_start loglisten 5 "audit-unk-$$"
LA vlt-nosuch /bin/echo "audit-unk-$$"
log_end
expect "3: an unknown name is recorded as refused" eval \
	'[ "$RC" = 125 ] && has "$OUT" "result=refused reason=\"vlt-nosuch: no such system\"" && has "$OUT" "alias=vlt-nosuch"'
log_start loglisten 5 "audit-cwd-$$" 2
RUN $U1 "$W/hostonly" "$R/bin/$SA" /bin/echo "audit-cwd-$$"
log_end
expect "3: a cwd not visible in the system is recorded as refused" eval \
	'[ "$RC" = 125 ] && has "$OUT" "result=refused reason=\"$W/hostonly: not visible in $SA\""'
# 4: a syslog that does not read (its queue full) must not hold launches
log_start logstall 6
t0=$(date +%s%N)
L "$R/bin/$SA" /bin/echo not-held
t1=$(date +%s%N)
log_end
ms=$(((t1 - t0) / 1000000))
expect "4: a full /dev/log queue holds a launch at most briefly (${ms} ms; bound 100 ms)" eval \
	'[ "$RC" = 0 ] && [ $ms -lt 2000 ]'
# 5: started in a chroot jail holding only R and /etc, the launcher must not leave it
J=$W/jail
mkdir -p "$J$R" "$J/etc" "$J/proc" "$J/usr"
cp -a /etc/passwd /etc/group "$J/etc/"
# (and /usr, for a dynamically linked launcher: SANITIZE=1)
for l in lib lib64; do [ -L /$l ] && ln -s "$(readlink /$l)" "$J/$l"; done
mount --bind /usr "$J/usr" && mount --make-private "$J/usr" && UNDO+=("umount -l $J/usr")
mount --rbind "$R" "$J$R" && mount --make-rslave "$J$R" && UNDO+=("umount -R -l $J$R")
mount -t proc proc "$J/proc" && UNDO+=("umount -l $J/proc")
OUT=$(timeout 20 chroot --userspec=$U1:$U1 "$J" "$R/bin/$SA" /bin/ls /home 2>"$W/err"); RC=$?
ERR=$(cat "$W/err")
expect "5: a launch from a chroot jail (with /proc) is refused, one line" eval \
	'[ "$RC" = 125 ] && [ -z "$OUT" ] && [ "$ERR" = "vsys: refused in a chroot: the root directory is not the host'"'"'s" ]'
umount -l "$J/proc" && unset 'UNDO[-1]'
OUT=$(timeout 20 chroot --userspec=$U1:$U1 "$J" "$R/bin/$SA" /bin/ls /home 2>"$W/err"); RC=$?
# (without /proc the ASan build's runtime, before main(), warns that it
# cannot read /proc/self/exe and that false positives may follow: those
# lines are the sanitizer's, not the launcher's, and are left out here)
if [ "$SANITIZE" = 1 ]; then
	ERR=$(grep -Ev '^==[0-9]+==|^False positive error reports may follow$|^For details see https://github.com/google/sanitizers/' "$W/err")
else
	ERR=$(cat "$W/err")
fi
# (the check enters the caller's own mount namespace through a pidfd, which
# needs no /proc: the same line; where the pidfd way is not there it falls
# back to /proc/self/ns/mnt and refuses with "cannot check" (seen with the
# ASan build))
expect "5: ...and without /proc in the jail, refused with one line" eval \
	'[ "$RC" = 125 ] && [ -z "$OUT" ] && { [ "$ERR" = "vsys: refused in a chroot: the root directory is not the host'"'"'s" ] || has "$ERR" "vsys: cannot check the root directory"; }'
umount -R -l "$J$R" && umount -l "$J/usr" && unset 'UNDO[-1]' && unset 'UNDO[-1]'
# 6: no privileged wait on the caller's fds: stdin on a FUSE file whose poll never answers
mkdir -p "$W/fuse"
"$XEXEC" fusestall "$W/fuse" 12 >"$W/fuse.log" 2>&1 &
fusepid=$!
for _ in $(seq 50); do grep -qs ready "$W/fuse.log" && break; sleep 0.1; done
if grep -q ready "$W/fuse.log"; then
	t0=$(date +%s%N)
	timeout 8 "$XEXEC" -u $U1 -c $H1/vlt-work -e PATH=/usr/bin:/bin "$R/bin/$SA" /bin/echo not-stalled \
		<"$W/fuse/f" >"$W/out" 2>"$W/err"
	RC=$?
	t1=$(date +%s%N)
	OUT=$(cat "$W/out")
	expect "6: stdin on a stalled FUSE file does not hold the launcher ($(((t1 - t0) / 1000000)) ms)" eq "$RC:$OUT" "0:not-stalled"
else
	bad "6: FUSE test server" "$(cat "$W/fuse.log")"
fi
kill $fusepid 2>/dev/null
wait $fusepid 2>/dev/null
umount -l "$W/fuse" 2>/dev/null
# 9: the root getent(1) child gets none of the caller's process state: a
# launcher built from these sources with getent replaced by a probe
{
	echo '#!/bin/sh'
	echo "{ echo \"cwd=\$(pwd) core=\$(ulimit -c) umask=\$(umask)\"; grep -E '^(SigBlk|SigIgn):' /proc/self/status | tr -s '\\t' ' '; } >$W/probe.out"
	echo 'exec /usr/bin/getent "$@"'
} >"$W/getent-probe"
chmod 755 "$W/getent-probe"
mkdir -p "$W/nopw" && chmod 777 "$W/nopw"
if cc -std=gnu11 -O1 -D_GNU_SOURCE -DVSYS_ROOT="\"$R\"" -DVSYS_GETENT="\"$W/getent-probe\"" -I"$NATIVE" \
	-o "$W/probe-launcher" $(for f in launcher enter enter_own_ns userdb kmod_link mountinfo record names util; do
		[ -e "$NATIVE/$f.c" ] && echo "$NATIVE/$f.c"; done) 2>"$W/cc.err"; then
	cp -a "$R/bin/bin" "$W/bin.before-probe"
	UNDO+=("install -m 4755 -o root -g root $W/bin.before-probe $R/bin/bin")
	install -m 4755 -o root -g root "$W/probe-launcher" "$R/bin/bin"
	timeout 30 "$XEXEC" -m -U 54321:54321 -c "$W/nopw" -e PATH=/usr/bin:/bin /bin/sh -c \
		"ulimit -S -c unlimited 2>/dev/null || ulimit -S -c 1000; umask 077; trap '' INT QUIT; exec $R/bin/$SA /bin/true" \
		>"$W/out" 2>"$W/err" </dev/null
	install -m 4755 -o root -g root "$W/bin.before-probe" "$R/bin/bin" && unset 'UNDO[-1]'
	OUT=$(tr '\n' ' ' <"$W/probe.out" 2>/dev/null)
	expect "9: the getent child runs in /, core limit 0, umask 0022, no signal blocked or ignored" eq \
		"$OUT" "cwd=/ core=0 umask=0022 SigBlk: 0000000000000000 SigIgn: 0000000000000000 "
else
	bad "9: build of the probe launcher" "$(head -3 "$W/cc.err")"
fi

# ---- issue 12, finding 1: a restricted system's tree is reachable only through the launcher ----
# vlt-f (users=vsys-t2) has its own tree (SYSTEM_ID f); vsys-t1 may not enter it.
# Both link modes: on the host the tree is at R/.private/NAME (0700); in kmod mode the
# launched processes reach it behind the module's gate R/.root/.vsys/os/NAME (0500 root,
# open to the processes the launcher linked to NAME for their own user).
RUN $U1 / /bin/cat "$R/$SA/SYSTEM_ID"
expect "1: an open system's tree is readable at R/NAME (the control)" eq "$RC:$OUT" "0:a"
expect "1: a restricted system has no R/NAME; its tree is at R/.private/NAME, 0700 root" \
	eval '[ ! -e "$R/$SF" ] && [ "$(stat -c %a:%u "$R/.private")" = 700:0 ] && [ "$(cat "$R/.private/$SF/SYSTEM_ID")" = f ]'
# tree_out_of_reach LABEL DIR TREE: vsys-t1 can neither list DIR (the 0700 or 0500 directory
# above the restricted tree) nor read TREE through it, as itself or as root of an own user namespace
tree_out_of_reach() {
	RUN $U1 / /bin/ls "$2"
	expect "$1: a user cannot list $2" eval '[ "$RC" != 0 ] && has "$ERR" "Permission denied"'
	RUN $U1 / /bin/cat "$3/SYSTEM_ID"
	expect "$1: ...nor read the tree through it" eval '[ "$RC" != 0 ] && [ -z "$OUT" ] && has "$ERR" "Permission denied"'
	RUN $U1 / /usr/bin/unshare -r /bin/cat "$3/SYSTEM_ID"
	expect "$1: ...nor as root of an own user namespace" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
	RUN $U1 / /usr/bin/unshare -r /usr/sbin/chroot "$3" /bin/cat /SYSTEM_ID
	expect "$1: ...nor chroot into it as root of an own user namespace (unshare -r chroot)" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
}
tree_out_of_reach 1 "$R/.private" "$R/.private/$SF"
if [ "$LINK_MODE" = namespace ]; then
	RUN $U1 / /usr/bin/unshare -r /usr/bin/nsenter --mount="$R/.ns/$SF" /bin/cat /SYSTEM_ID
	expect "1: ...nor enter its prepared namespace from an own user namespace (nsenter R/.ns/NAME)" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
fi
RUN $U1 / /usr/bin/unshare -rm /bin/sh -c "mount --rbind $R/.private/$SF /mnt && cat /mnt/SYSTEM_ID"
expect "1: ...nor bind it elsewhere in an own mount namespace" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
RUN $U1 / /bin/ls "$R/.var/$SF/tmp"
expect "1: ...nor reach the system's /var/tmp (R/.var/NAME is 0700 for a restricted system)" eval '[ "$RC" != 0 ] && has "$ERR" "Permission denied"'
if [ "$LINK_MODE" = kmod ]; then
	G=$R/.root/.vsys/os/$SF
	expect "1 (kmod): the tree is behind the module's gate: no R/.root/.os/NAME, R/.root/.vsys/os/NAME 0500 root" \
		eval '[ ! -e "$R/.root/.os/$SF" ] && [ "$(stat -c %a:%u "$G")" = 500:0 ] && [ "$(cat "$G/root/SYSTEM_ID")" = f ]'
	tree_out_of_reach "1 (kmod), the gate" "$G" "$G/root"
	# the shared tree as an own root, with a static busybox of the user's (nothing else runs in there:
	# every system directory goes through the user's own link, the default)
	BB=$H1/vlt-work/busybox
	cp /bin/busybox "$BB" && chown $U1: "$BB"
	RUN $U1 / /usr/bin/unshare -r /usr/sbin/chroot "$R/.root" "$BB" echo inside
	expect "1 (kmod): a user can chroot into the shared tree (unshare -r chroot R/.root, a static busybox: the control)" eq "$RC:$OUT" "0:inside"
	RUN $U1 / /usr/bin/unshare -r /usr/sbin/chroot "$R/.root" "$BB" cat /SYSTEM_ID
	expect "1 (kmod): ...but not follow the link there to the tree (the user's link is the default)" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
	RUN $U1 / /usr/bin/unshare -r /usr/sbin/chroot "$R/.root" "$BB" cat "/.vsys/os/$SF/root/SYSTEM_ID"
	expect "1 (kmod): ...nor pass the gate there" eval '[ "$RC" != 0 ] && [ -z "$OUT" ] && has "$ERR" "Permission denied"'
	rm -f "$BB"
	RUN $U1 / /bin/cat "$R/.root/.link/SYSTEM_ID"
	expect "1 (kmod): ...nor read through the link from the host" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
	RUN $U1 / /usr/bin/unshare -rm /bin/sh -c "mount --rbind $R/.root/.vsys /mnt && cat /mnt/os/$SF/root/SYSTEM_ID"
	expect "1 (kmod): ...nor bind the gate elsewhere in an own mount namespace" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
	# a link set by root, then the process became the user (runuser, su): the gate is shut
	OUT=$(sh -c 'echo "$1" >"$2/.root/.vsys/set" && exec setpriv --reuid="$3" --regid="$3" --clear-groups cat "$2/.root/.vsys/os/$1/root/SYSTEM_ID"' \
		sh $SF "$R" "$(id -u $U1)" 2>&1)
	RC=$?
	expect "1 (kmod): ...nor with a link root set for itself before becoming the user" eval '[ "$RC" != 0 ] && has "$OUT" "Permission denied"'
fi
RUN $U2 $H2/vlt-work "$R/bin/$SF" /bin/cat /SYSTEM_ID
expect "1: the listed user still runs in it through R/bin/NAME" eq "$RC:$OUT" "0:f"
timeout 30 "$XEXEC" -u $U2 -c $H2/vlt-work -e PATH=/usr/bin:/bin "$R/bin/$SF" /bin/sleep 20 </dev/null >/dev/null 2>&1 &
SLP=$!
UNDO+=("kill $SLP")
pid=
for _ in $(seq 100); do
	pid=$(pgrep -u $U2 -x sleep | head -n 1)
	if [ "$LINK_MODE" = kmod ]; then
		[ -n "$pid" ] && grep -q "^$pid $SF $(id -u $U2)\$" "$R/.root/.vsys/procs" && break
	else
		[ -n "$pid" ] && [ "$(readlink /proc/$pid/root 2>/dev/null)" = / ] &&
			[ "$(cat /proc/$pid/root/SYSTEM_ID 2>/dev/null)" = f ] && break
	fi
	pid=
	sleep 0.05
done
if [ -n "$pid" ]; then
	RUN $U1 / /bin/cat "/proc/$pid/root/SYSTEM_ID"
	expect "1: ...and another user cannot read the tree through /proc/PID/root of that user's process inside" \
		eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
	RUN $U1 / /bin/ls "/proc/$pid/cwd/"
	expect "1: ...nor through /proc/PID/cwd" eval '[ "$RC" != 0 ] && [ -z "$OUT" ]'
	if [ "$LINK_MODE" = kmod ]; then
		RUN $U2 $H2/vlt-work "$R/bin/$SF" /bin/readlink /.vsys/link
		expect "1 (kmod): ...whose link leads behind the gate (os/NAME/root)" eq "$RC:$OUT" "0:os/$SF/root"
	fi
else
	bad "1: a process of $U2 inside $SF" "not seen"
fi
kill $SLP 2>/dev/null
wait $SLP 2>/dev/null

# ---- issue 17: session layers (layer=session, namespace mode) --------------
# Each launch (and its children) gets its own tmpfs upper over the system's
# tree: the tree is never written, a write is gone after the launch, two
# launches at once do not see each other's, users write only as modes allow.
if [ "$LINK_MODE" = namespace ]; then
	say "# session layers"
	TA=$W/trees/a
	OUT=$(cd / && "$R/bin/$SL" /bin/sh -c 'echo s1 > /etc/vlt-sess && cat /etc/vlt-sess && mkdir /vlt-top && echo top > /vlt-top/f && cat /vlt-top/f' 2>&1)
	RC=$?
	expect "session: root inside writes /etc and the top level (the tree's own files)" eq "$RC:$(echo $OUT)" "0:s1 top"
	expect "session: ...and the tree, R/NAME and R/.root are not written" eval \
		'[ ! -e "$TA/etc/vlt-sess" ] && [ ! -e "$TA/vlt-top" ] && [ ! -e "$R/$SL/etc/vlt-sess" ] && [ ! -e "$R/.root/vlt-top" ]'
	OUT=$(cd / && "$R/bin/$SL" /bin/sh -c 'cat /etc/vlt-sess 2>&1; ls -d /vlt-top 2>&1; true')
	RC=$?
	expect "session: a write is gone after the launch (the next one sees the tree)" eval \
		'[ "$RC" = 0 ] && has "$OUT" "No such file" && [ "$(echo "$OUT" | grep -c "No such file")" = 2 ]'
	OUT=$(cd / && { "$R/bin/$SL" /bin/sh -c 'echo one > /etc/vlt-c; sleep 1.5; cat /etc/vlt-c; ls /etc | grep -c "^vlt-c"' &
	      "$R/bin/$SL" /bin/sh -c 'echo two > /etc/vlt-c; echo x > /etc/vlt-c2; sleep 1.5; cat /etc/vlt-c; ls /etc | grep -c "^vlt-c"'; wait; })
	expect "session: two launches at once each see only their own writes" eq "$(echo "$OUT" | sort | tr '\n' ' ')" "1 2 one two "
	rm -f /tmp/vsys-lt-kid
	OUT=$(cd / && "$R/bin/$SL" /bin/sh -c 'echo kept > /etc/vlt-kid; (sleep 1; cat /etc/vlt-kid > /tmp/vsys-lt-kid) >/dev/null 2>&1 & echo started')
	sleep 0.3
	"$R/bin/$SL" /bin/sh -c 'cat /etc/vlt-kid' >/dev/null 2>&1
	rc2=$?
	for _ in $(seq 50); do [ -s /tmp/vsys-lt-kid ] && break; sleep 0.1; done
	expect "session: a child left running keeps the layer after the launcher returned, other launches do not see it" \
		eval '[ "$OUT" = started ] && [ "$rc2" != 0 ] && [ "$(cat /tmp/vsys-lt-kid 2>/dev/null)" = kept ]'
	rm -f /tmp/vsys-lt-kid
	L "$R/bin/$SL" /bin/sh -c 'touch /etc/vlt-u 2>&1; echo "rc=$?"; echo mine > /srv/vlt-u1/f && cat /srv/vlt-u1/f'
	expect "session: a user cannot write /etc (modes), writes a directory of its own" eval \
		'has "$OUT" "Permission denied" && has "$OUT" "rc=1" && has "$OUT" mine && [ ! -e "$TA/etc/vlt-u" ] && [ ! -e "$TA/srv/vlt-u1/f" ]'
	L "$R/bin/$SL" /opt/suid-id -u
	expect "session: the overlay is nosuid like the tree (a setuid program runs as the caller)" eq "$RC:$OUT" "0:$(id -u $U1)"
	L "$R/bin/$SL" /bin/sh -c 'cat /SYSTEM_ID; id -un; pwd; grep -c . /proc/self/mountinfo >/dev/null && findmnt -n -o FSTYPE /'
	expect "session: the system's tree, host passwd, the caller's cwd, / is an overlay" eq "$RC:$(echo $OUT)" "0:a $U1 $H1/vlt-work overlay"
	L "$R/bin/$SL" /bin/sh -c 'echo v > /var/tmp/vsys-lt-sv; ls /home/'"$U1"'/vlt-work >/dev/null && echo home-ok'
	expect "session: the local parts are there (/var/tmp is the system's, /home the host's)" eval \
		'[ "$RC" = 0 ] && has "$OUT" home-ok && [ "$(cat "$R/.var/$SL/tmp/vsys-lt-sv" 2>/dev/null)" = v ]'
	rm -f "$R/.var/$SL/tmp/vsys-lt-sv"
	STDIN=<(printf 'echo "$0"; touch /etc/vlt-login 2>/dev/null || echo ro-for-user\n') L "$R/bin/$SL" -sh
	expect "session: -sh works (login shell)" eq "$RC:$(echo $OUT)" "0:-bash ro-for-user"
	expect "session: nothing of a session in the host's or the system's mount table" eval \
		'! grep -q "vsys-session" /proc/self/mountinfo && [ "$(nsenter --mount="$R/.ns/$SL" findmnt -n -o FSTYPE /)" != overlay ] &&
		 ! nsenter --mount="$R/.ns/$SL" grep -q vsys-session /proc/self/mountinfo'
fi

# ---- issue 15: on-demand systems (R/etc/automap/NAME and R/etc/ondemand/NAME) --
# The automount path itself is the VM's (tests/vm/steps/52-autofs-launch.sh); here, without autofs:
# an entry with its on-demand record is a system the launcher knows, refused in one line when nothing
# serves R/.auto; users=/groups= of the record refuse a user not listed before that (before any lookup
# under R/.auto: an unauthorised user causes no mount); an entry without its record, and an entry file
# or record that is not root's or is group/other writable, are refused as unsafe.
if [ "$LINK_MODE" = namespace ] && ! mountpoint -q "$R/.auto"; then
	say "# on-demand systems (no automounter here)"
	OD=vlt-od
	AM_MADE=0
	OR_MADE=0
	[ -d "$R/etc/automap" ] || { mkdir -m 755 "$R/etc/automap" && AM_MADE=1; }
	[ -d "$R/etc/ondemand" ] || { mkdir -m 755 "$R/etc/ondemand" && OR_MADE=1; }
	UNDO+=("rm -f $R/etc/automap/$OD $R/etc/ondemand/$OD $R/bin/$OD; [ $AM_MADE = 1 ] && rmdir $R/etc/automap; [ $OR_MADE = 1 ] && rmdir $R/etc/ondemand")
	printf '# origin=declared:/x\n-fstype=bind,ro,nosuid,nodev :%s\n' "$W/trees/a" >"$R/etc/automap/$OD"
	chmod 644 "$R/etc/automap/$OD"
	ln -sfn bin "$R/bin/$OD"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: an entry without its record is refused (its users= are not known)" \
		"$OD: on demand, but .*/etc/ondemand/$OD is missing"
	od_record() { # key=value lines of the record after version, name, state
		{ printf 'version=1\nname=%s\nstate=ready\nsetuid=no\n' "$OD"; printf '%s\n' "$@"; } >"$R/etc/ondemand/.$OD.tmp"
		chmod 644 "$R/etc/ondemand/.$OD.tmp" && mv "$R/etc/ondemand/.$OD.tmp" "$R/etc/ondemand/$OD"
	}
	od_record 'users=' 'groups='
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: refused in one line when no automounter serves R/.auto" "$OD: on demand, but no automounter serves $R/.auto\$"
	od_record "users=$U2"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand, users=: a user not listed is refused before the trigger" "$OD: permission denied for user $U1\$"
	od_record "groups=$TG"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand, groups=: a user in none of them is refused before the trigger" "$OD: permission denied for user $U1 \\(groups\\)"
	RUN $U2 $H2 "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand, groups=: a member gets as far as the trigger (at R/.private/.auto: restricted)" \
		"$OD: on demand, but no automounter serves $R/.private/.auto\$"
	od_record "users=$U1" "hostfiles=passwd" "cwd_fallback=yes" "bind=/srv"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand, users=: a listed user gets as far as the trigger (at R/.private/.auto: restricted)" \
		"$OD: on demand, but no automounter serves $R/.private/.auto\$"
	chmod 664 "$R/etc/ondemand/$OD"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: a group-writable record is refused" "ondemand/$OD: "
	chmod 644 "$R/etc/ondemand/$OD"
	chown $U1 "$R/etc/ondemand/$OD"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: a record not owned by root is refused" "ondemand/$OD: "
	chown root "$R/etc/ondemand/$OD"
	mv "$R/etc/ondemand/$OD" "$R/etc/ondemand/.$OD.real"
	ln -s ".$OD.real" "$R/etc/ondemand/$OD"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: a symlink as the record is refused" "ondemand/$OD: "
	rm -f "$R/etc/ondemand/$OD" && mv "$R/etc/ondemand/.$OD.real" "$R/etc/ondemand/$OD"
	od_record "users=$U1" "cwd_fallback=maybe"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: a corrupt record is refused" "ondemand/$OD: corrupt record: cwd_fallback is not yes or no"
	od_record "users=$U1"
	chmod 664 "$R/etc/automap/$OD"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: a group-writable entry file is refused" "automap/$OD: "
	rm -f "$R/etc/automap/$OD"
	L "$R/bin/$OD" "${TOUCH[@]}"
	refused "on demand: no entry, no record: no such system" "$OD: no such system"
	rm -f "$R/etc/ondemand/$OD"
fi

# ---- done -------------------------------------------------------------------
say "launcher: $PASS passed, $FAIL failed ($LINK_MODE mode)"
[ "$FAIL" = 0 ]
