#!/bin/bash
# bench/run.sh: the vsys benchmark (issue 7). Not part of the test suite's pass/fail.
#
#   bench/run.sh [--quick] [--out FILE] [--systems N] [--keep-going]
#
#   --quick        a short run (few rounds, 1/10/30 systems): a smoke test of the harness
#   --out FILE     where the Markdown report goes (default: docs/BENCHMARKS.md of this tree)
#   --systems N    the largest number of systems to create (default 1000; --quick 30)
#   --create-budget S   stop creating systems after S seconds and measure at the count
#                  reached (default 1200); the report says so
#
# As root, on this machine only (no network traffic). It
#   1. installs bubblewrap schroot proot hyperfine time gcc from Debian if missing;
#   2. copies the cached debootstrapped tree (/var/cache/vsys/rootfs-bookworm-gcc, built by
#      tests/remote/remote.sh tree) or, if absent, a small tree made from host binaries, adds
#      2000 small files and a C program to it, and shows the same copy to every tool
#      (chroot, unshare -m chroot, bwrap, schroot [config in /etc/schroot/chroot.d], proot,
#      and vsys systems made with the real `vsys -c NAME dir:TREE`);
#   3. times whole commands with bench/launchbench.c (fork+exec+wait, A B C A B C ...
#      order, CLOCK_MONOTONIC) and writes the table to the report.
# Everything it makes (systems, bind mounts, schroot config, the user vsysbench, the work
# directory) is removed at the end, also on failure or Ctrl-C.
set -euo pipefail
umask 022

PROG=bench/run.sh
. "$(dirname "$0")/lib.sh"
SRC=$TOP
OUT=$SRC/docs/BENCHMARKS.md
QUICK=0
MAXSYS=
CREATE_BUDGET=1200
CMDLINE="bench/run.sh $*"
CACHE_TREE=/var/cache/vsys/rootfs-bookworm-gcc
R=/OS
BUSER=vsysbench

while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1; shift ;;
        --out) [ $# -ge 2 ] || die "--out needs a file"; OUT=$2; shift 2 ;;
        --systems) [ $# -ge 2 ] || die "--systems needs a number"; MAXSYS=$2; shift 2 ;;
        --create-budget) [ $# -ge 2 ] || die "--create-budget needs seconds"; CREATE_BUDGET=$2; shift 2 ;;
        -h|--help) bench_usage 24; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root "chroot, mounts, vsys -c"
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
cd /   # the launcher runs commands in the caller's cwd: / exists in every system

if [ "$QUICK" = 1 ]; then
    N_LAUNCH=40; T_LAUNCH=6; N_WORK=8; T_WORK=15; N_JVM=8; T_JVM=20; N_CD=3
    MAXSYS=${MAXSYS:-30}; MOUNT_STEPS="0 1000 3000"
else
    N_LAUNCH=300; T_LAUNCH=40; N_WORK=30; T_WORK=60; N_JVM=30; T_JVM=60; N_CD=10
    MAXSYS=${MAXSYS:-1000}; MOUNT_STEPS="0 1000 3000"
