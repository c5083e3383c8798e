#!/bin/bash
# tests/nfs/nfs-server.sh: a real NFS server for the tests (nfs-ganesha, FSAL VFS, + rpcbind), NFSv3 and NFSv4.1,
# in a network namespace of its own.
#
#   nfs-server.sh start NAME ROOT_TREE RW_DIR [RW_PSEUDO]
#                                  export ROOT_TREE read-only as "/" and RW_DIR read-write as RW_PSEUDO (default
#                                  /proj); ROOT_TREE "tree" = the cached debootstrapped Debian tree with gcc
#                                  (/var/cache/vsys/rootfs-bookworm-gcc, built if missing)
#   nfs-server.sh stop NAME        stop everything start made (idempotent)
#   nfs-server.sh status NAME      exit 0 if ganesha runs and answers, 1 otherwise
#   nfs-server.sh kill NAME        SIGKILL ganesha only (a server that dies; rpcbind and the netns stay)
#   nfs-server.sh restart NAME     start ganesha again after `kill` (same exports, same namespaces)
#   nfs-server.sh netns NAME       print the network namespace name
#   nfs-server.sh exec NAME CMD..  run CMD in the server's network + mount namespace (e.g. showmount -e 127.0.0.1)
#
# Layout (what a client sees):
#   - every export is reached by its Pseudo path, over v3 too (NFS_CORE_PARAM Mount_Path_Pseudo = true), so
#     `showmount -e` lists "/" and "/proj" whatever the real paths on the server are, and
#       mount -t nfs  -o vers=3,nolock fileserver:/ /mnt       mount -t nfs -o vers=4.1 fileserver:/ /mnt
#       mount -t nfs  -o vers=3,nolock fileserver:/proj /mnt   mount -t nfs -o vers=4.1 fileserver:/proj /mnt
#     all work. (Without Mount_Path_Pseudo, v3 clients must use the real server paths and showmount lists those.)
#   - the root export is the NFSv4 pseudo root itself (Pseudo = /); the rw export is a junction inside it, so
#     ROOT_TREE must have the directory RW_PSEUDO (an empty "/proj" is created in ROOT_TREE if missing: ganesha
#     cannot place a junction on a missing directory: "LOOKUP proj failed ... (can't create directory on
#     non-PSEUDO FSAL)", FATAL; the directory is the only change made to ROOT_TREE).
#     A v4 client that mounts "/" crosses into /proj by itself (the kernel automounts the junction as a
#     submount); a v3 client sees the empty directory. So clients mount /proj explicitly, as vsys does.
#   - Squash = No_Root_Squash on both exports (root in the client is root on the server: the root tree is
#     root-owned, it is read-only anyway); the rw area is used by unprivileged users through normal permissions:
#     make RW_DIR writable for them (e.g. mode 1777) - this script does not change RW_DIR's mode.
#   - NLM (locking) and RQUOTA are off and there is no rpc.statd: v3 clients must mount with `nolock`; v4.1
#     has locking in the protocol. Grace period is off (Graceless), so a restarted server answers at once.
#
# Processes: rpcbind and ganesha run in network namespace vsys-nfs-NAME (a veth pair inside it carries an
# address: ganesha refuses to start when the only address is on lo) and in a private mount namespace with its own
# tmpfs /run (rpcbind's unix socket /run/rpcbind.sock would otherwise collide with any other rpcbind on the host).
# From that namespace, 127.0.0.1:2049/111/20048 is the server; a qemu guest started in the netns
# (ip netns exec vsys-nfs-NAME qemu ... -netdev user) reaches it as 10.0.2.2. State: /var/lib/vsys-nfs/NAME.
set -euo pipefail
PROG=${0##*/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATEBASE=/var/lib/vsys-nfs
TREE_DEFAULT=/var/cache/vsys/rootfs-bookworm-gcc

die() { echo "$PROG: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }
check_name() { [[ ${1:-} =~ ^[a-z0-9][a-z0-9-]{0,14}$ ]] || die "bad name '${1:-}': [a-z0-9][a-z0-9-]*, at most 15 characters"; }
nsname() { echo "vsys-nfs-$1"; }
alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]; }  # zombies count as dead
pidof_file() { local p; p=$(cat "$1" 2>/dev/null || true); [[ $p =~ ^[0-9]+$ ]] && alive "$p" && echo "$p" || true; }
in_ns() { local name=$1; shift; local p; p=$(pidof_file "$STATEBASE/$name/rpcbind.pid"); [ -n "$p" ] || die "$name: not running"; nsenter -t "$p" -m -n -- "$@"; }

