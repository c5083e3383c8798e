#!/bin/bash
# Launching an on-demand system through its trigger (issue 15, the entering part: native/enter.c), on the
# guest's Debian kernel with Debian's automount and a master map of this step (/run, never /etc/auto.master),
# idle timeout 4 s. Declarations: an NFS system from the suite's server and a dir: system, served by vsys apply.
#   - apply makes the launcher link R/bin/NAME (and the shared tree) for an on-demand system
#   - a launch of the unmounted system succeeds: the launcher's lookup makes autofs mount it; inside, "/" is the
#     NFS mount, the caller's cwd and passwd, -sh works
#   - while a launched command runs, autofs keeps the system mounted past its timeout; after, it expires it
#   - 20 concurrent first launches: all succeed, the daemon mounts once
#   - the server dead: a launch of the unmounted system is refused within the launcher's bound (20 s), rc 125
#   - a restricted on-demand system (users=): a user not listed is refused before any lookup (nothing is
#     mounted), the listed user runs in it; it is mounted at R/.private/.auto/NAME (no host path for others, and
#     the map of R/.auto does not serve it); its /var/tmp is its own (R/.var/NAME/tmp) and its bind= path shows
#   - the session layer (issue 17) on the guest's 6.1 kernel: a write inside is gone after the launch
# Figures of the first launch: the benchmark step 55-autofs-launch-bench.sh (VM_SUITE_BENCH=1).
. "$(dirname "$0")/lib.sh"
R=/OS
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
TMO=4
D=/run/l-decl; MASTER=/run/l-auto.master; ALOG=/run/l-automount.log; APID=; BUSY=
LIBEXEC=$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$(command -v vsys)" | head -n 1)
TREE=/var/cache/vsys/rootfs-bookworm-gcc
cleanup() {
  [ -n "$BUSY" ] && kill "$BUSY" 2>/dev/null
  if [ -n "$APID" ]; then kill -TERM "$APID" 2>/dev/null; for i in $(seq 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.2; done; fi
  umount -l "$R/.auto/lnfs" "$R/.auto/ldir" "$R/.auto/lres" "$R/.private/.auto/lres" 2>/dev/null
  umount -l "$R/.auto" "$R/.private/.auto" 2>/dev/null
  awk -v p="$R/.auto/lmm" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
  rm -rf "$D" "$R/etc/automap" "$R/etc/ondemand" "$R/etc/auto.vsys" "$R/bin/lnfs" "$R/bin/ldir" "$R/bin/lres" "$R/bin/lmm" /run/l-plain \
    "$R/.var/lnfs" "$R/.var/ldir" "$R/.var/lres" "$R/.var/lmm" /var/local/l-bind-m
}
trap cleanup EXIT
command -v automount >/dev/null || { nok "automount (Debian's autofs) is not installed"; finish; exit; }
# this tree's launcher (the host's installed one may be older than the tree under test)
if [ -x native/build/vsys-launcher ] && ! cmp -s native/build/vsys-launcher "$R/bin/bin"; then
  install -m 4755 native/build/vsys-launcher "$R/bin/bin" && echo "# $R/bin/bin is this tree's build"
fi
mkdir -p "$D"
printf '%s\n' 'source=nfs://fileserver/' 'nfs.version=4.1' 'mode=on-demand' > "$D/lnfs.conf"
printf '%s\n' "source=dir:$TREE" 'mode=on-demand' > "$D/ldir.conf"
printf '%s\n' "source=dir:$TREE" 'mode=on-demand' "users=$U" 'bind=/var/local' > "$D/lres.conf"
printf '%s\n' 'source=nfs://fileserver/' 'mount=/proj nfs://fileserver/proj ro' 'nfs.version=4.1' 'mode=on-demand' > "$D/lmm.conf"
mkdir -p /var/local && echo l-marker > /var/local/l-bind-m   # the tree has /var/local (a target it lacks is left out)
mounted() { awk -v m="$1" '$2 == m {n++} END {print n+0}' /proc/mounts; }
expired() {   # expired MOUNTPOINT BOUND: waits until it is gone; prints the seconds
  local t0; t0=$(ts)
  for i in $(seq $(($2 * 5))); do [ "$(mounted "$1")" = 0 ] && { el "$t0"; return 0; }; sleep 0.2; done
  return 1
}
launch() { (cd "$UHOME" && runuser -u "$U" -- "$R/bin/$1" "${@:2}"); }   # launch NAME CMD...: as the test user

VS_TIMEOUT=300 expect_vs "vsys apply of 4 on-demand declarations" 0 apply --dir "$D"
check "apply wrote the on-demand records (root's, 0644; users= of lres)" sh -c \
  "[ \"\$(stat -c %U:%a $R/etc/ondemand/lnfs $R/etc/ondemand/lres | sort -u)\" = root:644 ] && grep -qx 'users=$U' $R/etc/ondemand/lres"
check "apply made the launcher links $R/bin/lnfs and $R/bin/ldir (-> bin)" \
  sh -c "[ \"\$(readlink $R/bin/lnfs)\" = bin ] && [ \"\$(readlink $R/bin/ldir)\" = bin ]"
check "apply brought the shared tree up ($R/.root/proc is a mount)" mountpoint -q "$R/.root/proc"
automount_up "$TMO" /run/l-automount.pid -d
check "automount serves $R/.auto" test "$(autofs_triggers)" = 1 \
  || { tail -n 20 "$ALOG"; finish; exit; }

want=$(cat "$TREE/etc/debian_version")
check "lnfs is not mounted before the first launch" test "$(mounted "$R/.auto/lnfs")" = 0
t=$(ts); out=$(launch lnfs cat /etc/debian_version 2>&1); rc=$?; el1=$(el "$t")
check "first launch of the unmounted lnfs as $U succeeds ($out, ${el1}s)" test "$rc:$out" = "0:$want" \
  || { echo "# automount's log:"; tail -n 30 "$ALOG" | sed 's/^/#   /'; }
check "  autofs mounted it (NFS at $R/.auto/lnfs)" sh -c "awk -v m='$R/.auto/lnfs' '\$2 == m && \$3 ~ /^nfs/' /proc/mounts | grep -q fileserver:/"
out=$(launch lnfs sh -c 'findmnt -n -o FSTYPE /; id -un; pwd; test -e /proc/self/status && echo proc; ls -d /home/* >/dev/null && echo home' 2>&1)
check "  inside: / is the NFS tree, the caller's name and cwd, /proc and /home are there" \
  test "$(echo $out)" = "nfs4 $U $UHOME proc home"
out=$(echo 'cat /etc/debian_version; echo "$0"' | launch lnfs -sh 2>&1)
check "  -sh works ($(echo $out))" sh -c "echo '$out' | grep -qx '$want' && echo '$out' | grep -q -- '^-'"
check "  nothing of the launch in the host's mount table but autofs's mount" test "$(mounted "$R/.auto/lnfs")" = 1

# kept while a launched command runs: past the timeout; expired once it ended
launch lnfs sleep $((TMO * 4)) & BUSY=$!
sleep 1
t=$(ts); kept=1
while [ "$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN{print (b - a < '$((TMO * 3))')}')" = 1 ]; do
  [ "$(mounted "$R/.auto/lnfs")" = 1 ] || kept=0; sleep 0.5; done
check "while a launched command runs, autofs keeps lnfs mounted ($((TMO * 3)) s, timeout ${TMO} s)" test "$kept" = 1
echo "# the daemon's expire lines for lnfs meanwhile: $(grep -c "expire.*$R/.auto/lnfs" "$ALOG")"
wait "$BUSY"; rc=$?; BUSY=
check "  the command's status came back (0)" test "$rc" = 0
s=$(expired "$R/.auto/lnfs" 30) && ok "  once it ended, autofs unmounted lnfs (${s}s)" || nok "  lnfs still mounted 30 s after the command ended"

# 20 concurrent first launches of ldir
expired "$R/.auto/ldir" 10 >/dev/null
dmounts() { grep -c "): mounted .* on $R/.auto/ldir\$" "$ALOG"; }
m0=$(dmounts)
check "ldir is not mounted before" test "$(mounted "$R/.auto/ldir")" = 0
pids=(); for i in $(seq 20); do launch ldir cat /etc/debian_version > /run/l-c.$i 2>&1 & pids+=($!); done
bad=0; for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
good=$(cat /run/l-c.* | grep -cx "$want")
check "20 concurrent first launches of ldir all succeed ($good of 20 read the tree)" test "$bad:$good" = "0:20" \
  || head -n 3 /run/l-c.* | sed 's/^/#   /'
check "  the daemon mounted it once" test $(($(dmounts) - m0)) = 1
check "  one mount" test "$(mounted "$R/.auto/ldir")" = 1
rm -f /run/l-c.*

# a restricted on-demand system: refused to a user not in users= before any lookup, entered by the listed one
out=$( (cd / && runuser -u nobody -- "$R/bin/lres" true) 2>&1); rc=$?
check "restricted on-demand lres: a user not in users= (nobody) is refused in one line, rc 125 ($out)" \
  sh -c "[ $rc = 125 ] && [ \$(echo '$out' | grep -c .) = 1 ] && echo '$out' | grep -q 'lres: permission denied for user nobody'"
check "  and nothing was mounted for it" sh -c "! grep -q ' $R/.auto/lres ' /proc/mounts && ! grep -q '/lres ' /proc/self/mountinfo"
out=$(runuser -u nobody -- ls "$R/.auto/lres" 2>&1)
check "  nor by a lookup of $R/.auto/lres (the open systems' map does not serve it: $out)" sh -c \
  "echo '$out' | grep -q 'No such file' && ! grep -q ' $R/.auto/lres ' /proc/mounts"
out=$(launch lres sh -c 'cat /var/local/l-bind-m; echo lv > /var/tmp/l-vt; id -un' 2>&1); rc=$?
check "  $U (listed) runs in it; its bind= path /var/local shows the host's ($(echo $out))" test "$rc:$(echo $out)" = "0:l-marker $U" \
  || { echo "# automount's log:"; tail -n 20 "$ALOG" | sed 's/^/#   /'; }
check "  autofs mounted it at $R/.private/.auto/lres (0700 $R/.private), not at $R/.auto/lres" sh -c \
  "grep -q ' $R/.private/.auto/lres ' /proc/mounts && ! grep -q ' $R/.auto/lres ' /proc/mounts && [ \$(stat -c %a $R/.private) = 700 ]"
out=$(runuser -u nobody -- cat "$R/.private/.auto/lres/etc/debian_version" 2>&1)
check "  mounted, it is out of reach of another user's host path ($out)" sh -c "echo '$out' | grep -q 'Permission denied'"
check "  its /var/tmp is its own ($R/.var/lres/tmp, 1777 in a 0700 $R/.var/lres), not the tree's" sh -c \
  "[ \"\$(cat $R/.var/lres/tmp/l-vt)\" = lv ] && [ ! -e $TREE/var/tmp/l-vt ] && [ \$(stat -c %a $R/.var/lres) = 700 ] && [ \$(stat -c %a $R/.var/lres/tmp) = 1777 ]"
out=$(launch ldir sh -c 'echo dv > /var/tmp/l-vt && cat /var/tmp/l-vt; test -e /var/local/l-bind-m && echo bound || echo none' 2>&1)
check "  the open ldir has its own /var/tmp too ($R/.var/ldir/tmp), and not lres's bind= ($(echo $out))" sh -c \
  "[ \"\$(cat $R/.var/ldir/tmp/l-vt)\" = dv ] && [ \"$(echo $out)\" = 'dv none' ]"

# a multi-mount (mount=): the launcher's lookup mounts its offset /proj before the copy
out=$(launch lmm sh -c 'findmnt -n -o SOURCE,FSTYPE /proj | tail -n 1; stat -f -c %T /proj; cat /etc/debian_version' 2>&1); rc=$?
check "multi-mount lmm: /proj inside the launch is the NFS export mounted on autofs's trigger ($(echo $out))" \
  test "$rc:$(echo $out)" = "0:fileserver:/proj nfs4 nfs $want" \
  || { echo "# automount's log:"; tail -n 20 "$ALOG" | sed 's/^/#   /'; }

# the session layer (issue 17) on this kernel: eager dir: system with layer=session
VS_TIMEOUT=300 expect_vs "vsys create lsess --layer session (dir:)" 0 create lsess "dir:$TREE" --layer session
out=$(launch lsess sh -c 'echo $$ > /tmp/l-sess-pid; echo s | tee /var/lib/l-sess >/dev/null 2>&1; echo rc=$?' 2>&1)
out2=$( (cd / && "$R/bin/lsess" sh -c 'echo root > /etc/l-sess && cat /etc/l-sess') 2>&1)
out3=$( (cd / && "$R/bin/lsess" cat /etc/l-sess) 2>&1)
check "session layer on $(uname -r): root writes /etc inside ($out2), the next launch does not see it, the tree is unchanged" \
  sh -c "[ '$out2' = root ] && ! [ -e '$TREE/etc/l-sess' ] && echo '$out3' | grep -q 'No such file'"
check "  a user cannot write /var/lib (modes): $out" sh -c "echo '$out' | grep -q 'rc=1'"
VS_TIMEOUT=120 expect_vs "vsys -d lsess" 0 -d lsess
check "  the shared tree stays up for the on-demand systems" mountpoint -q "$R/.root/proc"

cp "$ALOG" "$VM_OUT/automount-launch.log" 2>/dev/null

# the server dead: the launch of the unmounted lnfs is refused within the launcher's bound
expired "$R/.auto/lnfs" 30 >/dev/null
if host_call 30 kill >/dev/null; then
  t=$(ts); out=$(launch lnfs true 2>&1); rc=$?; e=$(el "$t")
  # ganesha killed: the guest's TCP gets a reset (mount.nfs fails at once) or no answer (the launcher's bound)
  check "server dead: a launch of the unmounted lnfs is refused (rc 125, one line) within the bound (${e}s <= 25 s): $out" \
    sh -c "[ $rc = 125 ] && [ \$(echo '$out' | grep -c .) = 1 ] && echo '$out' | grep -Eq 'not mounted within 20 s|did not mount it' && awk 'BEGIN{exit !($e <= 25)}'"
  check "  the entry is kept, nothing mounted" sh -c "test -s '$R/etc/automap/lnfs' && [ \$(awk -v m='$R/.auto/lnfs' '\$2 == m' /proc/mounts | wc -l) = 0 ]"
  host_call 60 restart >/dev/null || nok "the server did not restart"
else nok "the host agent did not kill the server"; fi
finish