fi
case $MAXSYS in ''|*[!0-9]*) die "--systems: a number, please" ;; esac
[ "$MAXSYS" -ge 1 ] || die "--systems: at least 1"
SYS_STEPS=$(printf '%s\n' 1 $((MAXSYS / 10)) "$MAXSYS" | awk '$1 >= 1 && !seen[$1]++' | sort -n | tr '\n' ' ')
SYS_STEPS=${SYS_STEPS% }
SYS_MAX=${SYS_STEPS##* }

# --- 1. tools -------------------------------------------------------------------------------
need_pkgs=()
for pc in bubblewrap:bwrap schroot:schroot proot:proot hyperfine:hyperfine time:/usr/bin/time gcc:gcc; do
    p=${pc%%:*} c=${pc#*:}
    command -v "$c" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    say "installing from Debian: ${need_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >/dev/null; } ||
        die "could not install ${need_pkgs[*]}"
fi

# --- the state we create, and its removal ------------------------------------------------------
WORK=$(mktemp -d /var/tmp/vsys-bench.XXXXXX)
chmod 0755 "$WORK"
TAG=$(basename "$WORK" | sed 's/.*\.//' | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')
SYSPFX=vb$TAG-                  # our systems: vb<tag>-0001 ...
SCH=vsysbench-$TAG              # our schroot chroots
SCHCONF=/etc/schroot/chroot.d/$SCH
CREATED=$WORK/created           # one system name per line, as created
MOUNTED_N=0                     # extra bind mounts currently made under $WORK/mnt
USER_MADE=0
: >"$CREATED"

VSYS=$(bench_vsys)   # VSYS_CMD: another vsys wrapper (for testing the harness)
destroy_all() {   # destroy our systems, newest first; appends timing to $WORK/destroy.times
    local n
    [ -s "$CREATED" ] && [ -n "$VSYS" ] || return 0
    say "destroying $(wc -l <"$CREATED") systems"
    tac "$CREATED" | xargs -P 2 -n 1 "$VSYS" -d >/dev/null 2>>"$WORK/destroy.err"
    while read -r n; do
        [ -e "$R/etc/systems/$n" ] && say "could not destroy $n (see $WORK/destroy.err); left in place"
    done <"$CREATED"
    : >"$CREATED"
}
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [ $rc -ne 0 ] && say "failed or interrupted (status $rc): cleaning up"
    destroy_all
    if [ "$MOUNTED_N" -gt 0 ]; then umount -l "$WORK/mnt"; fi
    # anything else still mounted below the work directory (deepest first)
    awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -f -- "$SCHCONF" "$SCHCONF-min"
    if [ "$USER_MADE" = 1 ]; then userdel "$BUSER" 2>/dev/null; fi
    # the work directory, unless something is still mounted below it
    if grep -q " $WORK[/ ]" /proc/self/mountinfo; then
        say "something is still mounted under $WORK: left in place"
    elif [ -n "${KEEP_WORK:-}" ]; then
        say "work directory kept: $WORK"
    else
        rm -rf --one-file-system -- "$WORK"
    fi
    exit $rc
}
bench_cleanup_on_exit cleanup

LB=$(bench_launchbench "$WORK")

# --- 2. the tree -----------------------------------------------------------------------------------
TREE=$WORK/tree
if [ -d "$CACHE_TREE/usr/bin" ]; then
    say "copying $CACHE_TREE to $TREE"
    cp -a --reflink=auto "$CACHE_TREE" "$TREE"
    TREE_DESC="copy of the cached debootstrapped tree \`$CACHE_TREE\` (Debian 12 minbase + gcc, $(du -sh "$TREE" | cut -f1), $(find "$TREE" -xdev | wc -l) entries)"
else
    say "no cached tree at $CACHE_TREE: making a small tree from host binaries (run tests/remote/remote.sh tree for the full one)"
    mkdir -p "$TREE"/{bin,dev,etc,proc,sys,tmp,home,usr,var/tmp,run}
    chmod 1777 "$TREE/tmp" "$TREE/var/tmp"
    for b in /bin/true /bin/sh /bin/cat /usr/bin/find /bin/ls /usr/bin/id; do
        cp -L "$b" "$TREE/bin/"
        ldd "$b" 2>/dev/null | grep -o '/[^ ]*' | while read -r l; do
            mkdir -p "$TREE$(dirname "$l")"; cp -L "$l" "$TREE$l"
        done
    done
    mkdir -p "$TREE/usr/bin"; cp -a "$TREE/bin/." "$TREE/usr/bin/"
    cp -a /dev/null /dev/zero "$TREE/dev/"
    touch "$TREE/etc/passwd" "$TREE/etc/group" "$TREE/etc/hosts" "$TREE/etc/resolv.conf"
    TREE_DESC="small tree of host binaries (no cached tree at \`$CACHE_TREE\`; the compile case is skipped)"
fi
# the work files live under /opt (a directory every vsys system shows; a new top-level
# directory would not be visible through the shared tree)
BW=$TREE/opt/vsysbench
mkdir -p "$BW/files"
for i in $(seq -w 1 2000); do printf 'file %s of the benchmark: a small text file\n' "$i" >"$BW/files/f$i"; done
cat >"$BW/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct item { char name[32]; int n; };
static int cmp(const void *a, const void *b) { return ((const struct item *)a)->n - ((const struct item *)b)->n; }
int main(int argc, char **argv)
{
    struct item it[64];
    for (int i = 0; i < 64; i++) { snprintf(it[i].name, sizeof it[i].name, "item%d", i); it[i].n = (i * 37) % 64; }
    qsort(it, 64, sizeof it[0], cmp);
    printf("%s %d %s\n", it[0].name, argc, argc > 1 ? argv[1] : "");
    return strlen(it[63].name) > 100;
}
EOF
HAVE_GCC=0
[ -x "$TREE/usr/bin/gcc" ] || [ -L "$TREE/usr/bin/gcc" ] && HAVE_GCC=1

# --- the unprivileged caller of the launcher ---------------------------------------------------
if ! id "$BUSER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir / --shell /bin/sh "$BUSER"
    USER_MADE=1
fi

# --- schroot: the default profile (what `schroot -c` users get) and the minimal one ----------------
cat >"$SCHCONF" <<EOF
# made by vsys bench/run.sh; removed at its end
[$SCH]
description=vsys benchmark tree (default profile)
type=directory
directory=$TREE
users=root
root-users=root
profile=default
EOF
cat >"$SCHCONF-min" <<EOF
# made by vsys bench/run.sh; removed at its end
[$SCH-min]
description=vsys benchmark tree (minimal profile)
type=directory
directory=$TREE
users=root
root-users=root
profile=minimal
EOF
# the default profile copies /etc/resolv.conf, passwd, group... into the tree: the same for all

# --- vsys --------------------------------------------------------------------------------------------
HAVE_VSYS=0
if [ -n "$VSYS" ] && [ -u "$R/bin/bin" ]; then HAVE_VSYS=1; fi
JAVA_FLAGS= JAVA_CP= JAVA_MAIN=
if [ "$HAVE_VSYS" = 1 ]; then
    # the JVM flags of the installed wrapper (one `exec java FLAGS -cp 'CP' MAIN "$@"` line)
    wl=$(grep -m1 '^exec java ' "$VSYS" || true)
    JAVA_FLAGS=$(printf '%s\n' "$wl" | sed -n 's/^exec java \(.*\) -cp .*/\1/p')
    JAVA_CP=$(printf '%s\n' "$wl" | sed -n "s/.* -cp '\([^']*\)'.*/\1/p")
    JAVA_MAIN=$(printf '%s\n' "$wl" | sed -n "s/.* -cp '[^']*' \([^ ]*\) .*/\1/p")
    [ -n "$JAVA_CP" ] && [ -n "$JAVA_MAIN" ] || say "cannot parse the JVM line of $VSYS: the JVM variants are skipped"
fi
[ -n "$JAVA_FLAGS" ] || JAVA_FLAGS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"
# flags without an archive of their own (for the CDS variants)
JAVA_FLAGS_NOCDS=$(printf '%s\n' "$JAVA_FLAGS" | sed 's/ *-XX:SharedArchiveFile=[^ ]*//g')

sysname() { printf '%s%04d' "$SYSPFX" "$1"; }
NSYS=0
CREATE_LOG=$WORK/create.log   # "count seconds" per batch
create_to() {   # create systems until NSYS == $1 (or the budget runs out); logs the time taken
    # one at a time up to 100 systems (the "in a row" figure); beyond, two at a time in chunks
    # of 50 (2 cores: halves the wall time of 1000 JVM start-ups); the log says which
    local want=$1 t0 t1 n from=$NSYS mode=1 chunk k
    t0=$(date +%s.%N)
    [ "$want" -gt 100 ] && [ "$from" -ge 100 ] && mode=2
    while [ "$NSYS" -lt "$want" ]; do
        if [ "$mode" = 1 ]; then
            n=$(sysname $((NSYS + 1)))
            # others share this machine (package upgrades, installs): one retry
            "$VSYS" -c "$n" "dir:$TREE" >/dev/null 2>"$WORK/create.err" ||
                { sleep 2; [ -e "$R/etc/systems/$n" ] && "$VSYS" -d "$n" >/dev/null 2>&1; "$VSYS" -c "$n" "dir:$TREE" >/dev/null 2>"$WORK/create.err"; } ||
                { cat "$WORK/create.err" >&2; die "vsys -c $n dir:$TREE failed"; }
            echo "$n" >>"$CREATED"
            NSYS=$((NSYS + 1))
        else
            chunk=$((want - NSYS)); [ "$chunk" -le 50 ] || chunk=50
            : >"$WORK/chunk"
            for k in $(seq $((NSYS + 1)) $((NSYS + chunk))); do sysname "$k" >>"$WORK/chunk"; echo >>"$WORK/chunk"; done
            # record the names first: cleanup destroys whatever of them exists
            cat "$WORK/chunk" >>"$CREATED"
            if ! xargs -P 2 -I NAME "$VSYS" -c NAME "dir:$TREE" <"$WORK/chunk" >/dev/null 2>"$WORK/create.err"; then
                sleep 2   # one retry, one at a time, of what failed
                while read -r n; do
                    [ "$(sed -n 's/^state=//p' "$R/etc/systems/$n" 2>/dev/null)" = ready ] && continue
                    [ -e "$R/etc/systems/$n" ] && "$VSYS" -d "$n" >/dev/null 2>&1
                    "$VSYS" -c "$n" "dir:$TREE" >/dev/null 2>"$WORK/create.err" ||
                        { cat "$WORK/create.err" >&2; die "vsys -c $n dir:$TREE failed"; }
                done <"$WORK/chunk"
            fi
            NSYS=$((NSYS + chunk))
        fi
        if [ $((NSYS % 100)) = 0 ]; then say "  $NSYS systems"; fi
        if [ "$from" -gt 0 ] && awk -v a="$t0" -v b="$(date +%s.%N)" -v m="$CREATE_BUDGET" 'BEGIN{exit !(b-a>m)}'; then
            say "create budget of ${CREATE_BUDGET}s spent at $NSYS systems: stopping there"
            BUDGET_HIT=$NSYS
            break
        fi
    done
    t1=$(date +%s.%N)
    echo "$from $NSYS $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') $mode" >>"$CREATE_LOG"
}
BUDGET_HIT=

# --- measuring ----------------------------------------------------------------------------------------
RES=$WORK/res
mkdir -p "$RES"
LABELS=$WORK/labels            # label <TAB> the command as shown in the report
label() { printf '%s\t%s\n' "$1" "$2" >>"$LABELS"; }
: >"$LABELS"
# bset NAME [launchbench options] ::: LABEL CMD ... ::: ...
bset() {
    local name=$1; shift
    say "measuring: $name"
    # others work on this machine too (installs, tests): one retry of a failed set
    "$LB" -C / -o "$RES/$name.raw" "$@" >"$RES/$name.tsv" ||
        { say "measurement $name failed: once more"; sleep 2; "$LB" -C / -o "$RES/$name.raw" "$@" >"$RES/$name.tsv"; } ||
        die "measurement $name failed"
    column -t -s $'\t' "$RES/$name.tsv" | sed 's/^/    /' >&2
}
# value FIELD SET LABEL: a field of a result line (median_us, min_us, max_us, ratio, paired_ratio, maxrss_kb)
value() {
    awk -F'\t' -v f="$1" -v l="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) { h = $i; sub(/^#/, "", h); col[h] = i }; next }
        $1 == l { print $(col[f]); found = 1 } END { if (!found) print "" }' "$RES/$2.tsv" 2>/dev/null
}

T=$TREE
label chroot "chroot TREE /bin/true"
label vsys "/OS/bin/SYSTEM /bin/true (as user $BUSER)"
label vsys-root "/OS/bin/SYSTEM /bin/true (as root)"
label unshare "unshare -m chroot TREE /bin/true"
label bwrap "bwrap --bind TREE / /bin/true"
label schroot "schroot -c NAME -- /bin/true (profile default)"
label schroot-min "schroot -c NAME -- /bin/true (profile minimal)"
label proot "proot -r TREE /bin/true"
label true "/bin/true (no system, for scale)"

launch_cmds() {   # the launch case for system $1 ("" = none); extra labels in $2
    local s=$1 what=$2
    printf '%s\n' ::: chroot chroot "$T" /bin/true
    if [ -n "$s" ]; then printf '%s\n' ::: "vsys@$BUSER" "$R/bin/$s" /bin/true; fi
    case " $what " in *" vsys-root "*) [ -n "$s" ] && printf '%s\n' ::: vsys-root "$R/bin/$s" /bin/true ;; esac
    printf '%s\n' ::: unshare unshare -m chroot "$T" /bin/true ::: bwrap bwrap --bind "$T" / /bin/true
    case " $what " in *" schroot "*) printf '%s\n' ::: schroot schroot -c "$SCH" -- /bin/true ::: schroot-min schroot -c "$SCH-min" -- /bin/true ;; esac
    case " $what " in *" proot "*) printf '%s\n' ::: proot proot -r "$T" /bin/true ;; esac
    case " $what " in *" true "*) printf '%s\n' ::: true /bin/true ;; esac
}
launcher_id() {   # what is installed as the launcher now: its hash, and "asan" for a sanitizer build
    local a=""
    ldd "$R/bin/bin" 2>/dev/null | grep -q libasan && a=" asan"
    echo "$(sha256sum <"$R/bin/bin" | cut -c1-12)$a"
}
# test.sh installs an ASan/UBSan launcher for a while (SANITIZE=1) and reinstalls: a launch
# set counts only if the same non-sanitizer launcher was installed before and after it
guarded_bset() {   # guarded_bset NAME ARGS...: bset, redone (up to 4 times) until the launcher held still
    local name=$1 try id0 id1
    shift
    for try in 1 2 3 4; do
        id0=$(launcher_id)
        if [[ $id0 == *asan ]]; then say "the installed launcher is a sanitizer build (a test run?): waiting"; sleep 20; continue; fi
        bset "$name" "$@"
        id1=$(launcher_id)
        [ "$id0" = "$id1" ] && { echo "$id0" >"$RES/$name.launcher"; return 0; }
        say "the launcher was replaced during $name ($id0 -> $id1): measuring again"
    done
    say "the launcher never held still for $name: kept the last figures (see the note)"
    echo "$id0 -> $id1 (changed during the measurement)" >"$RES/$name.launcher"
}
run_launch() {   # run_launch SETNAME SYSTEM EXTRA...
    local name=$1 s=$2 cmds=()
    shift 2
    mapfile -t cmds < <(launch_cmds "$s" "$*")
    if [ -n "$s" ] && [[ " $* " == *" vsys-root "* ]]; then
        # root may be refused by design; keep the row only if it works
        if ! "$R/bin/$s" /bin/true >/dev/null 2>&1; then
            mapfile -t cmds < <(launch_cmds "$s" "${*//vsys-root/}")
            VSYS_ROOT_NOTE="refused for root (\`$("$R/bin/$s" /bin/true 2>&1 | head -n1)\`)"
        fi
    fi
    if [ -n "$s" ]; then guarded_bset "$name" -n "$N_LAUNCH" -w 5 -t "$T_LAUNCH" "${cmds[@]}"
    else bset "$name" -n "$N_LAUNCH" -w 5 -t "$T_LAUNCH" "${cmds[@]}"; fi
}
VSYS_ROOT_NOTE=

