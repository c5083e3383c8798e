#!/bin/bash
# tests/remote/remote.sh: a "remote host" on this machine, for the demo and the tests.
#
#   remote.sh tree          build (once) the cached Debian tree the remote serves
#   remote.sh up NAME       start remote host NAME: netns vsys-NAME + veth + key-only sshd
#   remote.sh down NAME     stop it and remove everything `up` made
#   remote.sh status NAME   say whether it runs; exit 0 if it answers over ssh, 1 otherwise
#   remote.sh url NAME      print the ssh URL (and nothing else)
#   remote.sh ip NAME       print the remote's address (and nothing else)
#
# The tree is `debootstrap --variant=minbase --include=gcc,libc6-dev bookworm`, cached at
# /var/cache/vsys/rootfs-bookworm-gcc (built in a temp dir and renamed into place).
# The remote's sshd runs in its own network namespace but sees this machine's
# filesystem, so it serves that cached tree at the same path.
#
# Per remote NAME, everything lives under /run/vsys-remote/NAME (mode 0700):
#   sshd_config ssh_host_ed25519_key{,.pub} sshd.pid sshd.log authorized_keys
#   id_ed25519{,.pub} (the client identity)  known_hosts  ssh_config  ip  url
# Addresses: a /30 inside 10.201.0.0/16 chosen from a hash of NAME: host side .1, remote .2.
# Nothing global is changed (no /etc/hosts entry, no root ssh config).
set -euo pipefail

CACHE=/var/cache/vsys
TREE=$CACHE/rootfs-bookworm-gcc
RUNBASE=/run/vsys-remote
SUITE=bookworm
PROG=${0##*/}

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat >&2 <<EOF
usage: $PROG tree | up NAME | down NAME | status NAME | url NAME | ip NAME
EOF
    exit 2
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

check_name() {
    [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]] ||
        die "bad remote name '$1': use [a-z0-9][a-z0-9-]*, at most 20 characters"
}

# --- addressing ----------------------------------------------------------------------
# index 0..16383 of the /30 inside 10.201.0.0/16, from a hash of NAME
net_index() { echo $(( 0x$(printf '%s' "$1" | sha256sum | cut -c1-8) % 16384 )); }
addr_of() {   # addr_of NAME OFFSET(1|2)
    local i; i=$(net_index "$1")
    local n=$(( i * 4 + $2 ))
    echo "10.201.$(( n / 256 )).$(( n % 256 ))"
}
hash8() { printf '%s' "$1" | sha256sum | cut -c1-8; }
veth_host() { echo "vsh$(hash8 "$1")"; }   # <= 15 characters
veth_remote() { echo "vsr$(hash8 "$1")"; }

# --- the tree ------------------------------------------------------------------------
debian_mirror() {
    local f uri suites line m=""
    # deb822 sources: a stanza with URIs: and Suites: containing the suite
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        m=$(awk -v s="$SUITE" '
            BEGIN { RS=""; FS="\n" }
            { uri=""; ok=0
              for (i = 1; i <= NF; i++) {
                if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uri=u[1] }
                if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == s) ok=1 }
                if ($i ~ /^Enabled:[ \t]*no/) ok=0
              }
              if (ok && uri != "") { print uri; exit } }' "$f")
        [ -n "$m" ] && { echo "$m"; return; }
    done
    # one-line sources
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        m=$(awk -v s="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                  if ($(i+1) == s) { print $i; exit } }' "$f")
        [ -n "$m" ] && { echo "$m"; return; }
    done
    echo "http://deb.debian.org/debian"
}

tree_ok() { [ -x "$TREE/bin/sh" ] && [ -e "$TREE/usr/bin/gcc" ] && [ -e "$TREE/usr/include/stdio.h" ]; }

