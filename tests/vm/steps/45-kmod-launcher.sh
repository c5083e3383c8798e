#!/bin/bash
# Guest step: the launcher's whole test suite (native/tests/launcher-tests.sh:
# identity, cwd, exit codes, propagation, attacks) in the kmod link mode.
#
# Runs as root in the guest (tests/vm/vm.sh run), cwd = the project. Uses the
# host's build (native/build: the launcher compiled for R=/OS, vsys-view) and
# the module built for the guest kernel (kmod/vsyslink.ko; `make -C kmod` on
# the host, as kmod/tests/vm-run.sh does). The guest gets a fresh /OS (a tmpfs
# over whatever the host's tree or an earlier step left there) with the
# launcher installed setuid root and vsys.conf saying link=kmod; everything is
# undone at the end. Prints "kmod-launcher: N passed, M failed".
#
# A numbered step, so tests/vm/run-suite.sh runs it in CI after the module's
# own steps (about 110 s of the TCG guest; the suite's guest bound is sized for
# it). Alone:
#   tests/vm/vm.sh run tests/vm/steps/45-kmod-launcher.sh      (or kmod/tests/vm-run.sh)
set -u
P=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$P" || exit 1
R=/OS
VIEW=$P/native/build/vsys-view
LOADED_HERE=0
OS_MOUNTED=0
say() { echo "kmod-launcher: $*"; }
result() { say "$1 passed, $2 failed"; [ "$2" = 0 ]; exit $?; }

cleanup() {
	[ "$OS_MOUNTED" = 1 ] || return 0
	"$VIEW" shared-down >/dev/null 2>&1 || say "shared-down failed"
	umount -R -l "$R" 2>/dev/null
	if [ "$LOADED_HERE" = 1 ]; then rmmod vsyslink 2>/dev/null || say "rmmod vsyslink refused (in use)"; fi
}
trap cleanup EXIT

[ -x native/build/vsys-launcher ] && [ -x "$VIEW" ] || { say "no host build in native/build (make -C native)"; result 0 1; }
if ! grep -q '^vsyslink ' /proc/modules; then
	[ -f kmod/vsyslink.ko ] || { say "no kmod/vsyslink.ko (make -C kmod on the host)"; result 0 1; }
	insmod kmod/vsyslink.ko || { say "insmod kmod/vsyslink.ko failed"; result 0 1; }
	LOADED_HERE=1
fi

# the suite's FUSE case (issue 12, finding 6) needs /dev/fuse: the guest loads no module by itself
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || say "modprobe fuse failed (the FUSE case will fail)"
mkdir -p "$R"
mount -t tmpfs -o mode=0755 vsys-kmod-os "$R" || { say "tmpfs on $R"; result 0 1; }
OS_MOUNTED=1
install -d -m 0755 "$R/bin" "$R/etc" "$R/etc/systems" "$R/etc/aliases"
install -m 4755 -o root -g root native/build/vsys-launcher "$R/bin/bin"
# the launcher reads R/etc/vsys.conf while /etc/vsys/vsys.conf is absent (the guest's / is an
# overlay of the host's: removing it here leaves the host's)
rm -f /etc/vsys/vsys.conf
printf 'link=kmod\naudit=yes\n' >"$R/etc/vsys.conf"
chmod 644 "$R/etc/vsys.conf"
"$VIEW" shared-up || { say "vsys-view shared-up (kmod) failed"; result 0 1; }
say "module $(grep '^vsyslink ' /proc/modules | cut -d' ' -f1-3), $R/.root/.vsys mounted, link=kmod"

t0=$(date +%s)
VSYS_VIEW=$VIEW LINK_MODE=kmod native/tests/launcher-tests.sh >/run/kmod-launcher.out 2>&1
rc=$?
sed 's/^/  /' /run/kmod-launcher.out
line=$(grep -E '^launcher: [0-9]+ passed, [0-9]+ failed' /run/kmod-launcher.out | tail -n 1)
p=$(echo "$line" | sed -n 's/^launcher: \([0-9]*\) passed.*/\1/p')
f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
say "launcher-tests.sh took $(($(date +%s) - t0)) s (exit $rc)"
if [ -z "$p" ]; then result 0 1; fi
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
result "$p" "$f"
