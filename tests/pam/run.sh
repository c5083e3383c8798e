#!/bin/bash
# tests/pam/run.sh: stage `pam`: pam_vsys.so in a real sshd (UsePAM yes, key-only logins) and in
# su -l / runuser -l, in a private mount namespace and a network namespace of the test's own
# (tests/pam/sshd-bed.sh; the machine's /etc/pam.d and /OS/etc/vsys.conf are never written).
# The user vsys-it logs in; the systems are `dir:` systems of the installed vsys (./install.sh).
#   ~/.vsys naming a system lands inside (its namespace, its /etc/debian_version, VSYS_SYSTEM);
#   no file: the default (vsys.conf default=, the module's default=), else the host; `host` stays;
#   the launcher and `vsys shell` without a name: VSYS, ~/.vsys, default=;
#   attacks on ~/.vsys and systems that are refused or down: host, the default (fail_to_default)
#   or a refused login (on_error=refuse), never half-entered; pamtester opens a session twice.
# Last line: `pam: N passed, M failed`. Under CI=true a missing requirement is a failure.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/common.sh"
. "$ROOT/tests/pam/sshd-bed.sh"

STAGE=pam
. "$ROOT/tests/lib/stage.sh"

require_installed_vsys
apt_ensure openssh-server openssh-client pamtester libpam0g-dev || skip_or_fail "cannot install sshd/pamtester"
# VSYS_PAM_MODULE: test that build instead of the tree's
PAM_MODULE=$(built_module "${VSYS_PAM_MODULE:-}" pam pam_vsys.so) || { nok "make -C native pam"; finish; }
use_cached_tree

U=$VSYS_IT_USER
UHOME=$(getent passwd "$U" | cut -d: -f6)
U2HOME=$(getent passwd "$VSYS_IT_USER2" | cut -d: -f6)
PA=x14-pa   # the user's choice
PB=x14-pb   # users=$VSYS_IT_USER2: refused to $U
PC=x14-pc   # the default
PD=x14-pd   # not prepared (down)
SAVED=

cleanup() {
    pam_bed_down
    local s
    for s in $PA $PB $PC $PD; do vsys_try destroy "$s" >/dev/null 2>&1 || true; done
    rm -f "$UHOME/.vsys" "$U2HOME/.vsys"
    [ -n "$SAVED" ] && mv -f "$SAVED" "$UHOME/.vsys"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if [ -e "$UHOME/.vsys" ] || [ -L "$UHOME/.vsys" ]; then SAVED=$UHOME/.vsys.x14-saved; mv -f "$UHOME/.vsys" "$SAVED"; fi

pam_bed_up || { nok "sshd test bed up"; finish; }
HOST_NS=$(readlink "/proc/$PAM_HOLDER/ns/mnt")
for s in $PA $PB $PC $PD; do vsys_try destroy "$s" >/dev/null 2>&1 || true; done
vsys_try create $PA "dir:$TREE" >/dev/null && vsys_try create $PC "dir:$TREE" >/dev/null &&
    vsys_try create $PB "dir:$TREE" --users="$VSYS_IT_USER2" >/dev/null && vsys_try create $PD "dir:$TREE" >/dev/null &&
    "$VSYS_PREFIX/lib/vsys/vsys-view" release $PD || { nok "vsys create the test systems"; finish; }
declare -A NS
for s in $PA $PB $PC; do
    pam_bed_bind_system "$s" || { nok "bind $s into the test namespace"; finish; }
    NS[$s]="mnt:[$(stat -L -c %i "$VSYS_R/.ns/$s")]"
done

PROBE='echo "$(id -u) $(cat /etc/debian_version) $(readlink /proc/self/ns/mnt) ${VSYS_SYSTEM:-none}"'
want_in() { echo "$(id -u "$U") $SYS_VERSION ${NS[$1]} $1"; }
want_host() { echo "$(id -u "$U") $HOST_VERSION $HOST_NS none"; }

# how USER logs in: ssh (through sshd), su (su -l), runuser (runuser -l)
login() {
    local how=$1
    case $how in
        ssh) timeout 20 nsenter --net="/run/netns/$PAM_NETNS" ssh -F "$PAM_DIR/ssh_config" "$U@127.0.0.1" "$PROBE" ;;
        su) timeout 20 nsenter -t "$PAM_HOLDER" -m -- su -l "$U" -c "$PROBE" ;;
        runuser) timeout 20 nsenter -t "$PAM_HOLDER" -m -- runuser -l "$U" -c "$PROBE" ;;
    esac
}

