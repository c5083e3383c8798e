#!/bin/bash
# On demand with autofs (issue 15), on the guest's Debian kernel with Debian's automount daemon.
# Declarations with mode=on-demand (an NFS system from the suite's server, a dir: system), `vsys apply`
# writes their autofs entries (R/etc/automap/NAME) and the program map answers for them; the guest's own
# automount runs with a master map of this step (/run, never /etc/auto.master) for R/.auto, timeout 4 s:
#   - apply: entries written, the 1 trigger mount only (nothing mounted by vsys); the plan itself (nothing to
#     do, changes, removal) is ApplyIT's, on the host
#   - first access of R/.auto/NAME mounts it through the kernel automounter (NFS and dir)
#   - idle: unmounted after the timeout; the next access mounts it again
#   - busy (a process with its cwd inside): not unmounted past the timeout; once it is gone, unmounted
#   - 20 concurrent first accesses: all succeed, one mount
#   - an unknown key and a bad key: no mount, nothing asked of any server
#   - vsys list / status: "on demand, not mounted" and "on demand, mounted" (exit 0), an alias of one too
#   - removal by apply: a busy system is "left (busy)" (exit 11, entry kept, still mounted); once idle, apply
#     unmounts it and removes the entry, and the daemon does not mount it again (the master line's short
#     --negative-timeout: automount answers a key from its map cache only that long after the map did)
#   - the server dead: status and vsys -d of the unmounted NFS system return at once, asking nothing of autofs
# Figures: first access over NFS (automount) against a plain mount(8) of the same export, paired rounds.
. "$(dirname "$0")/lib.sh"
R=/OS
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
TMO=4
D=/run/g-decl; MASTER=/run/g-auto.master; ALOG=/run/g-automount.log; APID=
LIBEXEC=$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$(command -v vsys)" | head -n 1)
cleanup() {
  [ -n "$BUSY" ] && kill "$BUSY" 2>/dev/null
  if [ -n "$APID" ]; then kill -TERM "$APID" 2>/dev/null; for i in $(seq 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.2; done; fi
  umount -l "$R/.auto/gnfs" "$R/.auto/gdir" 2>/dev/null; umount -l "$R/.auto" 2>/dev/null
  rm -rf "$D" "$R/etc/automap" "$R/etc/auto.vsys" "$R/etc/aliases/gd" "$R/bin/gd"
}
BUSY=; trap cleanup EXIT
command -v automount >/dev/null || { nok "automount (Debian's autofs) is not installed"; finish; exit; }
check "the program map is installed ($LIBEXEC/vsys-automap)" test -x "$LIBEXEC/vsys-automap" || { finish; exit; }
TREE=/var/cache/vsys/rootfs-bookworm-gcc
mkdir -p "$D"
printf '%s\n' 'source=nfs://fileserver/' 'nfs.version=4.1' 'mode=on-demand' > "$D/gnfs.conf"
printf '%s\n' "source=dir:$TREE" 'mode=on-demand' 'aliases=gd' > "$D/gdir.conf"
mounted() { awk -v m="$1" '$2 == m {n++} END {print n+0}' /proc/mounts; }
nmounts() { wc -l < /proc/mounts; }

# apply brings the shared tree up for the launcher (native/enter.c enters on-demand systems with its local
# parts); up first, as on a node with eager systems, so that the counts below are apply's and autofs's own
"$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$(command -v vsys)" | head -n 1)/vsys-view" shared-up
n0=$(nmounts)
VS_TIMEOUT=300 expect_vs "vsys apply of 2 on-demand declarations" 0 apply --dir "$D"
check "entries written for both" test -s "$R/etc/automap/gnfs" -a -s "$R/etc/automap/gdir"
check "the entry of gnfs is an NFS mount of fileserver:/ over TCP" grep -qx -- '-fstype=nfs,ro,nosuid,nodev,vers=4.1,proto=tcp fileserver:/' "$R/etc/automap/gnfs"
check "the program map answers gnfs" sh -c "'$LIBEXEC/vsys-automap' gnfs | grep -q 'fileserver:/'"
check "the program map refuses a bad key, printing nothing" sh -c "out=\$('$LIBEXEC/vsys-automap' ../etc/passwd); [ \$? != 0 ] && [ -z \"\$out\" ]"
check "vsys apply mounted nothing" test "$(nmounts)" = "$n0"
expect_vs "vsys list --json" 0 list --json
check "  gnfs: on demand, not mounted" grep -q '"name": "gnfs", "type": "system", "system": "gnfs", "source": "nfs://fileserver/", "state": "on demand, not mounted"' $VS_OUT
check "  the alias gd of gdir: on demand, not mounted" grep -q '"name": "gd", "type": "alias", "system": "gdir", .*"state": "on demand, not mounted"' $VS_OUT
expect_vs "vsys status: exit 0 with 2 on-demand systems not mounted" 0 status
check "  gnfs: on demand, not mounted, healthy" grep -qx 'gnfs: on demand, not mounted, healthy' $VS_OUT
check "  status looked nothing up under $R/.auto (still nothing mounted)" test "$(nmounts)" = "$n0"

