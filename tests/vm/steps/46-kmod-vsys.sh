#!/bin/bash
# Guest step: the admin CLI in the kmod link mode, end to end (issue 5).
#
# With `link=kmod` in /OS/etc/vsys.conf and the module loaded, the installed
# `vsys` (the host's install, as tests/vm/steps/30-vsys-nfs.sh uses it):
#   - `vsys -c` prepares the system as a tree under R/.root/.os/NAME registered
#     with the module, and no mount namespace (no R/.ns/NAME);
#   - an unprivileged user runs a command inside and sees the system's files;
#   - `vsys status` reports it healthy;
#   - `vsys -d` refuses (exit 11) while a process runs inside, naming it (found
#     in the module's procs table, not in a namespace), and completes once it
#     is gone, leaving nothing mounted and nothing registered;
#   - figure: host mount entries for the shared tree and for one system;
#   - a restricted system (`--users root`, issue 12 finding 1): its tree behind the
#     module's gate R/.root/.vsys/os/NAME, not at R/.root/.os/NAME; root runs in it,
#     $U is refused and cannot read it through the gate; status, check and -d agree.
# Runs as root in the guest, cwd = the project; the module from kmod/ (built on
# the host by tests/vm/run-suite.sh). Everything is undone at the end (the
# module is unloaded if this step loaded it, vsys.conf restored).
P=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$P" || exit 1
. "$P/tests/vm/steps/lib.sh"
R=/OS; SYS=kmsys; PSYS=kmpriv
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$P/tests/vm/steps/vsys-setup.sh"

TREE=/var/cache/vsys/rootfs-bookworm-gcc
MARK=/etc/vsys-kmod-marker
LOADED=0 CONF_SAVED=0 SPID=
cleanup() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
  vs -d --force $SYS > /dev/null 2>&1
  vs -d --force $PSYS > /dev/null 2>&1
  [ "$CONF_SAVED" = 1 ] && cp /run/vsys.conf.ns "$R/etc/vsys.conf"
  if [ "$LOADED" = 1 ]; then   # a lazily detached vsyslink mount lets go of the module a moment later
    for i in $(seq 50); do rmmod vsyslink 2>/dev/null && break; sleep 0.2; done
    grep -q '^vsyslink ' /proc/modules && echo "# rmmod vsyslink refused (still in use)"
  fi
  rm -f "$TREE$MARK"
}
trap cleanup EXIT

[ -d "$TREE/etc" ] || { nok "no test tree $TREE (tests/remote/remote.sh tree)"; finish; exit; }
if ! grep -q '^vsyslink ' /proc/modules; then
  [ -f kmod/vsyslink.ko ] || { nok "no kmod/vsyslink.ko (make -C kmod on the host)"; finish; exit; }
  check "insmod kmod/vsyslink.ko" insmod kmod/vsyslink.ko || { finish; exit; }
  LOADED=1
fi
cp "$R/etc/vsys.conf" /run/vsys.conf.ns && CONF_SAVED=1
{ grep -v '^link=' /run/vsys.conf.ns; echo link=kmod; } > "$R/etc/vsys.conf"
# a file only this tree has (the guest's / is an overlay: nothing reaches the host)
mark="kmod-$$-$(date +%s%N)"; echo "$mark" > "$TREE$MARK"
base=$(wc -l < /proc/self/mountinfo)

expect_vs "kmod: vsys -c $SYS dir:$TREE" 0 -c $SYS "dir:$TREE"
figure "vsys_create_kmod_guest $VS_TIME s"
check "kmod: the tree is prepared at $R/.root/.os/$SYS" is_mounted "$R/.root/.os/$SYS"
check "kmod: ... registered with the module" grep -q "^$SYS " "$R/.root/.vsys/targets"
check "kmod: ... and no mount namespace is made (no $R/.ns/$SYS)" sh -c "! test -e $R/.ns/$SYS"
figure "kmod_host_mount_entries_one_system $(( $(wc -l < /proc/self/mountinfo) - base )) (shared tree + one system, namespace mode: see the launcher suite)"
check "kmod: as $U, a command inside sees the system's files" \
  sh -c "cd $UHOME && test \"\$(runuser -u $U -- $R/bin/$SYS cat $MARK)\" = '$mark'"