# expect HOW WHAT WANT: WANT = a system name, host, or refused
expect() {
    local how=$1 what=$2 want=$3 out rc
    out=$(login "$how" 2>"$PAM_DIR/err"); rc=$?
    case $want in
        refused)   # no shell ran; the user is told why in one line (sshd passes pam_error on)
            if [ $rc != 0 ] && ! grep -q "debian_version\|$SYS_VERSION\|$HOST_VERSION" <<<"$out" &&
                    [ "$(cat - "$PAM_DIR/err" <<<"$out" | grep -c '^vsys: ')" = 1 ]; then
                ok "$how: $what: login refused (exit $rc): $(cat - "$PAM_DIR/err" <<<"$out" | grep '^vsys: ')"; return
            fi ;;
        host)
            if [ $rc = 0 ] && [ "$out" = "$(want_host)" ]; then ok "$how: $what: on the host"; return; fi ;;
        *)
            if [ $rc = 0 ] && [ "$out" = "$(want_in "$want")" ]; then ok "$how: $what: inside $want"; return; fi ;;
    esac
    nok "$how: $what: want $want" "exit $rc, got '$out'" "$(head -c 600 "$PAM_DIR/err")"
}

as_user() { runuser -u "$1" -- sh -c "$2"; }
set_choice() { rm -f "$UHOME/.vsys"; as_user "$U" "printf '%s\n' '$1' > ~/.vsys"; }
no_choice() { rm -f "$UHOME/.vsys"; }

# --- without the module: the bed itself ----------------------------------------------------------
pam_bed_stack none
set_choice $PA
expect ssh "no pam_vsys in the stack, ~/.vsys=$PA" host

# --- selection ------------------------------------------------------------------------------------
pam_bed_stack ""
for how in ssh su runuser; do expect $how "~/.vsys names $PA" $PA; done
as_user "$U" "printf '%s\n%s\n' $PA $PC > ~/.vsys"
expect ssh "~/.vsys: its first line counts ($PA, then $PC)" $PA
no_choice
expect ssh "no ~/.vsys, no default" host
pam_bed_conf "default=$PC"
for how in ssh su; do expect $how "no ~/.vsys, vsys.conf default=$PC" $PC; done
set_choice host
expect ssh "~/.vsys says host, vsys.conf default=$PC" host
set_choice $PA
expect ssh "~/.vsys=$PA over vsys.conf default=$PC" $PA
no_choice
pam_bed_stack "default=$PA"
expect ssh "no ~/.vsys: the module's default=$PA over vsys.conf's $PC" $PA
pam_bed_stack "host_keyword=local"
set_choice local
expect ssh "host_keyword=local, ~/.vsys says local" host
pam_bed_stack "user_conf_file=.vsys-x14"
set_choice $PA
expect ssh "user_conf_file=.vsys-x14: ~/.vsys is not read (vsys.conf default=$PC)" $PC
pam_bed_conf

