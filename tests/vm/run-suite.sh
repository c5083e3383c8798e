#!/bin/bash
# tests/vm/run-suite.sh: the whole VM suite in one command (NFS through the guest kernel, vsys over NFS).
#
#   tests/vm/run-suite.sh [STEP...]      default: every executable tests/vm/steps/[0-9]*.sh, in name order,
#                                        then every executable kmod/tests/vm-*.sh (the kernel module's steps)
#
# 1. tests/vm/vm.sh prepare (Debian's kernel, headers, vmlinux, initramfs; cached)
# 2. an NFS server (tests/nfs/nfs-server.sh) in network namespace vsys-nfs-vmsuitePID: the cached Debian tree with
#    gcc (/var/cache/vsys/rootfs-bookworm-gcc) read-only as "/", a fresh directory read-write as "/proj"
# 3. ONE guest boot in that namespace (so the guest reaches the server as 10.0.2.2 = "fileserver") running all
#    steps, with a host agent answering the steps' requests (hash the server trees, kill / restart ganesha, read
#    a file on the server), see tests/vm/steps/lib.sh host_call
# 4. stop the server; print figures and "vm-suite: N passed, M failed" (steps; a guest that did not finish
#    counts as a failure). Exit 0 only if all passed.
# Bounded: the guest is killed after VM_SUITE_TIMEOUT (default 480) s, each step after VM_STEP_TIMEOUT (300) s.
# Cleans up the netns, ganesha, rpcbind, qemu and temp dirs on any exit (also Ctrl-C).
# env: VM_SUITE_LOG=DIR keeps the guest's result share (step logs, figures) there; VM_ACCEL, VM_MEM (see vm.sh).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
NFS=$PROJECT/tests/nfs/nfs-server.sh
TREE=/var/cache/vsys/rootfs-bookworm-gcc
NAME=vmsuite$$; NAME=${NAME:0:15}
T0=$(date +%s.%N)
el() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
say() { echo "vm-suite: $*"; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
RW=; OUT=; AGENT=; VMPID=; STARTED=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$VMPID" ] && kill -TERM "$VMPID" 2>/dev/null && wait "$VMPID" 2>/dev/null
  [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
  [ -n "$STARTED" ] && "$NFS" stop "$NAME" >/dev/null 2>&1
  [ -n "$RW" ] && rm -rf -- "$RW"
  if [ -n "$OUT" ] && [ -z "${VM_SUITE_LOG:-}" ]; then rm -rf -- "$OUT"; fi
  exit "$rc"
}
trap cleanup EXIT; trap 'say interrupted; exit 130' INT; trap 'exit 143' TERM

# the steps
if [ $# -gt 0 ]; then STEPS=("$@")
else
  STEPS=()
  for s in "$HERE"/steps/[0-9]*.sh "$PROJECT"/kmod/tests/vm-*.sh; do [ -x "$s" ] && STEPS+=("$s"); done
fi
[ ${#STEPS[@]} -gt 0 ] || { say "no steps"; exit 1; }

# 1. the guest kernel
"$HERE/vm.sh" prepare || { say "prepare failed"; say "0 passed, 1 failed"; exit 1; }

# 2. the server
RW=$(mktemp -d /var/tmp/vsys-vmsuite-proj.XXXXXX); chmod 1777 "$RW"
head -c 104857600 /dev/urandom > "$RW/vmbench-100M"     # read benchmark file (tests/vm/steps/20-nfs-read.sh)
STARTED=1
"$NFS" start "$NAME" tree "$RW" || { say "NFS server failed to start"; say "0 passed, 1 failed"; exit 1; }
NETNS=$("$NFS" netns "$NAME")

# the host agent: whitelisted actions the guest steps ask for through the result share
if [ -n "${VM_SUITE_LOG:-}" ]; then OUT=$VM_SUITE_LOG; mkdir -p "$OUT"; rm -f "$OUT"/host.* "$OUT"/figures; else OUT=$(mktemp -d /tmp/vsys-vmsuite-out.XXXXXX); fi
tree_hash() {   # content + metadata (type, mode, owner, size, symlink target) of every entry; no times
  (cd "$1" && { find . -xdev -printf '%y %m %U:%G %s %p -> %l\n' | LC_ALL=C sort
               find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; } | sha256sum | cut -c1-16)
}
agent_do() {   # agent_do CMD [ARG]
  local cmd=$1 arg=${2:-}
  case $arg in */..*|..*|*/../*) echo "bad path"; return 2;; esac
  case $cmd in
    hash) echo "root $(tree_hash "$TREE")"; echo "rw $(tree_hash "$RW")";;
    kill) "$NFS" kill "$NAME";;
    restart) "$NFS" restart "$NAME";;
    status) "$NFS" status "$NAME";;
    rwcat) cat -- "$RW/$arg";;
    rwexists) [ -e "$RW/$arg" ];;
    rootexists) [ -e "$TREE/$arg" ] || [ -L "$TREE/$arg" ];;
    rootcat) chroot "$TREE" cat -- "/$arg";;
    *) echo "unknown request: $cmd"; return 2;;
  esac
}
agent() {
  local n=1 cmd arg rc
  while :; do
    if [ -e "$OUT/host.req.$n" ]; then
      read -r cmd arg < "$OUT/host.req.$n" || true
      agent_do "$cmd" "$arg" > "$OUT/.host.out.$n" 2>&1; rc=$?
      mv "$OUT/.host.out.$n" "$OUT/host.out.$n"
      echo "$rc" > "$OUT/.host.rc.$n"; mv "$OUT/.host.rc.$n" "$OUT/host.rc.$n"
      echo "vm-suite: host agent: $cmd $arg -> rc=$rc" >> "$OUT/host.log"
      n=$((n + 1))
    else
      sleep 0.1
    fi
  done
}
touch "$OUT/host.agent"
agent & AGENT=$!

# 3. one boot, all steps
say "server $NAME up (netns $NETNS), ${#STEPS[@]} steps"
LOG=$OUT/suite.log
"$HERE/vm.sh" run --timeout "${VM_SUITE_TIMEOUT:-480}" --step-timeout "${VM_STEP_TIMEOUT:-300}" --netns "$NETNS" --out "$OUT" \
  "${STEPS[@]}" > >(tee "$LOG") 2>&1 &
VMPID=$!
wait "$VMPID"; VMRC=$?; VMPID=
sleep 0.2   # let tee finish

# 4. results
"$NFS" stop "$NAME" >/dev/null 2>&1; STARTED=
passed=$(grep -cE '^vm: .* rc=0 time=' "$LOG")
failed=$(grep -E '^vm: .* rc=[^ ]+ time=' "$LOG" | grep -vcE ' rc=0 time=')
if [ "$VMRC" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi   # the guest itself failed (timeout, crash)
if [ -s "$OUT/figures" ]; then echo "vm-suite: figures (guest: qemu TCG, 1 vCPU):"; sed 's/^/  /' "$OUT/figures"; fi
grep -E '^vm: boot=' "$LOG" | sed 's/^vm:/vm-suite: guest/'
say "whole suite $(el "$T0") s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]