mountinfo_n() { wc -l </proc/self/mountinfo; }
# entries of our systems only (R/<our system>..., R/.ns/<our system>): the machine is shared,
# others may mount and unmount while this runs
mountinfo_ours() { awk -v a="$R/$SYSPFX" -v b="$R/.ns/$SYSPFX" 'index($5, a) == 1 || index($5, b) == 1' /proc/self/mountinfo | wc -l; }
mountinfo_shared() { awk -v a="$R/.root" '$5 == a || index($5, a "/") == 1' /proc/self/mountinfo | wc -l; }
MI_BEFORE=$(mountinfo_n)
MI_SHARED=$(mountinfo_shared)
declare -A MI_AT=() MI_IN=() MI_OURS=() STATUS_RC=()

FIRST=
if [ "$HAVE_VSYS" = 1 ]; then
    create_to 1
    FIRST=$(sysname 1)
    MI_AT[1]=$(mountinfo_n)
    MI_OURS[1]=$(mountinfo_ours)
    MI_IN[1]=$(setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups "$R/bin/$FIRST" /bin/cat /proc/self/mountinfo | wc -l)
    "$R/bin/$FIRST" /bin/true 2>/dev/null || true
    setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups "$R/bin/$FIRST" /bin/true ||
        die "the launcher fails for user $BUSER: $R/bin/$FIRST /bin/true"