# --- the launcher and `vsys shell` without a name: VSYS, then ~/.vsys, then default= ----------------
LPROBE='echo "$(cat /etc/debian_version) $(readlink /proc/self/ns/mnt)"'
launch_as_u() { timeout 30 nsenter -t "$PAM_HOLDER" -m -- runuser -u "$U" -- "$@"; }
expect_launch() {   # expect_launch WHAT WANT(system|refused:LINE) CMD...
    local what=$1 want=$2 out rc; shift 2
    out=$("$@" 2>&1); rc=$?
    case $want in
        refused:*)
            if [ $rc = 125 ] && [ "$out" = "${want#refused:}" ]; then ok "$what: exit 125, '$out'"; return; fi ;;
        *)
            if [ $rc = 0 ] && [ "$out" = "$SYS_VERSION ${NS[$want]}" ]; then ok "$what: inside $want"; return; fi ;;
    esac
    nok "$what: want $want" "exit $rc, got '$out'"
}
pam_bed_stack none
set_choice $PA
expect_launch "$VSYS_R/bin/bin without VSYS, ~/.vsys=$PA" $PA launch_as_u env -u VSYS "$VSYS_R/bin/bin" sh -c "$LPROBE"
expect_launch "$VSYS_R/bin/bin with VSYS=$PC over ~/.vsys=$PA" $PC launch_as_u env VSYS=$PC "$VSYS_R/bin/bin" sh -c "$LPROBE"
expect_launch "vsys shell without a name, ~/.vsys=$PA" $PA launch_as_u env -u VSYS sh -c "echo '$LPROBE' | vsys shell"
expect_launch "vsys shell without a name, VSYS=$PC" $PC launch_as_u env VSYS=$PC sh -c "echo '$LPROBE' | vsys shell"
no_choice; pam_bed_conf "default=$PC"
expect_launch "$VSYS_R/bin/bin without VSYS or ~/.vsys, vsys.conf default=$PC" $PC launch_as_u env -u VSYS "$VSYS_R/bin/bin" sh -c "$LPROBE"
pam_bed_conf
symlink_to_other_file() { as_user "$VSYS_IT_USER2" "printf '%s\n' $PA > ~/.vsys; chmod 0644 ~/.vsys"; as_user "$U" "ln -s $U2HOME/.vsys ~/.vsys"; }
symlink_to_other_file
expect_launch "$VSYS_R/bin/bin, ~/.vsys a symlink to another user's file" "refused:vsys: ~/.vsys: unsafe: a symlink" \
    launch_as_u env -u VSYS "$VSYS_R/bin/bin" sh -c "$LPROBE"
no_choice
out=$(launch_as_u env -u VSYS "$VSYS_R/bin/bin" true 2>&1); rc=$?
if [ $rc = 125 ] && grep -q '^vsys: usage: ' <<<"$out"; then
    ok "$VSYS_R/bin/bin with no VSYS, ~/.vsys or default: usage, exit 125"
else
    nok "$VSYS_R/bin/bin with nothing chosen" "exit $rc: $out"
fi