build_tree() {
    need_root
    mkdir -p "$CACHE"
    chmod 0755 "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9                       # two builders at once: the second waits and finds the tree
    if tree_ok; then say "tree: cached at $TREE"; exec 9>&-; return 0; fi
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
    local mirror tmp t0
    mirror=$(debian_mirror)
    rm -rf "$CACHE"/.rootfs-tmp.*  # leftovers of an interrupted build (ours: we hold the lock)
    tmp=$(mktemp -d "$CACHE/.rootfs-tmp.XXXXXX")
    say "tree: debootstrap --variant=minbase --include=gcc,libc6-dev $SUITE from $mirror (log $CACHE/debootstrap.log)"
    t0=$(date +%s)
    if ! debootstrap --variant=minbase --include=gcc,libc6-dev "$SUITE" "$tmp" "$mirror" \
            >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log" >&2
        rm -rf "$tmp"
        die "tree: debootstrap failed (see $CACHE/debootstrap.log)"
    fi
    # a plain hello-world check that the compiler works in the tree
    printf '#include <stdio.h>\nint main(void){puts("tree ok");return 0;}\n' >"$tmp/tmp/vsys-check.c"
    chroot "$tmp" /bin/sh -c 'cd /tmp && gcc -o vsys-check vsys-check.c && ./vsys-check' ||
        { rm -rf "$tmp"; die "tree: gcc does not work in the new tree"; }
    rm -f "$tmp/tmp/vsys-check.c" "$tmp/tmp/vsys-check"
    apt_clean "$tmp"
    chmod 0755 "$tmp"
    mv -T "$tmp" "$TREE"
    say "tree: built in $(( $(date +%s) - t0 )) s, $(du -sh "$TREE" | cut -f1) at $TREE"
    exec 9>&-
}