else
    say "vsys is not installed (no vsys command or no setuid $R/bin/bin): measuring the comparison tools only"
fi

# --- case 1: launch, all tools, 0 extra mounts, 1 system ----------------------------------------
run_launch launch "$FIRST" vsys-root proot true
# schroot runs its setup scripts at every session (hundreds of ms): fewer rounds, a set of its own
bset launch-schroot -n "$N_WORK" -w 1 -t "$T_WORK" ::: chroot chroot "$T" /bin/true \
    ::: schroot schroot -c "$SCH" -- /bin/true ::: schroot-min schroot -c "$SCH-min" -- /bin/true

# --- case 2a: extra host mounts (binds of an empty directory under the work directory) -----------------
# (under a private self-bind of $WORK/mnt, so that nothing propagates: see launchbench.c)
mkdir -p "$WORK/mnt"
for m in $MOUNT_STEPS; do
    [ "$m" = 0 ] && continue
    MOUNTED_N=$m
    "$LB" --bind-many "$WORK/mnt" "$m" || die "cannot make $m bind mounts"
    run_launch "mounts$m" "$FIRST"
    "$LB" --umount-many "$WORK/mnt"; MOUNTED_N=0
done

# --- case 3: file work inside ----------------------------------------------------------------------------
# all three do the work as the unprivileged user: chroot(8) switches with --userspec
BUID=$(id -u "$BUSER") BGID=$(id -g "$BUSER")
work_cmds() {   # work_cmds KIND: chroot / vsys / proot doing the same work
    local kind=$1 c
    printf '%s\n' ::: chroot chroot "$T" /bin/true
    for c in chroot vsys proot; do
        [ "$c" = vsys ] && [ -z "$FIRST" ] && continue
        local pre=() lab=$c-$kind
        case $c in
            chroot) pre=(chroot --userspec="$BUID:$BGID" "$T") ;;
            vsys) pre=("$R/bin/$FIRST"); lab="$lab@$BUSER" ;;
            proot) pre=(proot -r "$T"); lab="$lab@$BUSER" ;;
        esac
        case $kind in
            find) printf '%s\n' ::: "$lab" "${pre[@]}" /usr/bin/find /usr/ /opt/vsysbench/ -xdev ;;
            cat) printf '%s\n' ::: "$lab" "${pre[@]}" /bin/sh -c 'cat /opt/vsysbench/files/*' ;;
            cc) printf '%s\n' ::: "$lab" "${pre[@]}" /usr/bin/gcc -O2 -pipe -o "/tmp/vsys-bench-$TAG-$c" /opt/vsysbench/prog.c ;;
        esac
    done
}
label chroot-find "chroot --userspec=U:G TREE find /usr/ /opt/vsysbench/ -xdev"
label vsys-find "/OS/bin/SYSTEM find /usr/ /opt/vsysbench/ -xdev"
label proot-find "proot -r TREE find /usr/ /opt/vsysbench/ -xdev"
label chroot-cat "chroot --userspec=U:G TREE sh -c 'cat /opt/vsysbench/files/*'"
label vsys-cat "/OS/bin/SYSTEM sh -c 'cat /opt/vsysbench/files/*'"
label proot-cat "proot -r TREE sh -c 'cat /opt/vsysbench/files/*'"
label chroot-cc "chroot --userspec=U:G TREE gcc -O2 -pipe -o /tmp/x /opt/vsysbench/prog.c"
label vsys-cc "/OS/bin/SYSTEM gcc -O2 -pipe -o /tmp/x /opt/vsysbench/prog.c"
label proot-cc "proot -r TREE gcc -O2 -pipe -o /tmp/x /opt/vsysbench/prog.c"
WORK_KINDS="find cat"
[ "$HAVE_GCC" = 1 ] && WORK_KINDS="$WORK_KINDS cc"
for k in $WORK_KINDS; do
    mapfile -t cmds < <(work_cmds "$k")
    if [ -n "$FIRST" ]; then guarded_bset "work-$k" -n "$N_WORK" -w 2 -t "$T_WORK" "${cmds[@]}"
    else bset "work-$k" -n "$N_WORK" -w 2 -t "$T_WORK" "${cmds[@]}"; fi
done
rm -f /tmp/vsys-bench-"$TAG"-* "$T"/tmp/vsys-bench-"$TAG"-*

# --- the JVM side: hello-world, AppCDS archives -----------------------------------------------------------
HAVE_JVM=0
PICOCLI=
if [ "$HAVE_VSYS" = 1 ] && [ -n "$JAVA_CP" ]; then
    for f in "${JAVA_CP%/\*}"/picocli-*.jar; do [ -f "$f" ] && PICOCLI=$f; done