# --- hostile ~/.vsys and systems that cannot be entered -------------------------------------------
# each: a setup function (run as root), then the login under three configurations
attack() {
    local what=$1 setup=$2
    local cfg want
    for cfg in "|host" "fail_to_default default=$PC|$PC" "on_error=refuse|refused"; do
        pam_bed_stack "${cfg%%|*}"
        want=${cfg##*|}
        no_choice; $setup
        expect ssh "$what [${cfg%%|*}]" "$want"
    done
    pam_bed_stack ""
    no_choice; $setup; expect su "$what" host
    pam_bed_stack "on_error=refuse"
    no_choice; $setup; expect su "$what [on_error=refuse]" refused
}
as_user "$VSYS_IT_USER2" "printf '%s\n' $PA > ~/.vsys; chmod 0644 ~/.vsys"
symlink_to_other() { as_user "$U" "ln -s $U2HOME/.vsys ~/.vsys"; }
owned_by_other() { printf '%s\n' $PA >"$UHOME/.vsys"; chown "$VSYS_IT_USER2" "$UHOME/.vsys"; }
fifo() { as_user "$U" "mkfifo ~/.vsys"; }
one_mb() { { echo $PA; head -c 1048576 /dev/zero | tr '\0' x; } >"$UHOME/.vsys"; chown "$U" "$UHOME/.vsys"; }
writable() { set_choice $PA; chmod 0666 "$UHOME/.vsys"; }
dotdot() { set_choice ../x; }
missing() { set_choice x14-nope; }
forbidden() { set_choice $PB; }
down() { set_choice $PD; }
attack "~/.vsys a symlink to another user's file" symlink_to_other
attack "~/.vsys owned by another user" owned_by_other
attack "~/.vsys a FIFO" fifo
attack "~/.vsys of 1 MB" one_mb
attack "~/.vsys writable by others" writable
attack "~/.vsys names ../x" dotdot
attack "~/.vsys names a missing system" missing
attack "~/.vsys names $PB (users=$VSYS_IT_USER2)" forbidden
attack "~/.vsys names $PD (not prepared)" down
no_choice

pam_bed_stack "on_error=refuse"
pam_bed_conf "default=$PD"
expect ssh "the default $PD is down [on_error=refuse]" refused
pam_bed_stack ""
expect ssh "the default $PD is down" host
pam_bed_conf

# --- the launcher's record attacks, through the module: hostile records bound over PA's record and
# over vsys.conf in the private namespace only (the machine's files are not touched) ---------------
REC=$VSYS_R/etc/systems/$PA
hostile_record() {   # hostile_record WHAT WANT-LINE MODIFIER: a copy of PA's record, changed, bound over it
    local what=$1 line=$2 modify=$3 out rc
    rm -f "$PAM_DIR/rec"; cp "$REC" "$PAM_DIR/rec"; chmod 0644 "$PAM_DIR/rec"
    $modify "$PAM_DIR/rec"
    pam_bed_in mount --bind "$PAM_DIR/rec" "$REC" || { nok "bind a hostile record"; return; }
    set_choice $PA
    pam_bed_stack ""
    expect ssh "$what" host
    pam_bed_stack "on_error=refuse"
    out=$(login ssh 2>&1); rc=$?
    if [ $rc != 0 ] && [ "$(grep '^vsys: ' <<<"$out")" = "$line" ]; then
        ok "ssh: $what [on_error=refuse]: refused: $line"
    else
        nok "ssh: $what [on_error=refuse]" "exit $rc: $out"
    fi
    pam_bed_in umount "$REC"
    no_choice
}
group_writable() { chmod 0664 "$1"; }
user_owned() { chown "$U" "$1"; }
not_ready() { sed -i 's/^state=ready$/state=creating/' "$1"; }
corrupt() { printf 'version=1\nname=%s\nname=%s\n' $PA $PA >"$1"; }
hostile_record "$PA's record writable by group" "vsys: $REC: unsafe: writable by group or others" group_writable
hostile_record "$PA's record owned by $U" "vsys: $REC: unsafe: not owned by root" user_owned
hostile_record "$PA's record state=creating" "vsys: $PA: not ready (state is creating, not ready)" not_ready
hostile_record "$PA's record corrupt (a key twice)" "vsys: $REC: corrupt record: line 3: duplicate key name" corrupt
pam_bed_conf "link=namespace" "link=kmod"
set_choice $PA; pam_bed_stack ""
expect ssh "vsys.conf corrupt (link twice)" host
pam_bed_conf; no_choice

# --- a session opened twice in one process -------------------------------------------------------
set_choice $PA
pam_bed_stack ""
out=$(timeout 20 nsenter -t "$PAM_HOLDER" -m -- pamtester sshd "$U" open_session open_session close_session 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(grep -c 'successfully opened a session' <<<"$out")" = 2 ]; then
    ok "pamtester: the session opened twice in one process (both succeed)"
else
    nok "pamtester open_session twice" "exit $rc" "$out"
fi
no_choice

finish
