# Sourced by the kmod guest steps (run as root inside the VM, cwd = project dir).
# Provides: ok/fail/check counters, summary, build, load/unload, and a fake
# vsys root R with the kmod-mode layout (see kmod/README.md):
#   R/.root            the shared tree: proc, dev, tmp, .vsys (vsyslink mount),
#                      .link -> .vsys/link, bin etc lib lib64 sbin usr -> .link/X
#   R/.root/.os/NAME   each system's tree (here: a bind of /usr + its own etc)
KT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KMOD=$(dirname "$KT")
R=${R:-/tmp/vsys-kmod-test}
LINKDIRS="bin etc lib lib64 sbin usr"
PASS=0 FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok: $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
# check DESC EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }
# expect_err DESC ERRTEXT CMD...: CMD must fail and print ERRTEXT on stderr
expect_err() {
	local d=$1 e=$2 out; shift 2
	if out=$("$@" 2>&1); then fail "$d: succeeded"; return; fi
	case $out in *"$e"*) ok "$d";; *) fail "$d: '$out' lacks '$e'";; esac
}
summary() {
	echo "kmod: $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

# Build the module and the test programs unless the host already did.
build() {
	if [ ! -f "$KMOD/vsyslink.ko" ] || [ "$KMOD/vsyslink.c" -nt "$KMOD/vsyslink.ko" ]; then
		make -s -C "$KMOD" modules >/dev/null || return 1
	fi
	local t
	for t in forkstorm linkbench; do
		[ -f "$KT/$t.c" ] || continue
		if [ ! -x "$KT/$t" ] || [ "$KT/$t.c" -nt "$KT/$t" ]; then
			make -s -C "$KMOD" "tests/$t" >/dev/null || return 1
		fi
	done
}

load() { insmod "$KMOD/vsyslink.ko" "$@"; }
unload() { rmmod vsyslink; }
loaded() { grep -q '^vsyslink ' /proc/modules; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$R/.root/.vsys/stats"; }

# make_system NAME: a small tree at R/.root/.os/NAME whose etc/marker is NAME
make_system() { make_system_at "$R/.root/.os/$1" "$1"; }
# make_system_at DIR NAME: the same tree at DIR
make_system_at() {
	local s=$1; set -- "$2"
	mkdir -p "$s/usr" "$s/etc" "$s/tmp"
	mount --bind /usr "$s/usr"
	mount -o remount,bind,ro "$s/usr"
	ln -sfn usr/bin "$s/bin"; ln -sfn usr/sbin "$s/sbin"
	ln -sfn usr/lib "$s/lib"; ln -sfn usr/lib64 "$s/lib64"
	echo "$1" > "$s/etc/marker"
	cp /etc/passwd /etc/group "$s/etc/"
}

# shared_up: the shared tree and the vsyslink mount (what vsys-view does)
shared_up() {
	local d
	mkdir -p "$R/.root"/{proc,dev,tmp,.vsys,.os}
	chmod 1777 "$R/.root/tmp"
	for d in $LINKDIRS; do ln -sfn ".link/$d" "$R/.root/$d"; done
	ln -sfn .vsys/link "$R/.root/.link"
	mount -t proc proc "$R/.root/proc"
	mount --rbind /dev "$R/.root/dev"
	mount -t vsyslink vsyslink "$R/.root/.vsys"
}

shared_down() {
	umount -R "$R/.root/dev" 2>/dev/null
	umount "$R/.root/proc" "$R/.root/.vsys" 2>/dev/null
	local s
	for s in "$R"/.root/.os/* "$R"/priv-*/*; do umount "$s/usr" 2>/dev/null; done
	rm -rf "$R"
}

# register NAME: the target string is relative to the vsyslink root, so it
# resolves to R/.root/.os/NAME both in the host and inside the chroot
register() { echo "add $1 ../.os/$1" > "$R/.root/.vsys/targets"; }

# in_sys NAME CMD...: what the launcher does (set the link, chroot, exec)
in_sys() {
	local n=$1; shift
	sh -c 'r=$2; echo "$1" > "$r/.root/.vsys/set" && shift 2 &&
		exec chroot "$r/.root" "$@"' sh "$n" "$R" "$@"
}
export R

# settle EXPECTED CMD...: poll CMD's output until it equals EXPECTED (at most
# 20 s; the guest is slow and shared), then print it either way
settle() {
	local want=$1 got i; shift
	for i in $(seq 80); do
		got=$("$@" 2>&1)
		[ "$got" = "$want" ] && break
		sleep 0.25
	done
	echo "$got"
}
