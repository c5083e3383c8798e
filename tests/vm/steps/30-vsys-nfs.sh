#!/bin/bash
# vsys over real NFS in the guest (issue 4, tests 1-6), against the server of tests/vm/run-suite.sh
# ("fileserver" = 10.0.2.2: "/" = a Debian tree with gcc, read-only; "/proj" read-write).
#   1. `vsys -c fileserver` finds the exports by itself, mounts / at /OS/fileserver and /proj at .../proj;
#      `vsys list` / `vsys status` report them healthy
#   2. as an unprivileged user: `/OS/bin/fileserver cc prog.c && /OS/bin/fileserver ./a.out` in the user's home;
#      /etc/os-release inside is the server's
#   3. a file written under /proj appears on the server; a write to / fails with EROFS; /tmp inside is local;
#      a lock (flock) on the rw mount is granted (hangs when v3 is mounted without nolock from a server that has
#      no lock manager, as this one: ganesha runs with Enable_NLM = false)
#   4. `vsys -a` alias works; `vsys -d` leaves the server's trees byte-identical and nothing mounted
#   5. (VSYS_KILL_VERSIONS, default 4.1; on the system of 1-3, before 4, which then runs on the system made
#      again: one create and one destroy fewer) ganesha killed while mounted: `vsys status` says unresponsive
#      within 5 s (plus the JVM start measured on a healthy status) and returns; `vsys -d --force` completes
#      without hanging (bound 60 s; a healthy destroy takes 10-20 s here) and does not kill the process that
#      runs inside; the server's files are untouched; after the server is back `vsys -c` works again
#   6. 1-4 for each of VSYS_NFS_VERSIONS (default "4.1 3"), chosen with `vsys -c --nfs-version V`
# vsys comes from the host (./install.sh on the host, e.g. by test.sh); if the host has none, ./install.sh runs
# here (the guest's / is a tmpfs overlay, nothing reaches the host). Host-side checks use the run-suite agent.
. "$(dirname "$0")/lib.sh"
VERSIONS=${VSYS_NFS_VERSIONS:-4.1 3}
KILL_VERSIONS=${VSYS_KILL_VERSIONS:-4.1}
R=/OS; SYS=fileserver; ALIAS=fsalias
export PATH=/usr/local/sbin:/usr/local/bin:$PATH

. "$(dirname "$0")/vsys-setup.sh"
cat > "$UHOME/prog.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from the fileserver's gcc"); return 0; }
EOF
chown "$U:" "$UHOME/prog.c"
has_agent || skip "no host agent: server-side checks (hash, files on the server, kill) are skipped"

# ---------------------------------------------------------------- 1-4 for one NFS version
create() {   # create V: vsys -c fileserver --nfs-version V; on v3 a missing nolock is reported, then retried with it
  local v=$1
  if expect_vs "v$v: vsys -c $SYS --nfs-version $v (exports found by itself)" 0 -c $SYS --nfs-version "$v"; then
    figure "vsys_create_v${v}_guest $VS_TIME s"; return 0; fi
  if [ "$v" = 3 ]; then
    echo "# v3 failed; again with nolock, to run the remaining v3 tests"
    vs -d --force $SYS >/dev/null 2>&1
    expect_vs "v3: vsys -c $SYS --nfs-version 3 -o /=nolock -o /proj=nolock" 0 -c $SYS --nfs-version 3 -o /=nolock -o /proj=nolock && return 0
  fi
  return 1
}

