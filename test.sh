#!/bin/bash
# test.sh: the full vsys test suite, fail fast, as root on Debian 12.
#
# Stages, in order (a stage that fails stops the suite):
#   native      make -C native test
#   unit        mvn -B test
#   install     ./install.sh (PREFIX /usr/local, root /OS), test users, SSH remote up
#   it          mvn -B verify -Pit (integration tests as root against the installed vsys)
#   launcher    native/tests/view-race.sh, native/tests/launcher-tests.sh, again with SANITIZE=1, make -C native fuzz-run
#   exact pam slurm pull package
#               tests/<stage>/run.sh each (exact paths against schroot, logins through sshd+PAM,
#               a two-node Slurm, store pulls, the Debian package)
#   vm          tests/vm/run-suite.sh (NFS and the kernel module in a VM)
# Every stage first installs the Debian packages it needs that are missing (apt-get, like
# demo.sh), so that on a fresh machine `./demo.sh && ./test.sh` needs no other step. A stage
# whose packages cannot be installed fails, naming them.
# Teardown (always): destroy the systems the suite left, stop the remote.
# Under CI=true a skipped test fails its stage.
# The last line is `test.sh: N passed, M failed` counting stages.
#
# Environment: FUZZ_SECONDS (20), VSYS_TEST_ONLY="stage stage..." to run some stages only
# (setup stages they need still run), KEEP_REMOTE=1 to leave the remote up.
set -uo pipefail

cd "$(dirname "$0")"
TOP=$(pwd)
. tests/lib/common.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
LOGDIR=${LOGDIR:-$TOP/target/test-logs}
CI=${CI:-}
PASSED=0
FAILED=0
SUMMARY=()
T_ALL=$(now)

mkdir -p "$LOGDIR"
is_root || { echo "test.sh: must run as root (the suite mounts, installs a setuid launcher, starts sshd)" >&2; exit 1; }

SYSTEMS_BEFORE=$(vsys_systems)

teardown() {
    local s
    echo "== teardown"
    # only the suite's own systems (it-*: the integration tests); never anyone else's
    for s in $(vsys_systems); do
        case $s in it-*) ;; *) continue ;; esac
        if ! printf '%s\n' "$SYSTEMS_BEFORE" | grep -qx "$s"; then
            echo "destroying leftover test system $s"
            timeout 120 "$VSYS_PREFIX/bin/vsys" destroy --force "$s" ||
                timeout 120 "$VSYS_PREFIX/bin/vsys" destroy "$s" || true
        fi
    done
    if [ -z "${KEEP_REMOTE:-}" ]; then
        tests/remote/remote.sh down "$VSYS_IT_REMOTE" >/dev/null 2>&1 || true
    fi
}

finish() {
    local rc=$?
    trap - EXIT INT TERM
    teardown
    echo
    echo "== summary ($(elapsed "$T_ALL") s in all)"
    printf '  %s\n' "${SUMMARY[@]}"
    echo "test.sh: $PASSED passed, $FAILED failed"
    if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'echo "test.sh: interrupted"; FAILED=$((FAILED + 1)); exit 1' INT TERM

want() {   # is stage $1 selected?
    [ -z "${VSYS_TEST_ONLY:-}" ] && return 0
    case " $VSYS_TEST_ONLY " in *" $1 "*) return 0 ;; esac
    return 1
}

# stage NAME FUNCTION: run a stage, log to LOGDIR/NAME.log (also shown), fail fast
stage() {
    local name=$1 fn=$2 t0 rc
    want "$name" || { SUMMARY+=("$name: not selected"); return 0; }
    echo
    echo "== stage $name"
    t0=$(now)
    set -o pipefail
    ( set -e; stage_setup "$name"; "$fn" ) 2>&1 | tee "$LOGDIR/$name.log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
        PASSED=$((PASSED + 1))
        SUMMARY+=("$name: passed in $(elapsed "$t0") s")
        echo "== stage $name: passed ($(elapsed "$t0") s)"
    else
        FAILED=$((FAILED + 1))
        SUMMARY+=("$name: FAILED (exit $rc) in $(elapsed "$t0") s, log $LOGDIR/$name.log")
        echo "== stage $name: FAILED (exit $rc)"
        exit 1
    fi
}

# a Maven run whose skipped tests count as failures under CI=true
mvn_checked() {
    local log=$LOGDIR/mvn-$$.out
    mvn -Dstyle.color=never "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || return "$rc"
    if [ "$CI" = true ]; then
        local skipped
        skipped=$(grep -E '^\[(INFO|WARNING|ERROR)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" |
                  sed -E 's/.*Skipped: ([0-9]+)$/\1/' | awk '{ s += $1 } END { print s + 0 }')
        if [ "$skipped" -gt 0 ]; then
            echo "test.sh: $skipped test(s) skipped: under CI=true a skipped test is a failure" >&2
            return 1
        fi
    fi
    rm -f "$log"
}