tree_ok() { [ -x "$1/bin/sh" ] && [ -e "$1/usr/bin/gcc" ] && [ -e "$1/usr/include/stdio.h" ]; }
ensure_tree() {   # the debootstrapped tree shared with tests/remote/remote.sh (same lock file, same command)
  local t=$TREE_DEFAULT
  tree_ok "$t" && return 0
  if [ -x "$HERE/../remote/remote.sh" ]; then "$HERE/../remote/remote.sh" tree >&2; tree_ok "$t" && return 0; fi
  mkdir -p /var/cache/vsys
  exec 8>/var/cache/vsys/.lock; flock 8
  if ! tree_ok "$t"; then
    local tmp; tmp=$(mktemp -d /var/cache/vsys/.rootfs-tmp.XXXXXX)
    say "building $t (debootstrap, ~30-60 s)" >&2
    debootstrap --variant=minbase --include=gcc,libc6-dev bookworm "$tmp" http://deb.debian.org/debian \
      > /var/cache/vsys/debootstrap.log 2>&1 || { rm -rf "$tmp"; die "debootstrap failed (/var/cache/vsys/debootstrap.log)"; }
    rm -f "$tmp"/var/cache/apt/archives/*.deb; chmod 755 "$tmp"; mv -T "$tmp" "$t"
  fi
  exec 8>&-
}

write_conf() {   # write_conf STATEDIR ROOT RW PSEUDO
  cat > "$1/ganesha.conf" <<EOF
# generated by tests/nfs/nfs-server.sh (nfs-ganesha 4.x, FSAL VFS)
NFS_CORE_PARAM {
    NFS_Port = 2049;
    MNT_Port = 20048;
    Protocols = 3, 4;
    Enable_NLM = false;          # no lock manager, no rpc.statd: v3 clients mount with nolock
    Enable_RQUOTA = false;
    Enable_UDP = false;
    Mount_Path_Pseudo = true;    # v3 MOUNT and showmount use the pseudo paths: "/" and "$4"
}
NFSV4 {
    Graceless = true;            # a restarted server answers at once (no 90 s grace period)
    Only_Numeric_Owners = true;  # numeric uid/gid on the wire, no idmapd
    RecoveryBackend = fs;
    RecoveryRoot = "$1/recovery";
    Minor_Versions = 0, 1, 2;
}
NFS_KRB5 { Active_krb5 = false; }
EXPORT_DEFAULTS { SecType = sys; Squash = No_Root_Squash; Transports = TCP; Protocols = 3, 4; }
EXPORT {
    Export_Id = 1;
    Path = "$2";
    Pseudo = "/";
    Access_Type = RO;
    Squash = No_Root_Squash;
    FSAL { Name = VFS; }
}
EXPORT {
    Export_Id = 2;
    Path = "$3";
    Pseudo = "$4";
    Access_Type = RW;
    Squash = No_Root_Squash;
    FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
EOF
}

start_ganesha() {   # in the namespaces of the running rpcbind
  local name=$1 d=$STATEBASE/$1 rp gp i t0
  rp=$(pidof_file "$d/rpcbind.pid"); [ -n "$rp" ] || die "$name: rpcbind is not running"
  : > "$d/ganesha.log"; rm -f "$d/ganesha.pid"
  t0=$(date +%s.%N)
  setsid nsenter -t "$rp" -m -n -- ganesha.nfsd -F -f "$d/ganesha.conf" -L "$d/ganesha.log" -p "$d/ganesha.pidfile" -N NIV_EVENT \
    < /dev/null > "$d/ganesha.out" 2>&1 &
  echo $! > "$d/ganesha.pid"
  for i in $(seq 300); do   # bounded: 30 s
    grep -q 'NFS SERVER INITIALIZED' "$d/ganesha.log" 2>/dev/null && break
    gp=$(pidof_file "$d/ganesha.pid"); [ -n "$gp" ] || break
    sleep 0.1
  done
  if ! grep -q 'NFS SERVER INITIALIZED' "$d/ganesha.log" 2>/dev/null; then
    echo "$PROG: ganesha did not start; log tail:" >&2; tail -n 20 "$d/ganesha.log" "$d/ganesha.out" >&2 || true
    return 1
  fi
  say "$name: ganesha up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')s (pid $(cat "$d/ganesha.pid"), netns $(nsname "$name"))"
}

start() {
  [ $# -ge 3 ] && [ $# -le 4 ] || usage
  local name=$1 root=$2 rw=$3 pseudo=${4:-/proj} ns d rp i
  check_name "$name"; ns=$(nsname "$name"); d=$STATEBASE/$name
  [ "$(id -u)" = 0 ] || die "must run as root"
  for c in ganesha.nfsd rpcbind rpcinfo nsenter unshare ip; do command -v "$c" >/dev/null || die "$c missing (apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind)"; done
  [ "$root" = tree ] && { ensure_tree; root=$TREE_DEFAULT; }
  [ -d "$root" ] || die "no such directory: $root"; root=$(readlink -f "$root")
  [ -d "$rw" ] || die "no such directory: $rw"; rw=$(readlink -f "$rw")
  [[ $pseudo =~ ^/[A-Za-z0-9._/-]+$ ]] || die "bad pseudo path: $pseudo"
  if [ -n "$(pidof_file "$d/ganesha.pid")" ]; then say "$name: already running"; return 0; fi
  stop "$name" >/dev/null 2>&1 || true      # leftovers of an earlier, broken start
  [ -d "$root$pseudo" ] || mkdir -p "$root$pseudo"   # the junction for the rw export (see top)
  mkdir -p "$d/recovery"; chmod 700 "$d"
  write_conf "$d" "$root" "$rw" "$pseudo"
  echo "$root" > "$d/root"; echo "$rw" > "$d/rw"; echo "$pseudo" > "$d/pseudo"
  trap 'echo "$PROG: start failed, cleaning up" >&2; stop "$name" >/dev/null 2>&1 || true' ERR
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # ganesha needs a non-loopback address (getaddrinfo AI_ADDRCONFIG); no dummy driver here: a veth pair inside the netns
  ip -n "$ns" link add vnfs0 type veth peer name vnfs1
  ip -n "$ns" addr add 169.254.77.1/30 dev vnfs0
  ip -n "$ns" link set vnfs0 up; ip -n "$ns" link set vnfs1 up
  # rpcbind: netns + private mount ns with a fresh /run; `exec` keeps the pid, so rpcbind's pid is the ns handle
  setsid ip netns exec "$ns" unshare -m --propagation private -- /bin/sh -c \
    'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/rpcbind && exec rpcbind -f' \
    < /dev/null > "$d/rpcbind.out" 2>&1 &
  echo $! > "$d/rpcbind.pid"
  for i in $(seq 100); do
    rp=$(pidof_file "$d/rpcbind.pid"); [ -n "$rp" ] || break
    [ "$(readlink /proc/"$rp"/exe 2>/dev/null)" = "$(readlink -f "$(command -v rpcbind)")" ] &&
      nsenter -t "$rp" -m -n -- rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  nsenter -t "$rp" -m -n -- rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || { cat "$d/rpcbind.out" >&2; die "$name: rpcbind did not start"; }
  start_ganesha "$name"
  trap - ERR
  in_ns "$name" showmount -e 127.0.0.1 2>/dev/null | sed 's/^/  /' || true
}

stop() {
  local name=$1 ns d p i
  check_name "$name"; ns=$(nsname "$name"); d=$STATEBASE/$name
  for f in ganesha rpcbind; do
    p=$(pidof_file "$d/$f.pid")
    [ -n "$p" ] || continue
    kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 50); do alive "$p" || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
    for i in $(seq 10); do   # anything else left in the netns that we started (qemu of a killed run)
      p=$(ip netns pids "$ns" 2>/dev/null || true); [ -z "$p" ] && break
      # shellcheck disable=SC2086
      if [ "$i" -lt 6 ]; then kill $p 2>/dev/null || true; else kill -9 $p 2>/dev/null || true; fi
      sleep 0.2
    done
    ip netns del "$ns"
  fi
  rm -rf -- "$d"; rmdir "$STATEBASE" 2>/dev/null || true
  say "$name: stopped"
}

status() {
  local name=$1 d=$STATEBASE/$1 gp
  check_name "$name"
  gp=$(pidof_file "$d/ganesha.pid")
  if [ -n "$gp" ] && in_ns "$name" rpcinfo -T tcp 127.0.0.1 nfs 3 >/dev/null 2>&1; then
    say "$name: running (ganesha pid $gp, netns $(nsname "$name")): / = $(cat "$d/root") (ro), $(cat "$d/pseudo") = $(cat "$d/rw") (rw)"
    return 0
  fi
  say "$name: not running"; return 1
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
  start) start "$@";;
  stop) [ $# = 1 ] || usage; stop "$1";;
  status) [ $# = 1 ] || usage; status "$1";;
  kill) [ $# = 1 ] || usage; check_name "$1"; p=$(pidof_file "$STATEBASE/$1/ganesha.pid")
    if [ -n "$p" ]; then kill -KILL "$p"; for i in $(seq 50); do alive "$p" || break; sleep 0.1; done; say "$1: ganesha killed (pid $p)"
    else say "$1: ganesha not running"; fi;;
  restart) [ $# = 1 ] || usage; check_name "$1"; [ -z "$(pidof_file "$STATEBASE/$1/ganesha.pid")" ] || die "$1: ganesha still runs"; start_ganesha "$1";;
  netns) [ $# = 1 ] || usage; check_name "$1"; nsname "$1";;
  exec) [ $# -ge 2 ] || usage; check_name "$1"; n=$1; shift; in_ns "$n" "$@";;
  *) usage;;
esac