one_version() {
  local v=$1 h0 h1 h2 m out srv
  echo "## NFS v$v: tests 1-4"
  has_agent && h0=$(host_call 120 hash)
  create "$v" || { nok "v$v: no system, tests 1-4 skipped"; vs -d --force $SYS >/dev/null 2>&1; return; }
  # 1
  m=$(mnt_opts "$R/$SYS"); echo "    $m"
  check "v$v: / of the system is mounted from fileserver:/ over NFS" sh -c "echo '$m' | grep -qE '^fileserver:/ nfs4? '"
  m2=$(mnt_opts "$R/$SYS/proj"); echo "    $m2"
  check "v$v: /proj is mounted from fileserver:/proj" sh -c "echo '$m2' | grep -qE '^fileserver:/proj nfs4? '"
  check "v$v: the mounts use vers=$v" sh -c "echo '$m' | grep -q 'vers=$v' && echo '$m2' | grep -q 'vers=$v'"
  check "v$v: the root is mounted ro, nosuid, nodev" sh -c "echo '$m' | grep -qE '(^| |,)ro,' && echo '$m' | grep -q nosuid && echo '$m' | grep -q nodev"
  check "v$v: /proj is mounted rw, nosuid, nodev" sh -c "echo '$m2' | grep -qE '(^| |,)rw,' && echo '$m2' | grep -q nosuid && echo '$m2' | grep -q nodev"
  check "v$v: the record lists / and /proj" sh -c "grep -q '^fs=/ nfs://fileserver/ ' $R/etc/systems/$SYS && grep -q '^fs=/proj nfs://fileserver/proj ' $R/etc/systems/$SYS"
  sed 's/^/    /' $R/etc/systems/$SYS
  expect_vs "v$v: vsys list" 0 list && check "v$v: vsys list shows $SYS" grep -q "^$SYS " $VS_OUT
  expect_vs "v$v: vsys status (all systems) is healthy" 0 status
  figure "vsys_status_healthy_v${v}_guest $VS_TIME s"; HEALTHY=$VS_TIME
  check "v$v: ... and shows both filesystems" sh -c "grep -q 'nfs://fileserver/ ' $VS_OUT && grep -q 'nfs://fileserver/proj' $VS_OUT"
  # 2
  check "v$v: user $U: cc prog.c in \$HOME" inside cc prog.c
  out=$(inside ./a.out 2>&1); echo "    $out"
  check "v$v: user $U: ./a.out prints the expected line" test "$out" = "hello from the fileserver's gcc"
  check "v$v: a.out landed in the local home" test -x "$UHOME/a.out"
  check "v$v: inside, / is the server's tree (no java there)" inside sh -c '! test -e /usr/bin/java && test -x /usr/bin/gcc'
  check "v$v: inside, /proj shows the rw export" inside test -e /proj/vmbench-100M
  out=$(inside cat /etc/os-release 2>&1)
  if has_agent; then
    srv=$(host_call 30 rootcat etc/os-release)
    check "v$v: /etc/os-release inside is the server's" test "$out" = "$srv"
  else
    check "v$v: /etc/os-release inside is a bookworm one" sh -c "echo '$out' | grep -q VERSION_CODENAME=bookworm"
  fi
  # 3
  check "v$v: user writes /proj/vsys-rw-v$v.txt inside" inside sh -c "echo 'rw over v$v' > /proj/vsys-rw-v$v.txt"
  if has_agent; then
    check "v$v: ... and it is on the server" server_has vsys-rw-v$v.txt "rw over v$v"
  fi
  check_fails "v$v: root: a write to /etc inside fails with EROFS" "Read-only file system" sh -c "cd /tmp && $R/bin/$SYS sh -c 'echo x > /etc/vsys-erofs-test'"
  check_fails "v$v: root: mkdir /usr/vsys-erofs-test inside fails with EROFS" "Read-only file system" sh -c "cd /tmp && $R/bin/$SYS mkdir /usr/vsys-erofs-test"
  # the top level of the view is the shared tree $R/.root (on the host's filesystem, shared by all systems)
  check_fails "v$v: root: creating /vsys-erofs-test at the top level of the view fails" "Read-only file system|Permission denied" \
    sh -c "cd /tmp && $R/bin/$SYS touch /vsys-erofs-test"
  rm -f "$R/.root/vsys-erofs-test"
  check "v$v: user writes /tmp/vsys-tmp-v$v inside" inside sh -c "echo local > /tmp/vsys-tmp-v$v"
  check "v$v: ... it is in the guest's own /tmp" test -f /tmp/vsys-tmp-v$v
  if has_agent; then
    check "v$v: ... and not on the server" not_on_server tmp/vsys-tmp-v$v vsys-tmp-v$v
  fi
  # locking: on the mount vsys made (from outside the view); hangs when vsys mounts v3 without nolock from a
  # server that has no lock manager (this one: ganesha with Enable_NLM = false)
  check "v$v: a lock on $R/$SYS/proj (flock) is granted within 15 s" timeout -k 5 15 flock "$R/$SYS/proj/.vsys-lock-test" true
  rm -f "$R/$SYS/proj/.vsys-lock-test"
  # 5 (on this system, which it destroys and brings back), then 4 on the system as it is then
  case " $KILL_VERSIONS " in *" $v "*) server_dies "$v";; esac
  if ! is_mounted "$R/$SYS"; then   # test 5 failed half-way: a fresh system, so that 4 still runs
    vs -d --force $SYS > /dev/null 2>&1
    create "$v" || { nok "v$v: no system for test 4"; return; }
  fi
  test4 "$v"
}