# apply's own master line (R/etc/auto.vsys), with this step's idle timeout
check "apply wrote the master line with --negative-timeout=5" grep -q -- "^$R/.auto program:$LIBEXEC/vsys-automap --timeout=300 --negative-timeout=5\$" "$R/etc/auto.vsys"
automount_up "$TMO" /run/g-automount.pid -d
check "automount serves $R/.auto (one autofs trigger mount)" test "$(autofs_triggers)" = 1 \
  || { tail -n 20 "$ALOG"; finish; exit; }
n1=$(nmounts)
check "idle on-demand systems add only the triggers to the mount table ($R/.auto, $R/.private/.auto)" \
  test "$n1" = $((n0 + 2))

t=$(ts); out=$(cat "$R/.auto/gnfs/etc/debian_version" 2>&1); el1=$(el "$t")
check "first access of $R/.auto/gnfs reads the server's file ($out, ${el1}s)" test "$out" = "$(cat "$TREE/etc/debian_version")"
check "  mounted by the automounter over NFS" sh -c "awk -v m='$R/.auto/gnfs' '\$2 == m && \$3 ~ /^nfs/' /proc/mounts | grep -q fileserver:/" \
  || { echo "# automount's log:"; tail -n 40 "$ALOG" | sed 's/^/#   /'; }
check "  read-only" sh -c "! touch '$R/.auto/gnfs/vsys-autofs-write' 2>/dev/null"
reached() { test -f "$R/.auto/$1/etc/debian_version" && test "$(mounted "$R/.auto/$1")" = 1; }   # access, then one mount
check "first access of $R/.auto/gdir (dir: source) mounts it" reached gdir
check_fails "an unknown key is not found" 'No such file' ls "$R/.auto/nosuch"
check "  and mounts nothing" test "$(mounted "$R/.auto/nosuch")" = 0

expired() {   # expired MOUNTPOINT BOUND: waits until it is gone; prints the seconds
  local t0; t0=$(ts)
  for i in $(seq $(($2 * 5))); do [ "$(mounted "$1")" = 0 ] && { el "$t0"; return 0; }; sleep 0.2; done
  return 1
}
s=$(expired "$R/.auto/gnfs" 30) && ok "idle gnfs unmounted by autofs after the timeout (${s}s more)" || nok "idle gnfs still mounted 30 s later"
expired "$R/.auto/gdir" 10 >/dev/null && ok "idle gdir unmounted too" || nok "idle gdir still mounted"
check "the next access mounts gnfs again" reached gnfs

(cd "$R/.auto/gnfs/etc" && exec sleep 60) & BUSY=$!
t=$(ts)
expect_vs "vsys status gnfs while it is in use" 0 status gnfs
check "  on demand, mounted, healthy" grep -qx 'gnfs: on demand, mounted, healthy' $VS_OUT
check "  its root responsive, 1 process inside" sh -c "grep -q 'nfs://fileserver/ .* mounted .* responsive' $VS_OUT && grep -q '1 process(es) inside' $VS_OUT"
expect_vs "vsys -d gnfs while it is in use: refused (exit 11)" 11 -d gnfs
check "  the entry is kept, gnfs still mounted" sh -c "test -s '$R/etc/automap/gnfs' && test \"\$(awk -v m='$R/.auto/gnfs' '\$2 == m' /proc/mounts | wc -l)\" = 1"
rest=$(awk -v a="$t" -v b="$(date +%s.%N)" -v w=$((TMO * 3)) 'BEGIN{r=w-(b-a); print (r > 0 ? int(r + 1) : 0)}'); sleep "$rest"
check "busy gnfs (a process's cwd inside) is still mounted $((TMO * 3)) s later" test "$(mounted "$R/.auto/gnfs")" = 1
kill "$BUSY"; wait "$BUSY" 2>/dev/null; BUSY=
s=$(expired "$R/.auto/gnfs" 30) && ok "  once the process is gone, it is unmounted (${s}s)" || nok "  still mounted after the process went"