check "kmod: ... as $U, with the caller's identity and cwd" \
  sh -c "cd $UHOME && test \"\$(runuser -u $U -- $R/bin/$SYS sh -c 'id -un; pwd')\" = \"\$(printf '%s\n' $U $UHOME)\""
expect_vs "kmod: vsys status $SYS is healthy" 0 status $SYS

(cd "$UHOME" && exec runuser -u "$U" -- "$R/bin/$SYS" sleep 300) < /dev/null > /dev/null 2>&1 &
for i in $(seq 50); do SPID=$(pgrep -u "$U" -x sleep | head -n 1); [ -n "$SPID" ] && break; sleep 0.1; done
check "kmod: a process runs inside (pid $SPID), linked in the module's table" \
  sh -c "awk -v p=$SPID -v n=$SYS '\$1 == p && \$2 == n {f=1} END {exit !f}' $R/.root/.vsys/procs"
expect_vs "kmod: vsys -d $SYS is refused while it runs (exit 11)" 11 -d $SYS
check "kmod: ... naming the process" grep -qw "$SPID" $VS_OUT
check "kmod: ... and nothing changed (still prepared)" is_mounted "$R/.root/.os/$SYS"
# a restricted system next to it
G=$R/.root/.vsys/os/$PSYS
expect_vs "kmod: vsys -c $PSYS dir:$TREE --users root (restricted)" 0 -c $PSYS "dir:$TREE" --users root
check "kmod: ... its tree is behind the module's gate $G, not at $R/.root/.os/$PSYS" \
  sh -c "awk -v m=$G/root '\$2 == m {f=1} END {exit !f}' /proc/mounts && ! test -e $R/.root/.os/$PSYS && test \"\$(stat -c %a:%u $G)\" = 500:0"
check "kmod: ... root runs in it" sh -c "cd / && test \"\$($R/bin/$PSYS cat $MARK)\" = '$mark'"
check_fails "kmod: ... $U (not listed) is refused" "permission denied" runuser -u "$U" -- "$R/bin/$PSYS" cat $MARK
check_fails "kmod: ... and cannot read it through the gate" "Permission denied" runuser -u "$U" -- cat "$G/root$MARK"
check_fails "kmod: ... nor as root of an own user namespace" "Permission denied" runuser -u "$U" -- unshare -r cat "$G/root$MARK"
expect_vs "kmod: vsys status $PSYS is healthy" 0 status $PSYS
vs check; check "kmod: vsys check says nothing of $PSYS" sh -c "! grep -q '$PSYS' $VS_OUT"
expect_vs "kmod: vsys -d $PSYS" 0 -d $PSYS
check "kmod: ... nothing left behind the gate" sh -c "! grep -q ' $G' /proc/self/mountinfo && ! grep -q '^$PSYS ' $R/.root/.vsys/targets"

kill "$SPID"; wait 2>/dev/null; SPID=
for i in $(seq 50); do awk -v n=$SYS '$2 == n {f=1} END {exit f}' "$R/.root/.vsys/procs" && break; sleep 0.1; done
expect_vs "kmod: vsys -d $SYS once the process is gone" 0 -d $SYS
figure "vsys_destroy_kmod_guest $VS_TIME s"
check "kmod: nothing of $SYS is mounted" sh -c "! awk '{print \$2}' /proc/mounts | grep -qE '^$R/(\\.root/\\.os/)?$SYS(/|\$)'"
check "kmod: $SYS is no longer registered" sh -c "! grep -q '^$SYS ' $R/.root/.vsys/targets 2>/dev/null"
check "kmod: the shared tree is down with the last system" sh -c "! awk -v m=$R/.root/.vsys '\$2 == m {f=1} END {exit !f}' /proc/mounts"
finish