# the Debian packages each stage needs (installed by stage() when missing; the stages' own
# scripts, tests/*/run.sh and tests/vm/run-suite.sh, also ensure theirs)
stage_packages() {
    case $1 in
        native)   echo gcc make libc6-dev ;;
        unit)     echo openjdk-17-jdk-headless maven gcc make libc6-dev mandoc ;;
        install)  echo openjdk-17-jdk-headless maven gcc make libc6-dev mandoc sshfs fuse3 util-linux \
                       mount iproute2 procps psmisc openssh-server openssh-client debootstrap \
                       ca-certificates passwd ;;
        it)       echo coreutils findutils gawk file acl busybox-static strace systemd man-db ;;
        launcher) echo gcc make libc6-dev strace gdb busybox-static clang afl++ libclang-rt-14-dev ;;
        vm)       echo qemu-system-x86 busybox-static nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common \
                       libnfs-utils cpio xz-utils zstd kmod autofs slurmctld slurmd slurm-client munge libslurm-dev ;;
        *)        ;;
    esac
}

# install what stage $1 needs; one line naming what could not be had
stage_setup() {
    local pkgs
    pkgs=$(stage_packages "$1")
    [ -n "$pkgs" ] || return 0
    # shellcheck disable=SC2086
    if ! apt_ensure $pkgs; then
        echo "test.sh: stage $1: could not install the packages it needs: $pkgs" >&2
        return 1
    fi
}

s_native() {
    make -C native test
}

s_unit() {
    mvn_checked -B test
}

s_install() {
    ./install.sh
    # logs of it-* systems left by versions of vsys that kept them (BadInputIT compares /OS)
    rm -f /OS/.state/it-*.log
    make_test_users
    tests/remote/remote.sh up "$VSYS_IT_REMOTE"
}

s_it() {
    export VSYS_IT_REMOTE VSYS_IT_USER VSYS_IT_USER2 VSYS_IT_GROUP
    export VSYS_IT_VSYS=$VSYS_PREFIX/bin/vsys
    mvn_checked -B verify -Pit
}

s_launcher() {
    local ran=0
    if [ -x native/tests/launcher-tests.sh ]; then
        native/tests/view-race.sh
        native/tests/shared-roots.sh
        native/tests/launcher-tests.sh
        SANITIZE=1 native/tests/launcher-tests.sh
        ran=1
    else
        echo "native/tests/launcher-tests.sh not present"
    fi
    if grep -q '^fuzz-run:' native/Makefile 2>/dev/null; then
        make -C native fuzz-run FUZZ_SECONDS="$FUZZ_SECONDS"
        ran=1
    else
        echo "make -C native fuzz-run: no such target"
    fi
    if [ "$ran" = 0 ] && [ "$CI" = true ]; then
        echo "test.sh: no launcher tests and no fuzz target: under CI=true this is a failure" >&2
        return 1
    fi
}

s_vm() {
    if [ -x tests/vm/run-suite.sh ]; then
        tests/vm/run-suite.sh
    elif [ -f tests/vm/run-suite.sh ]; then
        bash tests/vm/run-suite.sh
    else
        echo "tests/vm/run-suite.sh not present: VM suite not run"
    fi
}

# a stage of its own folder: tests/NAME/run.sh (its last line `NAME: N passed, M failed`)
s_dir() {
    local name=$1
    if [ -x "tests/$name/run.sh" ]; then
        "tests/$name/run.sh"
    elif [ -f "tests/$name/run.sh" ]; then
        bash "tests/$name/run.sh"
    else
        echo "tests/$name/run.sh not present: stage $name not run"
        [ "$CI" != true ] || { echo "test.sh: under CI=true a stage that runs nothing is a failure" >&2; return 1; }
    fi
}
s_exact()   { s_dir exact; }
s_pam()     { s_dir pam; }
s_slurm()   { s_dir slurm; }
s_pull()    { s_dir pull; }
s_package() { s_dir package; }

stage native   s_native
stage unit     s_unit
# the integration and launcher stages need the install stage
if [ -n "${VSYS_TEST_ONLY:-}" ] && ! want install &&
   { want it || want launcher || want exact || want pam || want slurm || want pull || want package; }; then
    VSYS_TEST_ONLY="$VSYS_TEST_ONLY install"
fi
stage install  s_install
stage it       s_it
stage launcher s_launcher
stage exact    s_exact
stage pam      s_pam
stage slurm    s_slurm
stage pull     s_pull
stage package  s_package
stage vm       s_vm
exit 0