expired "$R/.auto/gdir" 10 >/dev/null
dmounts() { grep -c "): mounted .* on $R/.auto/gdir\$" "$ALOG"; }   # mount(bind): mounted SRC type bind on MP
m0=$(dmounts)
pids=(); for i in $(seq 20); do stat -c %i "$R/.auto/gdir/etc/hostname" > /run/g-c.$i 2>&1 & pids+=($!); done
bad=0; for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
check "20 concurrent first accesses of gdir all succeed" test "$bad" = 0
check "  one mount" test "$(mounted "$R/.auto/gdir")" = 1
check "  the daemon mounted it once" test $(($(dmounts) - m0)) = 1
rm -f /run/g-c.*

# figure: first access over NFS against a plain mount(8) of the same export (paired, alternating)
mkdir -p /run/g-plain
for round in 1 2 3; do
  expired "$R/.auto/gnfs" 30 >/dev/null
  t=$(ts); mount -t nfs -o ro,nosuid,nodev,vers=4.1 fileserver:/ /run/g-plain && cat /run/g-plain/etc/debian_version > /dev/null; p=$(el "$t")
  umount /run/g-plain
  t=$(ts); cat "$R/.auto/gnfs/etc/debian_version" > /dev/null || { nok "round $round: first access failed"; break; }; a=$(el "$t")
  echo "# round $round: plain mount+read ${p}s, autofs first access ${a}s"
  echo "$p $a" >> /run/g-pairs
done
[ -s /run/g-pairs ] && pm=$(cut -d' ' -f1 /run/g-pairs | sort -n | sed -n 2p); am=$(cut -d' ' -f2 /run/g-pairs | sort -n | sed -n 2p)
cp "$ALOG" "$VM_OUT/automount.log"
figure "autofs_first_access_nfs_guest $am s against mount(8)+read $pm s: $(awk -v a="$am" -v p="$pm" 'BEGIN{printf "%.2f", a/p}')x (medians of 3 paired rounds; target <= 1.10x)"
rm -f /run/g-pairs

# removal by apply (ApplyIT plans it on the host; here with autofs in the path): busy is left, idle is unmounted
reached gdir
(cd "$R/.auto/gdir/etc" && exec sleep 60) & BUSY=$!
sleep 0.5
rm "$D/gdir.conf"
expect_vs "apply without gdir's declaration while gdir is in use: exit 11" 11 apply --dir "$D"
check "  reported left (busy)" grep -q 'unserve  gdir: .*left (busy)' $VS_OUT
check "  the entry is kept and gdir still mounted" sh -c "test -s '$R/etc/automap/gdir' && test \"\$(awk -v m='$R/.auto/gdir' '\$2 == m' /proc/mounts | wc -l)\" = 1"
kill "$BUSY"; wait "$BUSY" 2>/dev/null; BUSY=
expect_vs "apply again once gdir is idle" 0 apply --dir "$D"
check "  unserve gdir" grep -q '^unserve  gdir' $VS_OUT
check "  gdir unmounted by apply at once (not at autofs's timeout)" test "$(mounted "$R/.auto/gdir")" = 0
check "  its entry and its alias gd are gone" sh -c "! test -e '$R/etc/automap/gdir' && ! test -e '$R/etc/aliases/gd'"
# the daemon last ran the map for gdir more than 5 s ago (two JVM starts since): no cached answer is left
check_fails "gdir is not found after its removal (automount forgot it)" 'No such file' ls "$R/.auto/gdir/etc"
check "  and not mounted again" test "$(mounted "$R/.auto/gdir")" = 0

# the server dead: nothing of vsys asks autofs (and so the server) about the unmounted gnfs
expired "$R/.auto/gnfs" 30 >/dev/null
tries() { grep -c "attempting to mount entry $R/.auto/gnfs" "$ALOG"; }
a0=$(tries)
if host_call 30 kill >/dev/null; then
  expect_vs "server dead: vsys status exits 0 (gnfs on demand, not mounted)" 0 status
  check "  gnfs: on demand, not mounted, healthy" grep -qx 'gnfs: on demand, not mounted, healthy' $VS_OUT
  VS_TIMEOUT=60 expect_vs "server dead: vsys -d gnfs removes its entry" 0 -d gnfs
  check "  the entry is gone" test ! -e "$R/etc/automap/gnfs"
  check "  automount was asked nothing about gnfs (no mount attempt, nothing mounted)" sh -c "[ $(tries) = $a0 ] && [ $(mounted "$R/.auto/gnfs") = 0 ]"
  host_call 60 restart >/dev/null || nok "the server did not restart"
else nok "the host agent did not kill the server"; fi
finish