test4() {   # 4: alias; destroy leaves the server byte-identical and nothing mounted
  local v=$1 h1 h2
  expect_vs "v$v: vsys -a $ALIAS $SYS" 0 -a $ALIAS $SYS
  check "v$v: the alias runs inside the system" sh -c "cd $UHOME && runuser -u $U -- $R/bin/$ALIAS ./a.out | grep -q 'fileserver'"
  has_agent && h1=$(host_call 120 hash)
  expect_vs "v$v: vsys -d $SYS" 0 -d $SYS
  figure "vsys_destroy_v${v}_guest $VS_TIME s"
  check "v$v: nothing of $SYS is mounted" sh -c "! awk '{print \$2}' /proc/mounts | grep -q '^$R/$SYS\\(/\\|\$\\)'"
  check "v$v: no NFS mount left in the guest" sh -c "! awk '\$3 ~ /^nfs/' /proc/mounts | grep -q ."
  check "v$v: records and links of the system and its alias are gone" \
    sh -c "! test -e $R/etc/systems/$SYS && ! test -e $R/bin/$SYS && ! test -e $R/etc/aliases/$ALIAS && ! test -e $R/bin/$ALIAS"
  if has_agent; then
    h2=$(host_call 120 hash); echo "    before destroy: $(echo $h1)   after: $(echo $h2)"
    check "v$v: destroy left the server's trees byte-identical" test "$h1" = "$h2"
    check "v$v: the root tree is unchanged by the whole test" test "$(echo "$h0" | grep ^root)" = "$(echo "$h2" | grep ^root)"
  fi
}

# ---------------------------------------------------------------- 5: the server dies
server_dies() {
  local v=$1 healthy spid hb ha t out
  echo "## NFS v$v: test 5 (server dies while mounted)"
  has_agent || { skip "v$v: test 5 needs the host agent"; return; }
  healthy=${HEALTHY:-0}
  (cd "$UHOME" && exec runuser -u "$U" -- "$R/bin/$SYS" sleep 600) < /dev/null > /dev/null 2>&1 &
  for i in $(seq 50); do spid=$(pgrep -u "$U" -x sleep | head -n 1); [ -n "$spid" ] && break; sleep 0.1; done
  check "v$v: a process runs inside (pid $spid)" test -n "$spid"
  hb=$(host_call 120 hash)
  check "v$v: ganesha killed on the host" host_call 30 kill
  vs status $SYS
  out=$(cat $VS_OUT)
  figure "vsys_status_dead_server_v${v}_guest $VS_TIME s (healthy: $healthy s)"
  if [ "$VS_RC" = 12 ]; then ok "v$v: vsys status exits 12 (unhealthy) with the server dead"; else nok "v$v: vsys status exited $VS_RC with the server dead, wanted 12"; fi
  check "v$v: ... and says unresponsive" sh -c "echo \"\$0\" | grep -qiE 'unrespons|not respond|no answer|timed? ?out'" "$out"
  check "v$v: ... within 5 s more than a healthy status (${VS_TIME}s vs ${healthy}s)" \
    awk -v a="$VS_TIME" -v b="$healthy" 'BEGIN{exit !(a <= b + 5)}'
  check "v$v: ... and reports the process inside (pid $spid)" grep -qwE "$spid|1 process" $VS_OUT
  VS_TIMEOUT=60 vs -d --force $SYS
  figure "vsys_destroy_force_dead_server_v${v}_guest $VS_TIME s"
  if [ "$VS_RC" = 0 ]; then ok "v$v: vsys -d --force completes with the server dead"; else nok "v$v: vsys -d --force exited $VS_RC (124 = hung, killed by the test)"; fi
  if grep -qwE "$spid|1 process" $VS_OUT; then ok "v$v: ... and reports the process inside (pid $spid)"
  else echo "note - v$v: vsys -d --force did not mention the process inside (pid $spid); vsys status did"; fi
  check "v$v: ... which was not killed" kill -0 "$spid"
  kill "$spid" 2>/dev/null
  check "v$v: nothing of $SYS is left mounted" sh -c "! awk '{print \$2}' /proc/mounts | grep -q '^$R/$SYS\\(/\\|\$\\)'"
  check "v$v: ganesha restarted on the host" host_call 60 restart
  ha=$(host_call 120 hash)
  check "v$v: the server's files are untouched (hash before kill = after restart)" test "$hb" = "$ha"
  if [ -e "$R/etc/systems/$SYS" ]; then expect_vs "v$v: vsys remount $SYS after the server is back" 0 remount $SYS
  else expect_vs "v$v: vsys -c $SYS after the server is back" 0 -c $SYS; fi
  check "v$v: the system works again" inside ./a.out
}

for v in $VERSIONS; do one_version "$v"; done
# leave nothing behind in the guest either
vs -d --force $SYS > /dev/null 2>&1
finish
