#!/bin/bash
# tests/vm/run-suite.sh: the whole VM suite in one command (NFS through the guest kernel, vsys over NFS).
#
#   tests/vm/run-suite.sh [STEP...]      default: every executable tests/vm/steps/[0-9]*.sh, in name order: one
#                                        numbered series, one boot (NN-kmod-*: the kernel module's steps,
#                                        VM_SUITE_KMOD=0 leaves them out; the benchmarks *bench* only with
#                                        VM_SUITE_BENCH=1, or VM_SUITE_KMOD_BENCH=1 as before)
#
# 1. tests/vm/vm.sh prepare (Debian's kernel, headers, vmlinux, initramfs; cached)
# 2. an NFS server (tests/nfs/nfs-server.sh) in network namespace vsys-nfs-vmsuitePID: the cached Debian tree with
#    gcc (/var/cache/vsys/rootfs-bookworm-gcc) read-only as "/", a fresh directory read-write as "/proj"
# 3. ONE guest boot in that namespace (so the guest reaches the server as 10.0.2.2 = "fileserver") running all
#    steps, with a host agent answering the steps' requests (hash the server trees, kill / restart ganesha, read
#    a file on the server), see tests/vm/steps/lib.sh host_call
# 4. stop the server; print figures and "vm-suite: N passed, M failed" (steps; a guest that did not finish
#    counts as a failure). Exit 0 only if all passed.
# Bounded: the guest is killed after VM_SUITE_TIMEOUT (default 1200) s, each step after VM_STEP_TIMEOUT (420) s.
# Cleans up the netns, ganesha, rpcbind, qemu and temp dirs on any exit (also Ctrl-C).
# An sshd runs next to ganesha for an NFS/sshfs read comparison (VM_SUITE_SSHFS=0: none).
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
  BENCH=${VM_SUITE_BENCH:-${VM_SUITE_KMOD_BENCH:-0}}
  for s in "$HERE"/steps/[0-9]*.sh; do
    case ${s##*/} in *bench*) [ "$BENCH" = 1 ] || continue;; esac
    case ${s##*/} in *-kmod-*) [ "${VM_SUITE_KMOD:-1}" = 1 ] || continue;; esac
    [ -x "$s" ] && STEPS+=("$s")
  done
fi
[ ${#STEPS[@]} -gt 0 ] || { say "no steps"; exit 1; }

# 0. the packages (nothing to do when .ci/run or an earlier run installed them)
if [ -r "$PROJECT/tests/lib/common.sh" ]; then
  . "$PROJECT/tests/lib/common.sh"
  apt_ensure qemu-system-x86 busybox-static nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common libnfs-utils cpio xz-utils \
    kmod autofs debootstrap openssh-server openssh-client sshfs slurmctld slurmd slurm-client munge libslurm-dev || { say "installing packages failed"; say "0 passed, 1 failed"; exit 1; }
fi

# 1. the guest kernel
"$HERE/vm.sh" prepare || { say "prepare failed"; say "0 passed, 1 failed"; exit 1; }

# the SPANK plugin of 56-autofs-slurm (make -C native builds it only when libslurm-dev's header is there)
if printf '%s\n' "${STEPS[@]}" | grep -q -- '-slurm' && [ ! -f "$PROJECT/native/build/vsys_spank.so" ]; then
  make -s -C "$PROJECT/native" spank > /dev/null 2>&1 || say "make -C native spank failed (56-autofs-slurm will say so)"
fi

# the kernel module and its test programs, built on the host (the kmod steps build only what is missing or older
# than its source: under TCG a module build takes minutes). A failed build is left to the steps to report.
if printf '%s\n' "${STEPS[@]}" | grep -q -- '-kmod-' && [ -f "$PROJECT/kmod/Makefile" ]; then
  make -s -C "$PROJECT/kmod" > /tmp/vsys-vmsuite-kmod-build.$$ 2>&1 || { say "host build of kmod failed (the kmod steps will say more):"; tail -n 5 /tmp/vsys-vmsuite-kmod-build.$$; }
  rm -f /tmp/vsys-vmsuite-kmod-build.$$
fi

# the JVM under TCG is slow to start (10-30 s per vsys command on a loaded machine): a class-data-sharing archive
# of the installed vsys, made on the host, halves that. Used by the guest steps through JAVA_TOOL_OPTIONS;
# a stale archive is only ignored by the JVM (-Xshare:auto), never an error.
cds_archive() {
  local jars key f
  command -v vsys >/dev/null && command -v java >/dev/null || return 0
  grep -q -- '-XX:SharedArchiveFile=' "$(command -v vsys)" && return 0   # install.sh made one (bench/mkcds.sh)
  jars=$(sed -n "s/.*-cp '\([^']*\)'.*/\1/p" "$(command -v vsys)" | head -n 1)
  [ -n "$jars" ] || return 0
  # shellcheck disable=SC2086
  key=$({ java -version 2>&1; ls -l --time-style=+%s $jars; } | sha256sum | cut -c1-12)
  f=$HERE/cache/vsys-cds-$key.jsa
  if [ ! -s "$f" ]; then
    rm -f "$HERE"/cache/vsys-cds-*.jsa
    (cd / && JAVA_TOOL_OPTIONS="-XX:ArchiveClassesAtExit=$f.tmp" timeout 60 vsys list > /dev/null 2>&1) && [ -s "$f.tmp" ] && mv "$f.tmp" "$f"
    rm -f "$f.tmp"
  fi
  [ -s "$f" ] && echo "$f"
}
CDS=$(cds_archive || true)

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
rm -f "$OUT/vsys-cds"; [ -n "$CDS" ] && echo "$CDS" > "$OUT/vsys-cds"
agent & AGENT=$!

# an sshd next to ganesha (same netns, 127.0.0.1:22 there = 10.0.2.2:22 for the guest), so the read benchmark
# can compare NFS with sshfs within one environment (guest, and host below). Key-only, files in $OUT/ssh.
ssh_setup() {
  local d=$OUT/ssh
  rm -rf "$d"; mkdir -p "$d" && chmod 755 "$d"
  ssh-keygen -q -t ed25519 -N '' -C vmsuite-host -f "$d/host_key" && ssh-keygen -q -t ed25519 -N '' -C vmsuite -f "$d/id" || return 1
  cp "$d/id.pub" "$d/authorized_keys"
  echo "fileserver,10.0.2.2,127.0.0.1 $(cut -d' ' -f1,2 "$d/host_key.pub")" > "$d/known_hosts"
  printf '%s\n' "ListenAddress 127.0.0.1:22" "HostKey $d/host_key" "PidFile $d/sshd.pid" "AuthorizedKeysFile $d/authorized_keys" \
    "StrictModes no" "PermitRootLogin prohibit-password" "PasswordAuthentication no" "KbdInteractiveAuthentication no" \
    "UsePAM no" "Subsystem sftp internal-sftp" > "$d/sshd_config"
  printf '%s\n' "Host fileserver 127.0.0.1" "  User root" "  IdentityFile $d/id" "  IdentitiesOnly yes" \
    "  UserKnownHostsFile $d/known_hosts" "  StrictHostKeyChecking yes" "  BatchMode yes" > "$d/ssh_config"
  echo "$RW" > "$d/rwpath"
  "$NFS" exec "$NAME" sh -c "mkdir -p /run/sshd && /usr/sbin/sshd -f $d/sshd_config -E $d/sshd.log"
}
if [ "${VM_SUITE_SSHFS:-1}" = 1 ] && command -v sshfs >/dev/null && [ -x /usr/sbin/sshd ]; then
  ssh_setup || { say "sshd for the sshfs comparison did not start (skipped)"; rm -rf "$OUT/ssh"; }
fi

# 3. one boot, all steps
say "server $NAME up (netns $NETNS), ${#STEPS[@]} steps"
LOG=$OUT/suite.log
"$HERE/vm.sh" run --timeout "${VM_SUITE_TIMEOUT:-1200}" --step-timeout "${VM_STEP_TIMEOUT:-420}" --netns "$NETNS" --out "$OUT" \
  "${STEPS[@]}" > >(tee "$LOG") 2>&1 &
VMPID=$!
wait "$VMPID"; VMRC=$?; VMPID=
sleep 0.2   # let tee finish

# host-side read of the same file, for comparison within the host environment (netns of the server, no guest)
host_bench() {
  local v t mnt
  for v in 3 4; do
    t=$(date +%s.%N); "$NFS" exec "$NAME" nfs-cat "nfs://127.0.0.1/proj/vmbench-100M?version=$v" > /dev/null || continue
    awk -v a="$t" -v b="$(date +%s.%N)" -v v=$v 'BEGIN{printf "nfs_read_100M_v%s_host_libnfs %.0f MB/s (nfs-cat, userspace client)\n", v, 100/(b-a)}' >> "$OUT/figures"
  done
  if [ -f "$OUT/ssh/ssh_config" ]; then
    mnt=$(mktemp -d /tmp/vsys-vmsuite-sshfs.XXXXXX)
    SSHCFG=$OUT/ssh/ssh_config RWP=$RW MNT=$mnt FIG=$OUT/figures "$NFS" exec "$NAME" bash -c '
      sshfs -F "$SSHCFG" -o ro "127.0.0.1:$RWP" "$MNT" || exit 1
      t=$(date +%s.%N); cat "$MNT/vmbench-100M" > /dev/null
      awk -v a="$t" -v b="$(date +%s.%N)" "BEGIN{printf \"sshfs_read_100M_host %.0f MB/s (sshfs, fresh mount)\n\", 100/(b-a)}" >> "$FIG"
      fusermount -u "$MNT"' || true
    rmdir "$mnt" 2>/dev/null
  fi
}
[ "${VM_SUITE_SSHFS:-1}" = 1 ] && host_bench

# 4. results
"$NFS" stop "$NAME" >/dev/null 2>&1; STARTED=
passed=$(grep -cE '^vm: .* rc=0 time=' "$LOG")
failed=$(grep -E '^vm: .* rc=[^ ]+ time=' "$LOG" | grep -vcE ' rc=0 time=')
if [ "$VMRC" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi   # the guest itself failed (timeout, crash)
if [ -s "$OUT/figures" ]; then echo "vm-suite: figures (*_guest: inside the qemu TCG guest, 1 vCPU; *_host: on this machine, in the server netns):"; sed 's/^/  /' "$OUT/figures"; fi
grep -E '^vm: boot=' "$LOG" | sed 's/^vm:/vm-suite: guest/'
say "whole suite $(el "$T0") s"
say "$passed passed, $failed failed"
[ "$failed" = 0 ]
