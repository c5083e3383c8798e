#!/bin/bash
# tests/exact/run.sh - the same commands, as the same unprivileged user, through
# schroot(1) (Debian's, type=directory) and through /OS/bin/NAME, on the same tree:
# the answers must be the same, except for the documented differences below.
#
# Run as root. The tree is the cached debootstrap tree of tests/remote
# (/var/cache/vsys/rootfs-bookworm-gcc: minbase + gcc + libc6-dev; built by
# `tests/remote/remote.sh tree` when missing). vsys: `vsys -c x11-exact dir:TREE`
# (read-only bind). schroot: its own configuration, bound over /etc/schroot in a
# private mount namespace of this test's own (with tmpfs over /var/lib/schroot and
# /run/schroot), union-type=overlay so that what schroot copies into the chroot
# (passwd, group, resolv.conf) lands in a tmpfs, never in the cached tree.
# Nothing is left in the machine's /etc/schroot; the system is destroyed at exit.
#
# Documented differences (not compared, or compared in a weaker form):
# - the environment: schroot sets PATH, HOME, SHELL and its SCHROOT_* variables;
#   vsys passes the caller's environment and sets VSYS_SYSTEM. Only the system's
#   name is compared (${VSYS_SYSTEM:-$SCHROOT_CHROOT_NAME}, the chroot has the
#   system's name).
# - /usr read-only: vsys binds the tree read-only (EROFS, "Read-only file system");
#   schroot's overlay is writable by root, so the user gets EACCES. Compared: "not
#   writable".
# - ls -la /: the mount points of the local parts (/proc, /dev, /sys, /home, /tmp,
#   /run) show the mounted file system's link count, size and time, which differ
#   (schroot leaves /run the tree's; vsys mounts a tmpfs there). Compared: each
#   top-level name with its type and mode, and the symlinks' targets.
# - df: the file system of "/" is schroot's overlay and vsys's bind of the tree.
#   Compared: the mount point (df -P, findmnt --target).
#
# Then a real build, as a user would do it: GNU hello from `apt-get source hello`
# (fetched once into /var/cache/vsys/src-hello with a private deb-src list),
# `./configure && make && make check` in the user's home, in a tree with
# build-essential (/var/cache/vsys/rootfs-bookworm-build, debootstrapped once with
# --include=build-essential and cached), through schroot and then through
# /OS/bin/x11-exactb in the same directory: the same test results, the same
# behaviour of ./hello, the same absolute paths recorded in config.status, and no
# vsys-private name in config.status, config.log or the Makefile.
# VSYS_EXACT_BUILD=0 skips the build.
#
# Output: one line per command, then "exact: N passed, M failed".
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib/common.sh"
STAGE=exact
ROOT=$TOP
. "$TOP/tests/lib/stage.sh"   # vsys_try, ok, nok

R=$VSYS_R
NAME=x11-exact
TREE=${VSYS_EXACT_TREE:-/var/cache/vsys/rootfs-bookworm-gcc}
U=$VSYS_IT_USER
PASS=0
FAIL=0
W=
MADE=0

say() { printf '%s\n' "$*"; }
die() { say "exact: $*" >&2; say "exact: 0 passed, 1 failed"; exit 1; }
skip() {
	if [ "${CI:-}" = true ]; then die "cannot run under CI: $*"; fi
	say "exact: skipped: $*"; say "exact: 0 passed, 0 failed"; exit 0
}
cleanup() {
	[ "$MADE" = 1 ] && vsys_try -d "$NAME" >/dev/null 2>&1
	[ "${MADEB:-0}" = 1 ] && vsys_try -d "$NAME"b >/dev/null 2>&1
	[ -n "$W" ] && rm -rf "$W"
	[ -n "${UW:-}" ] && rm -rf "$UW"
}
trap cleanup EXIT

is_root || skip "must run as root"
command -v vsys >/dev/null || skip "vsys is not installed (./install.sh)"
apt_ensure schroot || die "apt-get install schroot failed"
if ! [ -x "$TREE/bin/sh" ] || ! [ -e "$TREE/usr/bin/gcc" ]; then
	"$TOP/tests/remote/remote.sh" tree >/dev/null || die "no tree at $TREE (tests/remote/remote.sh tree)"
