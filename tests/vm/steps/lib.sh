# tests/vm/steps/lib.sh: helpers for the guest steps (sourced; runs inside the VM as root).
# Conventions: a step prints "ok   - what" / "FAIL - what" lines and exits non-zero if any check failed.
# VM_OUT is the writable share back to the host. Figures go to $VM_OUT/figures ("name value unit").
# host_call talks to the host agent of tests/vm/run-suite.sh (present when $VM_OUT/host.agent exists):
# the guest writes $VM_OUT/host.req.N, the host answers with host.out.N and host.rc.N.
T_PASS=0; T_FAIL=0; T_SKIP=0
NFS_SERVER=${NFS_SERVER:-fileserver}
ok()   { echo "ok   - $*"; T_PASS=$((T_PASS + 1)); }
nok()  { echo "FAIL - $*"; T_FAIL=$((T_FAIL + 1)); }
skip() { echo "skip - $*"; T_SKIP=$((T_SKIP + 1)); }
# check "description" cmd args...: run, ok if it exits 0, else FAIL with its exit code and output tail
check() {
  local d=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?
  if [ $rc = 0 ]; then ok "$d"; else nok "$d (rc=$rc: $*)"; printf '%s\n' "$out" | tail -n 5 | sed 's/^/       | /'; fi
  return $rc
}
# check_fails "description" PATTERN cmd args...: ok if it fails and its output matches PATTERN (grep -E)
check_fails() {
  local d=$1 pat=$2 out rc; shift 2
  out=$("$@" 2>&1); rc=$?
  if [ $rc != 0 ] && printf '%s' "$out" | grep -qE -- "$pat"; then ok "$d"
  else nok "$d (rc=$rc, wanted failure matching '$pat': $*)"; printf '%s\n' "$out" | tail -n 5 | sed 's/^/       | /'; fi
}
finish() { echo "# $(basename "$0"): $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"; [ "$T_FAIL" = 0 ]; }
ts() { date +%s.%N; }
el() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }
figure() { echo "$*" >> "$VM_OUT/figures"; echo "figure: $*"; }
has_agent() { [ -e "$VM_OUT/host.agent" ]; }
host_call() {   # host_call TIMEOUT CMD [ARG]: run a whitelisted host action; prints its output, returns its rc
  local t=$1 n i; shift
  has_agent || { echo "no host agent (run through tests/vm/run-suite.sh)"; return 99; }
  n=$(( $(cat "$VM_OUT/host.seq" 2>/dev/null || echo 0) + 1 )); echo $n > "$VM_OUT/host.seq"
  echo "$*" > "$VM_OUT/.host.req.$n"; mv "$VM_OUT/.host.req.$n" "$VM_OUT/host.req.$n"
  for i in $(seq $((t * 10))); do [ -e "$VM_OUT/host.rc.$n" ] && break; sleep 0.1; done
  [ -e "$VM_OUT/host.rc.$n" ] || { echo "host agent did not answer '$*' within ${t}s"; return 98; }
  cat "$VM_OUT/host.out.$n"; return "$(cat "$VM_OUT/host.rc.$n")"
}
# NFS mount options for version $1 (3 or 4.1) as the plain kernel tests use them
nfs_opts() { case $1 in 3) echo "vers=3,proto=tcp,nolock";; *) echo "vers=$1,proto=tcp";; esac; }
is_mounted() { awk -v m="$1" '$2 == m {f=1} END {exit !f}' /proc/mounts; }
server_has() { host_call 20 rwcat "$1" | grep -qx -- "$2"; }   # server_has FILE LINE: FILE in the rw export has LINE
not_on_server() { ! host_call 20 rootexists "$1" >/dev/null && ! host_call 20 rwexists "$2" >/dev/null; }  # ROOTPATH RWPATH

# automount_up TIMEOUT PIDFILE [-d]: Debian's automount on apply's own master line (R/etc/auto.vsys,
# written to $MASTER with idle timeout TIMEOUT), log in $ALOG, pid in APID. In a session of its own:
# accesses from the daemon's process group never trigger a mount (autofs "oz mode"). Waits (20 s at
# most) until $R/.auto is an autofs mount; the caller checks that.
autofs_triggers() { awk -v m="$R/.auto" '$2 == m && $3 == "autofs"' /proc/mounts | wc -l; }
automount_up() {
  local i
  grep -v '^#' "$R/etc/auto.vsys" | sed "s/--timeout=300/--timeout=$1/" > "$MASTER"
  mkdir -p "$R/.auto"
  setsid automount -f ${3:-} -t "$1" -p "$2" "$MASTER" > "$ALOG" 2>&1 & APID=$!
  for i in $(seq 100); do [ "$(autofs_triggers)" != 0 ] && break; sleep 0.2; done
}
