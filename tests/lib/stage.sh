# tests/lib/stage.sh: the counters and the last line of a `tests/<stage>/run.sh` (test.sh's contract:
# exit non-zero on failure, `<stage>: N passed, M failed` last). Source it after common.sh with
# STAGE set; then ok, nok, finish, skip_or_fail (a skip is a failure under CI=true), and vsys_try.
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; }
finish() { echo "$STAGE: $PASS passed, $FAIL failed"; [ "$FAIL" = 0 ]; exit $?; }
skip_or_fail() {
    if [ "${CI:-}" = true ]; then nok "requirement: $1"; else echo "skip - $1"; fi
    finish
}
# the stage's common requirements: root, the installed vsys, the test users
require_installed_vsys() {
    is_root || skip_or_fail "must run as root"
    [ -x "$VSYS_PREFIX/bin/vsys" ] && [ -u "$VSYS_R/bin/bin" ] || skip_or_fail "vsys is not installed (./install.sh)"
    id -u "$VSYS_IT_USER" >/dev/null 2>&1 && id -u "$VSYS_IT_USER2" >/dev/null 2>&1 ||
        skip_or_fail "test users missing (make_test_users)"
}
# vsys, again while another vsys on this machine holds the lock too long (exit 14)
vsys_try() { local i rc; for i in 1 2 3 4 5; do vsys "$@"; rc=$?; [ $rc = 14 ] || return $rc; sleep 3; done; return $rc; }
# the cached Debian tree the `dir:` test systems are made of: TREE, SYS_VERSION, HOST_VERSION
use_cached_tree() {
    TREE=/var/cache/vsys/rootfs-bookworm-gcc
    [ -f "$TREE/etc/debian_version" ] || "$ROOT/tests/remote/remote.sh" tree >/dev/null ||
        skip_or_fail "no cached tree $TREE"
    SYS_VERSION=$(cat "$TREE/etc/debian_version")
    HOST_VERSION=$(cat /etc/debian_version)
}
# built_module OVERRIDE TARGET FILE: the front end to test: OVERRIDE (another build) if set, else
# native/build/FILE as `make TARGET` builds it for VSYS_R
built_module() {
    if [ -n "$1" ]; then echo "$1"; return 0; fi
    make -s -C "$ROOT/native" VSYS_ROOT="$VSYS_R" "$2" >/dev/null || return 1
    echo "$ROOT/native/build/$3"
}