fi
make_test_users

W=$(mktemp -d /tmp/vsys-exact.XXXXXX) && chmod 755 "$W" || die "mktemp"
# schroot's configuration, in the test's own directory
cp -a /etc/schroot "$W/schroot"
rm -f "$W/schroot/chroot.d/"* 2>/dev/null
: >"$W/schroot/schroot.conf"
cat >"$W/schroot/chroot.d/$NAME" <<EOF
[$NAME]
type=directory
directory=$TREE
union-type=overlay
users=$U
profile=default

[${NAME}b]
type=directory
directory=/var/cache/vsys/rootfs-bookworm-build
union-type=overlay
users=$U
profile=default
EOF
mkdir -p "$W/lib" "$W/run"

# the vsys system
if [ -e "$R/etc/systems/$NAME" ]; then vsys_try -d "$NAME" >/dev/null 2>&1; fi
vsys_try -c "$NAME" "dir:$TREE" >/dev/null 2>"$W/create.err" || die "vsys -c $NAME dir:$TREE: $(cat "$W/create.err")"
MADE=1

# the user's working directory
UW=/home/$U/x11-exact.$$
mkdir -p "$UW" && chown "$U:" "$UW"

# in_schroot CMD [CHROOT] / in_vsys CMD [SYSTEM]: run CMD (sh -c) as $U in $UW;
# sets OUT and RC
in_schroot() {
	OUT=$(unshare -m --propagation private /bin/sh -c '
		mount --bind "$1/schroot" /etc/schroot &&
		mount -t tmpfs -o mode=755 x11-schroot-lib /var/lib/schroot &&
		mkdir -p /var/lib/schroot/session /var/lib/schroot/mount /var/lib/schroot/union/underlay /var/lib/schroot/union/overlay &&
		mkdir -p /run/schroot && mount -t tmpfs -o mode=755 x11-schroot-run /run/schroot || exit 99
		cd "$2" && exec setpriv --reuid="$3" --regid="$3" --init-groups -- \
			env -i HOME="/home/$3" USER="$3" LOGNAME="$3" PATH=/usr/local/bin:/usr/bin:/bin \
			schroot -q -c "$4" -d "$2" -- /bin/sh -c "$5"' x11 "$W" "$UW" "$U" "${2:-$NAME}" "$1" 2>&1)
	RC=$?
}
in_vsys() {
	OUT=$(cd "$UW" && setpriv --reuid="$U" --regid="$U" --init-groups -- \
		env -i HOME="/home/$U" USER="$U" LOGNAME="$U" PATH=/usr/local/bin:/usr/bin:/bin \
		"$R/bin/${2:-$NAME}" /bin/sh -c "$1" 2>&1)
	RC=$?
}

# same DESCRIPTION CMD: both give the same output and exit status
same() {
	local d=$1 c=$2 so sr
	in_schroot "$c"
	so=$OUT sr=$RC
	in_vsys "$c"
	if [ "$sr" = 99 ]; then
		FAIL=$((FAIL + 1)); say "FAIL $d: schroot's namespace could not be set up"
	elif [ "$so" = "$OUT" ] && [ "$sr" = "$RC" ]; then
		PASS=$((PASS + 1)); say "ok   $d: [$(echo $OUT | cut -c1-100)] rc=$RC"
	else
		FAIL=$((FAIL + 1))
		say "FAIL $d"
		say "     schroot rc=$sr: $(echo $so | cut -c1-300)"
		say "     vsys    rc=$RC: $(echo $OUT | cut -c1-300)"
	fi
}

t0=$(now)
in_schroot true
[ "$RC" = 0 ] || die "schroot does not run: $OUT"

# the issue's table
same "cd /usr/lib && pwd -P" 'cd /usr/lib && pwd -P'
same "readlink -f /bin/sh" 'readlink -f /bin/sh'
same "readlink -f /lib64/ld-linux-x86-64.so.2" 'readlink -f /lib64/ld-linux-x86-64.so.2'
same "stat -c %F /usr /etc /bin" 'stat -c %F /usr /etc /bin'
same "df -P /usr (mount point)" 'df -P /usr | awk "NR == 2 { print \$6 }"'
same "findmnt --target /etc (mount point)" 'findmnt -no TARGET --target /etc'
same "gcc -print-libgcc-file-name" 'gcc -print-libgcc-file-name'
same "ls -la / (names, types, modes, link targets)" \
	'for f in /* /.[!.]*; do [ -e "$f" ] || [ -L "$f" ] || continue; stat -c "%n %F %A" "$f"; [ -L "$f" ] && readlink "$f"; done; true'
# the caller
same "id" 'id'
same "pwd" 'pwd'
same "pwd -P, realpath ., /proc/self/cwd" 'pwd -P; realpath .; readlink /proc/self/cwd'
same "umask" 'umask'
same "ulimit -n" 'ulimit -n'
same "the system's name" 'echo "${VSYS_SYSTEM:-$SCHROOT_CHROOT_NAME}"'
same "/etc/os-release" 'grep ^PRETTY_NAME= /etc/os-release'
# exit codes
same "exit 0" 'exit 0'
same "exit 3" 'exit 3'
same "exit 255" 'exit 255'
same "false" 'false'
same "kill -TERM itself (shell reports 143)" 'sh -c "kill -TERM \$\$"; echo $?'
same "command not found inside (127)" 'x11-no-such-command 2>/dev/null'
# the local parts
same "/tmp writable" 'f=/tmp/x11-exact.$$; echo w >"$f" && cat "$f" && rm -f "$f"'
same "/tmp is the host's /tmp (1777)" 'stat -c %A /tmp'
same "/usr not writable" 'touch /usr/x11-exact 2>/dev/null && echo writable || echo not-writable'
same "/home is the host's" "ls -d $UW"
same "/proc/self/exe is the system's path" 'readlink /proc/self/exe'
# a compile and run in the user's home
same "gcc: compile and run" 'printf "#include <stdio.h>\nint main(void){puts(\"hi\");return 7;}\n" >t.c && gcc -o t t.c && ./t; echo "rc=$?"; rm -f t t.c'
same "gcc -v search paths" 'echo | gcc -E -Wp,-v - 2>&1 | grep "^ /"'

say "# $(elapsed "$t0") s"

# ---- a real build: GNU hello -------------------------------------------------
BTREE=/var/cache/vsys/rootfs-bookworm-build
SRC=/var/cache/vsys/src-hello
build_tree() {   # debootstrap once, in a temporary directory renamed into place
	local tmp
	[ -x "$BTREE/usr/bin/make" ] && [ -x "$BTREE/usr/bin/gcc" ] && return 0
	apt_ensure debootstrap || return 1
	tmp=$(mktemp -d /var/cache/vsys/.rootfs-build.XXXXXX) || return 1
	say "# building $BTREE (debootstrap --variant=minbase --include=build-essential bookworm)"
	if ! debootstrap --variant=minbase --include=build-essential bookworm "$tmp" \
		http://deb.debian.org/debian >/var/cache/vsys/debootstrap-build.log 2>&1; then
		rm -rf --one-file-system "$tmp"; return 1
	fi
	chmod 755 "$tmp" && mv -T "$tmp" "$BTREE"   # mktemp -d made it 0700
}
fetch_hello() {   # apt-get source --download-only, with a deb-src list of its own
	local o
	ls "$SRC"/hello_*.orig.tar.gz >/dev/null 2>&1 && return 0
	mkdir -p "$SRC/lists/partial" "$SRC/cache" || return 1
	echo 'deb-src http://deb.debian.org/debian bookworm main' >"$SRC/sources.list"
	o="-o Dir::Etc::SourceList=$SRC/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$SRC/lists -o Dir::Cache=$SRC/cache"
	# shellcheck disable=SC2086
	apt-get -q $o update >/dev/null 2>&1 && (cd "$SRC" && apt-get -q $o source --download-only hello >/dev/null 2>&1)
	ls "$SRC"/hello_*.orig.tar.gz >/dev/null 2>&1
}
if [ "${VSYS_EXACT_BUILD:-1}" = 0 ]; then
	say "# the hello build: skipped (VSYS_EXACT_BUILD=0)"
elif ! build_tree; then
	nok "a tree with build-essential at $BTREE" "debootstrap failed: /var/cache/vsys/debootstrap-build.log"
elif ! fetch_hello; then
	nok "apt-get source hello into $SRC" "the download failed"
else
	t1=$(now)
	[ -e "$R/etc/systems/${NAME}b" ] && vsys_try -d "${NAME}b" >/dev/null 2>&1
	vsys_try -c "${NAME}b" "dir:$BTREE" >/dev/null 2>"$W/create.err" || die "vsys -c ${NAME}b: $(cat "$W/create.err")"
	MADEB=1
	ORIG=$(ls "$SRC"/hello_*.orig.tar.gz | head -1)
	cp "$ORIG" "$UW/hello.orig.tar.gz" && chown "$U:" "$UW/hello.orig.tar.gz"   # the user's download
	BUILD='rm -rf hello && mkdir hello && cd hello && tar xzf ../hello.orig.tar.gz --strip-components=1 &&
		./configure >configure.out 2>&1 && make >make.out 2>&1 || { echo build-failed; tail -n 5 configure.out make.out; exit 1; }
		make check >check.out 2>&1; echo "check rc=$?"
		grep -E "^(# )?(TOTAL|PASS|FAIL|XFAIL|XPASS|SKIP|ERROR)(:| )" check.out | sort
		./hello; ./hello -t; ./hello -g "x11 greets"; ./hello --version | head -1; ./hello --no-such 2>&1; echo "rc=$?"'
	PATHS='cd hello && grep -ohE "(/[A-Za-z0-9._+-]+)+" config.status | sort -u | tr "\n" " "'
	PRIV='cd hello && grep -lE "/\.link|/OS/|/\.root|/\.ns/|/\.var/" config.status config.log Makefile; true'
	in_schroot "$BUILD" "${NAME}b"; sb=$OUT sbr=$RC
	in_schroot "$PATHS" "${NAME}b"; sp=$OUT
	cp "$UW/hello/hello" "$W/hello.schroot" 2>/dev/null
	in_vsys "$BUILD" "${NAME}b"; vb=$OUT vbr=$RC
	in_vsys "$PATHS" "${NAME}b"; vp=$OUT
	in_vsys "$PRIV" "${NAME}b"; vpriv=$OUT
	if [ "$sbr" = 0 ] && [ "$vbr" = 0 ] && [ "$sb" = "$vb" ] && grep -q "check rc=0" <<<"$vb"; then
		ok "hello: configure, make, make check: same test results and same ./hello behaviour [$(grep -E '^# (TOTAL|PASS)' <<<"$vb" | tr '\n' ' ')]"
	else
		nok "hello: configure, make, make check" "schroot rc=$sbr: $(echo $sb | cut -c1-300) / vsys rc=$vbr: $(echo $vb | cut -c1-300)"
	fi
	if [ -n "$vp" ] && [ "$sp" = "$vp" ]; then
		ok "hello: the absolute paths in config.status are those of the schroot build ($(wc -w <<<"$vp") paths)"
	else
		nok "hello: the absolute paths in config.status" "schroot: $(echo $sp | cut -c1-300) / vsys: $(echo $vp | cut -c1-300)"
	fi
	if [ -z "$vpriv" ]; then
		ok "hello: no vsys-private name in config.status, config.log, Makefile"
	else
		nok "hello: vsys-private names recorded in: $vpriv"
	fi
	if cmp -s "$W/hello.schroot" "$UW/hello/hello"; then
		say "# hello: the two binaries are byte-identical"
	else
		say "# hello: the two binaries differ in bytes (behaviour compared above)"
	fi
	say "# hello build: $(elapsed "$t1") s"
fi

say "exact: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