apt_clean() {   # keep the cache small: drop downloaded .debs
    rm -f "$1"/var/cache/apt/archives/*.deb 2>/dev/null || true
}

# --- up / down / status --------------------------------------------------------------
sshd_pid() {   # pid of our sshd if it runs, else nothing
    local d=$RUNBASE/$1 p
    [ -r "$d/sshd.pid" ] || return 0
    p=$(cat "$d/sshd.pid" 2>/dev/null || true)
    [[ $p =~ ^[0-9]+$ ]] || return 0
    # it must be our sshd (same config file on its command line)
    if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "$d/sshd_config"; then
        echo "$p"
    fi
}

ssh_ok() {   # can we log in?
    local d=$RUNBASE/$1
    [ -r "$d/ssh_config" ] || return 1
    timeout 10 ssh -F "$d/ssh_config" "$(cat "$d/ip")" true >/dev/null 2>&1
}

up() {
    local name=$1 d=$RUNBASE/$1 ns=vsys-$1 hip rip vh vr
    need_root
    check_name "$name"
    for c in ip sshd ssh ssh-keygen; do
        command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] ||
            die "$c is not installed (apt-get install openssh-server openssh-client iproute2)"
    done
    build_tree
    hip=$(addr_of "$name" 1); rip=$(addr_of "$name" 2)
    vh=$(veth_host "$name"); vr=$(veth_remote "$name")

    if [ -n "$(sshd_pid "$name")" ] && ssh_ok "$name"; then
        say "up $name: already running"
        print_info "$name"
        return 0
    fi
    # a half-made earlier attempt: clear it first
    if ip netns list | awk '{print $1}' | grep -qx "$ns" || [ -d "$d" ]; then
        say "up $name: clearing an earlier, incomplete start"
        down "$name" >/dev/null
    fi
    # another remote whose name hashes to the same /30?
    if ip -o addr show | grep -q " $hip/30 "; then
        die "up $name: address $hip/30 is already used on this host (a remote with a colliding name?)"
    fi

    mkdir -p "$RUNBASE"; chmod 0755 "$RUNBASE"
    mkdir -m 0700 "$d"
    trap 'say "up $name: failed, cleaning up"; down "$name" >/dev/null 2>&1 || true' ERR

    ssh-keygen -q -t ed25519 -N '' -C "vsys-remote-$name-host" -f "$d/ssh_host_ed25519_key"
    ssh-keygen -q -t ed25519 -N '' -C "vsys-remote-$name-client" -f "$d/id_ed25519"
    cp "$d/id_ed25519.pub" "$d/authorized_keys"
    chmod 0600 "$d/authorized_keys"
    echo "$rip,$name $(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")" >"$d/known_hosts"
    chmod 0644 "$d/known_hosts"
    echo "$rip" >"$d/ip"
    echo "ssh://root@$rip$TREE" >"$d/url"

    cat >"$d/sshd_config" <<EOF
# sshd of vsys test remote "$name" (netns $ns): key-only, own host key, veth address only
ListenAddress $rip:22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
EOF
    cat >"$d/ssh_config" <<EOF
Host $rip $name
  HostName $rip
  User root
  IdentityFile $d/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $d/known_hosts
  GlobalKnownHostsFile /dev/null
  BatchMode yes
  ConnectTimeout 5
EOF

    ip netns add "$ns"
    ip link add "$vh" type veth peer name "$vr"
    ip link set "$vr" netns "$ns"
    ip addr add "$hip/30" dev "$vh"
    ip link set "$vh" up
    ip -n "$ns" addr add "$rip/30" dev "$vr"
    ip -n "$ns" link set "$vr" up
    ip -n "$ns" link set lo up

    mkdir -p /run/sshd; chmod 0755 /run/sshd    # sshd's privilege separation directory
    /usr/sbin/sshd -t -f "$d/sshd_config"
    ip netns exec "$ns" /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
    local i
    for i in $(seq 100); do
        ssh_ok "$name" && break
        sleep 0.1
    done
    ssh_ok "$name" || { tail -n 5 "$d/sshd.log" >&2 || true; false; }
    trap - ERR
    say "up $name: sshd answers at $rip (netns $ns)"
    print_info "$name"
}

print_info() {
    local d=$RUNBASE/$1
    cat <<EOF
  url:         $(cat "$d/url")
  identity:    $d/id_ed25519
  known_hosts: $d/known_hosts
  ssh:         ssh -F $d/ssh_config $(cat "$d/ip")
EOF
}

down() {
    local name=$1 d=$RUNBASE/$1 ns=vsys-$1 p i
    need_root
    check_name "$name"
    p=$(sshd_pid "$name")
    if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
    # every process left in the namespace (ssh sessions of sshfs clients) goes too
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        for i in 1 2 3 4 5 6 7 8 9 10; do
            p=$(ip netns pids "$ns" 2>/dev/null || true)
            [ -z "$p" ] && break
            # shellcheck disable=SC2086
            if [ "$i" -lt 6 ]; then kill $p 2>/dev/null || true; else kill -9 $p 2>/dev/null || true; fi
            sleep 0.2
        done
        ip netns del "$ns"
    fi
    # the host end of the veth disappears with its peer; remove it if it did not
    if ip link show "$(veth_host "$name")" >/dev/null 2>&1; then
        ip link del "$(veth_host "$name")" 2>/dev/null || true
    fi
    if [ -d "$d" ]; then rm -rf -- "$d"; fi
    rmdir "$RUNBASE" 2>/dev/null || true
    say "down $name: stopped"
}

status() {
    local name=$1 d=$RUNBASE/$1 p
    check_name "$name"
    p=$(sshd_pid "$name")
    if [ -z "$p" ]; then
        say "status $name: not running"
        return 1
    fi
    if ssh_ok "$name"; then
        say "status $name: running (sshd pid $p, netns vsys-$name, $(cat "$d/ip"))"
        print_info "$name"
        return 0
    fi
    say "status $name: sshd pid $p runs but does not answer"
    return 1
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case $cmd in
    tree)   [ $# -eq 0 ] || usage; build_tree ;;
    up)     [ $# -eq 1 ] || usage; up "$1" ;;
    down)   [ $# -eq 1 ] || usage; down "$1" ;;
    status) [ $# -eq 1 ] || usage; status "$1" ;;
    url)    [ $# -eq 1 ] || usage; check_name "$1"; [ -r "$RUNBASE/$1/url" ] || die "$1 is not up"; cat "$RUNBASE/$1/url" ;;
    ip)     [ $# -eq 1 ] || usage; check_name "$1"; [ -r "$RUNBASE/$1/ip" ] || die "$1 is not up"; cat "$RUNBASE/$1/ip" ;;
    -h|--help|help) usage ;;
    *) usage ;;
esac