fi
if [ -z "$PICOCLI" ]; then
    for f in ~/.m2/repository/info/picocli/picocli/*/picocli-*[0-9].jar; do [ -f "$f" ] && PICOCLI=$f; done
fi
if [ -n "$PICOCLI" ] && command -v javac >/dev/null; then
    mkdir -p "$WORK/hello/classes" "$WORK/hello/lib"
    javac -nowarn --release 17 -cp "$PICOCLI" -d "$WORK/hello/classes" "$BENCH/hello/Hello.java"
    jar cf "$WORK/hello/lib/hello.jar" -C "$WORK/hello/classes" .
    cp "$PICOCLI" "$WORK/hello/lib/"
    HAVE_JVM=1
    HCP="$WORK/hello/lib/*"
    # archives for hello (static, the mkcds.sh way; dynamic, the -XX:ArchiveClassesAtExit way)
    JAVA_FLAGS="$JAVA_FLAGS_NOCDS" "$BENCH/mkcds.sh" "$WORK/hello-static.jsa" "$HCP" Hello list >/dev/null
    # shellcheck disable=SC2086
    java $JAVA_FLAGS_NOCDS -XX:ArchiveClassesAtExit="$WORK/hello-dyn.jsa" -cp "$HCP" Hello list >/dev/null 2>&1
    PICO_SKIPPED=$(java $JAVA_FLAGS_NOCDS -XX:ArchiveClassesAtExit="$WORK/hello-dyn2.jsa" -Xlog:cds=warning -cp "$HCP" Hello list 2>&1 | grep -c 'Pre JDK 6 class' || true)
    PICO_LOADED=$(java $JAVA_FLAGS_NOCDS -Xlog:class+load=info -cp "$HCP" Hello list 2>/dev/null | grep -c ' picocli\.' || true)
    unzip -p "$PICOCLI" picocli/CommandLine.class >"$WORK/CommandLine.class"
    PICO_VERSION=$(od -An -j6 -N2 -tu1 "$WORK/CommandLine.class" | awk '{print $1*256+$2}')
    if [ "$HAVE_VSYS" = 1 ] && [ -n "$JAVA_CP" ]; then
        JAVA_FLAGS="$JAVA_FLAGS_NOCDS" "$BENCH/mkcds.sh" "$WORK/vsys-static.jsa" "$JAVA_CP" "$JAVA_MAIN" --help list >/dev/null
        # shellcheck disable=SC2086
        java $JAVA_FLAGS_NOCDS -XX:ArchiveClassesAtExit="$WORK/vsys-dyn.jsa" -cp "$JAVA_CP" "$JAVA_MAIN" list >/dev/null 2>&1
    fi
fi
label hello "java FLAGS -cp hello.jar:picocli.jar Hello list (no app archive)"
label hello-dyn "hello + dynamic AppCDS (-XX:ArchiveClassesAtExit)"
label hello-static "hello + static AppCDS (bench/mkcds.sh)"
label vsys-list "vsys list (the installed wrapper)"
label vsys-status "vsys status (the installed wrapper)"
label list-nocds "java FLAGS -cp CP Main list (no app archive)"
label list-dyn "... list + dynamic AppCDS"
label list-static "... list + static AppCDS (bench/mkcds.sh)"
label schroot-list "schroot --list"

jvm_set() {   # jvm_set SETNAME: CLI start-up at the current number of systems
    local name=$1 cmds=()
    # shellcheck disable=SC2206
    local F=($JAVA_FLAGS_NOCDS)
    cmds+=(::: chroot chroot "$T" /bin/true)
    cmds+=(::: hello java "${F[@]}" -cp "$HCP" Hello list)
    cmds+=(::: hello-static java "${F[@]}" -XX:SharedArchiveFile="$WORK/hello-static.jsa" -cp "$HCP" Hello list)
    if [ "$HAVE_VSYS" = 1 ]; then
        cmds+=(::: vsys-list "$VSYS" list)
        if [ -n "$JAVA_CP" ]; then
            cmds+=(::: list-nocds java "${F[@]}" -cp "$JAVA_CP" "$JAVA_MAIN" list)
            cmds+=(::: list-static java "${F[@]}" -XX:SharedArchiveFile="$WORK/vsys-static.jsa" -cp "$JAVA_CP" "$JAVA_MAIN" list)
        fi
    fi
    cmds+=(::: schroot-list schroot --list)
    # -e: list/status cover every system on the machine, also others' being made or removed
    bset "$name" -e -n "$N_JVM" -w 1 -t "$T_JVM" "${cmds[@]}"
    if [ "$HAVE_VSYS" = 1 ]; then
        # status probes every filesystem and scans /proc per system: slow at many systems,
        # so a set of its own with few rounds (one above 100 systems)
        local n=$N_CD w=1
        [ "$NSYS" -le 100 ] || { n=1; w=0; }
        bset "status$NSYS" -e -n "$n" -w "$w" ::: hello java "${F[@]}" -cp "$HCP" Hello list ::: vsys-status "$VSYS" status
    fi
}
if [ "$HAVE_JVM" = 1 ]; then
    cds_cmds=(::: hello java $JAVA_FLAGS_NOCDS -cp "$HCP" Hello list
              ::: hello-dyn java $JAVA_FLAGS_NOCDS -XX:SharedArchiveFile="$WORK/hello-dyn.jsa" -cp "$HCP" Hello list
              ::: hello-static java $JAVA_FLAGS_NOCDS -XX:SharedArchiveFile="$WORK/hello-static.jsa" -cp "$HCP" Hello list)
    if [ "$HAVE_VSYS" = 1 ] && [ -n "$JAVA_CP" ]; then
        cds_cmds+=(::: list-nocds java $JAVA_FLAGS_NOCDS -cp "$JAVA_CP" "$JAVA_MAIN" list
                   ::: list-dyn java $JAVA_FLAGS_NOCDS -XX:SharedArchiveFile="$WORK/vsys-dyn.jsa" -cp "$JAVA_CP" "$JAVA_MAIN" list
                   ::: list-static java $JAVA_FLAGS_NOCDS -XX:SharedArchiveFile="$WORK/vsys-static.jsa" -cp "$JAVA_CP" "$JAVA_MAIN" list)
    fi
    bset cds -e -n "$N_JVM" -w 1 -t "$T_JVM" "${cds_cmds[@]}"
fi

# --- case 5: vsys -c / vsys -d of a local tree, one at a time ----------------------------------------------
if [ "$HAVE_VSYS" = 1 ]; then
    cdname=${SYSPFX}cd
    label create "vsys -c NAME dir:TREE"
    label destroy "vsys -d NAME"
    bset createdestroy -n "$N_CD" -w 1 -t "$T_JVM" ::: hello java $JAVA_FLAGS_NOCDS -cp "$HCP" Hello list \
        ::: create "$VSYS" -c "$cdname" "dir:$TREE" ::: destroy "$VSYS" -d "$cdname"
fi

# --- case 4 and 2b: scaling with the number of systems ---------------------------------------------------
for s in $SYS_STEPS; do
    if [ "$HAVE_VSYS" = 1 ]; then
        [ "$s" -gt 1 ] && { say "creating systems up to $s"; create_to "$s"; }
        MI_AT[$NSYS]=$(mountinfo_n)
        MI_OURS[$NSYS]=$(mountinfo_ours)
        MI_SHARED=$(mountinfo_shared)
        MI_IN[$NSYS]=$(setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups "$R/bin/$FIRST" /bin/cat /proc/self/mountinfo | wc -l)
        run_launch "systems$NSYS" "$FIRST"
        [ "$HAVE_JVM" = 1 ] && jvm_set "cli$NSYS"
        [ -n "$BUDGET_HIT" ] && break
    else
        [ "$HAVE_JVM" = 1 ] && { jvm_set cli0; break; }
        break
    fi
done

# --- case 6: peak RSS ------------------------------------------------------------------------------------------
rss() {   # rss [--user] CMD...: median of 5 runs of /usr/bin/time -f %M (as $BUSER with --user)
    local i v=() pre=()
    if [ "$1" = --user ]; then pre=(setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups); shift; fi
    : >"$WORK/rss"; chown "$BUSER" "$WORK/rss"
    for i in 1 2 3 4 5; do
        v+=("$("${pre[@]}" /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1; tail -n1 "$WORK/rss")")
    done
    printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}
RSS_TRUE=$(rss /bin/true)
RSS_CHROOT=$(rss chroot "$T" /bin/true)
RSS_VSYS= RSS_VSYS_NOCMD=
if [ -n "$FIRST" ]; then
    for i in 1 2 3 4 5 6; do [[ $(launcher_id) == *asan ]] || break; say "sanitizer launcher installed: waiting"; sleep 20; done
    RSS_ID=$(launcher_id)
    RSS_VSYS=$(rss --user "$R/bin/$FIRST" /bin/true)
    RSS_VSYS_NOCMD=$(rss --user "$R/bin/$FIRST" /nonexistent-vsys-bench)
fi

# --- case 5: N in a row: destroy them all (timed), the creates were timed above ------------------------------------
# timed: up to DESTROY_TIMED in a row, newest first; the rest (if any) two at a time, untimed
DESTROY_N=0 DESTROY_S= DESTROY_TIMED=${DESTROY_TIMED:-100}
if [ "$HAVE_VSYS" = 1 ] && [ -s "$CREATED" ]; then
    DESTROY_N=$(wc -l <"$CREATED")
    [ "$DESTROY_N" -le "$DESTROY_TIMED" ] || DESTROY_N=$DESTROY_TIMED
    say "destroying $DESTROY_N systems in a row (timed)"
    tac "$CREATED" >"$WORK/destroy.order"
    head -n "$DESTROY_N" "$WORK/destroy.order" >"$WORK/destroy.timed"
    tail -n +"$((DESTROY_N + 1))" "$WORK/destroy.order" >"$WORK/destroy.rest"
    t0=$(date +%s.%N)
    while read -r n; do
        "$VSYS" -d "$n" >/dev/null 2>>"$WORK/destroy.err" || die "vsys -d $n failed: $(tail -n1 "$WORK/destroy.err")"
        grep -vxF "$n" "$CREATED" >"$CREATED.new" || true; mv "$CREATED.new" "$CREATED"
    done <"$WORK/destroy.timed"
    DESTROY_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
    if [ -s "$WORK/destroy.rest" ]; then
        say "destroying the other $(wc -l <"$WORK/destroy.rest") systems, two at a time"
        xargs -P 2 -n 1 "$VSYS" -d <"$WORK/destroy.rest" >/dev/null 2>>"$WORK/destroy.err" || true
        : >"$CREATED.left"
        while read -r n; do [ -e "$R/etc/systems/$n" ] && echo "$n" >>"$CREATED.left"; done <"$CREATED"
        mv "$CREATED.left" "$CREATED"   # cleanup() retries what is left
    fi
fi

# --- the report --------------------------------------------------------------------------------------------------
ms() { awk -v v="$1" 'BEGIN{ if (v == "") print "-"; else if (v >= 100000) printf "%.0f", v/1000; else if (v >= 10000) printf "%.1f", v/1000; else printf "%.2f", v/1000 }'; }
shown() { awk -F'\t' -v l="$1" '$1 == l { print $2; exit }' "$LABELS" | sed "s|TREE|DIR|g"; }
# rows SET [BASE]: a Markdown row per command of SET; BASE adds a column median/median(BASE)
rows() {
    local set=$1 base=${2:-} l med bmed
    [ -f "$RES/$set.tsv" ] || return 0
    bmed=
    [ -n "$base" ] && bmed=$(value median_us "$set" "$base")
    tail -n +2 "$RES/$set.tsv" | while IFS=$'\t' read -r l n med mn mx p25 p75 ratio pratio rss fails; do
        local c; c="\`$(shown "$l")\`"
        [ "${fails:-0}" = 0 ] || c="$c (non-zero exit in $fails runs)"
        printf '| %s | %s | %s–%s | %s | %s |' "$c" "$(ms "$med")" "$(ms "$mn")" "$(ms "$mx")" "$ratio" "$pratio"
        if [ -n "$base" ]; then
            printf ' %s |' "$(awk -v a="$med" -v b="$bmed" 'BEGIN{ if (b > 0) printf "%.3f", a/b; else print "-" }')"
        fi
        printf ' %s |\n' "$n"
    done
}
head_row() {   # head_row [BASE] [REF]: REF is the set's first command (default chroot /bin/true)
    local ref=${2:-chroot /bin/true}
    if [ -n "${1:-}" ]; then
        printf '| command | median ms | min–max ms | ratio vs %s | paired ratio | vs %s | n |\n|---|---:|---:|---:|---:|---:|---:|\n' "$ref" "$1"
    else
        printf '| command | median ms | min–max ms | ratio vs %s | paired ratio | n |\n|---|---:|---:|---:|---:|---:|\n' "$ref"
    fi
}
r3() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a != "" && b != "" && b > 0) printf "%.3f", a/b; else print "-" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN{ if (v == "-" || v == "") print "not measured"; else if (v <= t) print "**met**"; else printf "**missed** by %.0f%%\n", (v/t - 1) * 100 }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
{
    echo "# vsys benchmarks"
    echo
    echo "Generated by \`$CMDLINE\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Rerun it (as root) to replace the tables;"
    echo "the notes at the end (from \`bench/NOTES.md\`) describe the committed run."
    echo
    echo "- Machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
    echo "- Load: the CPUs are shared (other builds and a VM may run); hence paired, interleaved runs: each round runs every command of a table once, in order; \`paired ratio\` is the median over rounds of t(command)/t(chroot /bin/true) of the same round. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "- Tree (DIR): $TREE_DESC, plus \`/opt/vsysbench/files\` (2000 files of 50 bytes) and \`/opt/vsysbench/prog.c\`; every tool sees the same copy."
    echo "- Timer: \`bench/launchbench.c\` (fork + exec + wait4, CLOCK_MONOTONIC), children in \`/\`, stdio on /dev/null. Times are per whole command, in milliseconds."
    echo "- Versions (Debian packages): $(for p in bubblewrap schroot proot openjdk-17-jre-headless; do printf '%s %s, ' "$p" "$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo '?')"; done | sed 's/, $//')."
    if [ "$HAVE_VSYS" = 1 ]; then
        echo "- vsys: \`$VSYS\` (JVM flags \`$JAVA_FLAGS\`), launcher \`$R/bin/bin\` run as the unprivileged user \`$BUSER\` (the chroot family runs as root, as it must); systems \`vsys -c NAME dir:DIR\`. ${VSYS_ROOT_NOTE:+Launcher as root: $VSYS_ROOT_NOTE.}"
    else
        echo "- **vsys was not installed when this ran**: only the comparison tools were measured."
    fi
    if ls "$RES"/*.launcher >/dev/null 2>&1; then
        echo "- Launcher installed during each launch table (sha256 prefix; the machine is shared and test.sh reinstalls it, at times as an ASan build, which the harness waits out): $(for f in "$RES"/*.launcher; do printf '%s: %s; ' "$(basename "$f" .launcher)" "$(cat "$f")"; done | sed 's/; $//')."
    fi
    echo
    echo "## 1. Launch: \`/bin/true\` in the tree (0 extra mounts${FIRST:+, 1 system})"
    echo
    head_row; rows launch
    echo
    echo "schroot (its setup scripts run at every session; fewer rounds, a table of its own):"
    echo
    head_row; rows launch-schroot
    echo
    echo "## 2. Scaling: extra host mounts and number of systems"
    echo
    echo "Extra mounts: N bind mounts of an empty directory under the work directory (host namespace only; they do not propagate into the shared tree). Systems: N systems \`vsys -c\` of the same tree; the launched one is the first."
    echo
    echo "| point | host mountinfo lines | chroot ms | vsys ms | vsys / chroot (paired) | vsys vs base (normalised by chroot) | unshare -m / chroot | bwrap / chroot |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    base_pr=$(value paired_ratio launch vsys)
    scal_row() {   # scal_row SET TEXT MOUNTINFO
        local set=$1 pr
        [ -f "$RES/$set.tsv" ] || return 0
        pr=$(value paired_ratio "$set" vsys)
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" "$(ms "$(value median_us "$set" chroot)")" \
            "$(ms "$(value median_us "$set" vsys)")" "${pr:--}" "$(r3 "$pr" "$base_pr")" \
            "$(value paired_ratio "$set" unshare)" "$(value paired_ratio "$set" bwrap)"
    }
    mi0=${MI_AT[1]:-$MI_BEFORE}
    scal_row launch "0 extra mounts${FIRST:+, 1 system}" "$mi0"
    for m in $MOUNT_STEPS; do [ "$m" = 0 ] || scal_row "mounts$m" "$m extra mounts${FIRST:+, 1 system}" "$((mi0 + m))"; done
    for s in "${!MI_AT[@]}"; do echo "$s"; done | sort -n | while read -r s; do
        scal_row "systems$s" "$s system$([ "$s" = 1 ] || echo s)" "${MI_AT[$s]} (${MI_OURS[$s]} of these systems)"
    done
    echo
    echo "## 3. File work inside the system"
    echo
    echo "Each table: the same work, as the user \`$BUSER\` in all three (chroot with \`--userspec\`), through chroot, the vsys launcher and proot; \`vs chroot\` compares with chroot doing the same work."
    for k in $WORK_KINDS; do
        echo
        case $k in
            find) echo "### walk of the tree: \`find /usr/ /opt/vsysbench/ -xdev\` (output discarded)" ;;
            cat) echo "### \`cat\` of 2000 small files" ;;
            cc) echo "### a small C compile and link: \`gcc -O2 -pipe\` of a 15-line program" ;;
        esac
        echo
        head_row "chroot (same work)"; rows "work-$k" "chroot-$k"
    done
    if [ "$HAVE_JVM" = 1 ]; then
        echo
        echo "## 4. Admin CLI start-up"
        echo
        echo "\`hello\`: \`bench/hello/Hello.java\`, a picocli command with a \`list\` subcommand, built against the same picocli jar ($(basename "$PICOCLI")), run with the wrapper's JVM flags (\`$JAVA_FLAGS_NOCDS\`)."
        for s in "${!MI_AT[@]}" 0; do echo "$s"; done | sort -n | uniq | while read -r s; do
            [ -f "$RES/cli$s.tsv" ] || continue
            echo
            echo "### with $s system$([ "$s" = 1 ] || echo s) of this run (list and status show every system on the machine)"
            echo
            head_row "hello"; rows "cli$s" hello
            if [ -f "$RES/status$s.tsv" ]; then tail -n +3 "$RES/status$s.tsv" | while IFS=$'\t' read -r l n med mn mx p25 p75 ratio pratio rss fails; do
                printf '| `vsys status` (a set of its own: %s run(s) after hello%s) | %s | %s–%s | - | - | %s | %s |\n' "$n" \
                    "$([ "${fails:-0}" = 0 ] || echo "; non-zero exit in $fails runs")" "$(ms "$med")" "$(ms "$mn")" "$(ms "$mx")" "$ratio" "$n"
            done; fi
        done
        echo
        echo "### AppCDS (class-data archive, JDK 17)"
        echo
        echo "picocli's classes are class-file version $PICO_VERSION (Java 5); a run of hello loads $PICO_LOADED of them. A *dynamic* archive (\`-XX:ArchiveClassesAtExit\`) skips them ($PICO_SKIPPED warnings \`Pre JDK 6 class not supported by CDS\`), so they are still parsed and verified with the old type-inferencing verifier at every start. A *static* archive (\`-XX:DumpLoadedClassList\` then \`-Xshare:dump -XX:SharedClassListFile\`, what \`bench/mkcds.sh\` does) does store them on JDK 17."
        echo
        head_row "" "hello (no archive)"; rows cds
    fi
    if [ "$HAVE_VSYS" = 1 ]; then
        echo
        echo "## 5. \`vsys -c\` / \`vsys -d\` of a local tree"
        echo
        echo "One at a time (create and destroy alternate; hello is the JVM floor):"
        echo
        head_row "" "hello"; rows createdestroy
        echo
        echo "In a row:"
        echo
        echo "| what | systems | seconds | per system ms |"
        echo "|---|---:|---:|---:|"
        while read -r from to secs mode; do
            [ "$to" -gt "$from" ] || continue
            printf '| `vsys -c` from %s to %s systems%s | %s | %s | %.0f |\n' "$from" "$to" \
                "$([ "$mode" = 2 ] && echo ', two at a time (wall time)')" "$((to - from))" "$secs" "$(awk -v s="$secs" -v n="$((to - from))" 'BEGIN{print s*1000/n}')"
        done <"$CREATE_LOG"
        if [ -n "$DESTROY_S" ] && [ "$DESTROY_N" -gt 0 ]; then
            printf '| `vsys -d`, newest first (the first %s of them) | %s | %s | %.0f |\n' "$DESTROY_N" "$DESTROY_N" "$DESTROY_S" "$(awk -v s="$DESTROY_S" -v n="$DESTROY_N" 'BEGIN{print s*1000/n}')"
        fi
        [ -n "$BUDGET_HIT" ] && echo && echo "The create budget (${CREATE_BUDGET}s) ran out at $BUDGET_HIT systems: the largest point is $BUDGET_HIT, not $SYS_MAX."
    fi
    echo
    echo "## 6. Memory"
    echo
    echo "Peak RSS (\`/usr/bin/time -f %M\`, KiB, median of 5; it covers the process before and after exec):"
    echo
    echo "| command | peak RSS KiB |"
    echo "|---|---:|"
    echo "| \`/bin/true\` | $RSS_TRUE |"
    echo "| \`chroot DIR /bin/true\` | $RSS_CHROOT |"
    if [ -n "$RSS_VSYS" ]; then
        echo "| \`/OS/bin/SYSTEM /bin/true\` (as $BUSER) | $RSS_VSYS |"
        echo "| \`/OS/bin/SYSTEM /nonexistent\` (launcher alone: exec fails, exit 127) | $RSS_VSYS_NOCMD |"
        echo
        echo "(launcher \`$RSS_ID\`: the first 12 hex digits of its sha256)"
        echo
        echo "Kernel mount entries (lines of \`/proc/self/mountinfo\`):"
        echo
        echo "| systems | host namespace, all entries | host entries of these systems (\`$R/NAME\`, \`$R/.ns/NAME\`) | inside a system (\`/OS/bin/SYSTEM cat /proc/self/mountinfo\`) |"
        echo "|---:|---:|---:|---:|"
        echo "| 0 | $MI_BEFORE | 0 | - |"
        for s in "${!MI_AT[@]}"; do echo "$s"; done | sort -n | while read -r s; do
            echo "| $s | ${MI_AT[$s]} | ${MI_OURS[$s]} | ${MI_IN[$s]} |"
        done
        hi=$(for s in "${!MI_AT[@]}"; do echo "$s"; done | sort -n | tail -n1)
        echo
        echo "Per system: $(awk -v b="${MI_OURS[$hi]}" -v n="$hi" 'BEGIN{printf "%.2f", b/n}') host entries (at $hi systems); the shared tree \`$R/.root\` holds $MI_SHARED entries once for all systems. The host total also moves with what others on this machine mount meanwhile."
    fi
    echo
    echo "## Targets"
    echo
    echo "| target | measured | verdict |"
    echo "|---|---:|---|"
    if [ "$HAVE_VSYS" = 1 ]; then
        v=$(value paired_ratio launch vsys)
        echo "| launcher <= 1.0x \`chroot(8)\` (paired ratio, 0 mounts, 1 system) | ${v}x | $(verdict "$v" 1.0) |"
        for m in $MOUNT_STEPS; do
            [ "$m" = 0 ] && continue
            v=$(r3 "$(value paired_ratio "mounts$m" vsys)" "$base_pr")
            echo "| flat within 1.1x: $m extra mounts vs 0 (vsys/chroot ratio vs base) | ${v}x | $(verdict "$v" 1.1) |"
        done
        hi=$(for s in "${!MI_AT[@]}"; do echo "$s"; done | sort -n | tail -n1)
        v=$(r3 "$(value paired_ratio "systems$hi" vsys)" "$(value paired_ratio systems1 vsys)")
        echo "| flat within 1.1x: $hi systems vs 1 | ${v}x | $(verdict "$v" 1.1) |"
        for k in $WORK_KINDS; do
            v=$(r3 "$(value median_us "work-$k" "vsys-$k")" "$(value median_us "work-$k" "chroot-$k")")
            echo "| file work ($k) within 1.05x of chroot | ${v}x | $(verdict "$v" 1.05) |"
        done
        if [ "$HAVE_JVM" = 1 ]; then
            # the same JVM flags: if the wrapper uses an archive, hello gets its own archive too
            hb=hello hbt="hello (no archive; the wrapper has none)"
            case $JAVA_FLAGS in *SharedArchiveFile*) hb=hello-static hbt="hello with its own static archive (the wrapper has one)" ;; esac
            v=$(r3 "$(value median_us "cli$hi" vsys-list)" "$(value median_us "cli$hi" "$hb")")
            echo "| \`vsys list\` at $hi systems within 1.3x of $hbt | ${v}x | $(verdict "$v" 1.3) |"
        fi
    else
        echo "| all | vsys not installed | not measured |"
    fi
    if [ -f "$BENCH/NOTES.md" ]; then
        echo
        cat "$BENCH/NOTES.md"
    fi
} >"$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
say "report written to $OUT"
if [ -n "${BENCH_SAVE:-}" ]; then   # keep the raw figures (BENCH_SAVE=DIR)
    mkdir -p "$BENCH_SAVE" && cp -a "$RES" "$LABELS" "$CREATE_LOG" "$BENCH_SAVE/" 2>/dev/null || true
fi
