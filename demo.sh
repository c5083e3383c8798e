#!/bin/bash
# demo.sh: a walkthrough of vsys on a fresh Debian 12 machine, as root.
#
# Installs the packages it needs, builds and installs vsys, starts a "remote host" on this
# machine (a network namespace running sshd that serves a debootstrapped Debian tree with
# gcc), makes it a virtual system with `vsys -c`, compiles and runs the seed's example
# inside it as an ordinary user, adds an alias, destroys the system and stops the remote.
# Everything it starts is stopped again, also when a step fails.
set -euo pipefail

cd "$(dirname "$0")"
TOP=$(pwd)
. tests/lib/common.sh

NAME=demo
ALIAS=demo2
DEMO_USER=vsys-demo
HOSTS_MARK="# vsys demo.sh"
T0=$(now)
export PATH="$VSYS_PREFIX/bin:$PATH"

[ "$(id -u)" = 0 ] || { echo "demo.sh: run me as root (vsys mounts filesystems and installs a setuid launcher)" >&2; exit 1; }

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
# echo a command, then run it
run() {
    printf '\033[1m# %s\033[0m\n' "$*"
    "$@"
}
# echo and run a command as the demo user, from its home directory
run_as_user() {
    printf '\033[1m%s$ %s\033[0m\n' "$DEMO_USER" "$*"
    runuser -u "$DEMO_USER" -- sh -c "cd ~ && $*"
}

CREATED_USER=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ $rc -ne 0 ]; then
        printf '\n\033[1;31mdemo.sh: a step failed (exit %s); cleaning up\033[0m\n' "$rc" >&2
    fi
    if [ -e "$VSYS_R/etc/systems/$NAME" ] && [ -x "$VSYS_PREFIX/bin/vsys" ]; then
        "$VSYS_PREFIX/bin/vsys" destroy --force "$NAME" >/dev/null 2>&1 ||
            "$VSYS_PREFIX/bin/vsys" destroy "$NAME" || true
    fi
    tests/remote/remote.sh down "$NAME" >/dev/null 2>&1 || true
    if grep -q "$HOSTS_MARK" /etc/hosts; then
        # /etc/hosts may be a bind mount: rewrite it in place
        grep -v "$HOSTS_MARK" /etc/hosts >/etc/hosts.vsys-demo.tmp || true
        cat /etc/hosts.vsys-demo.tmp >/etc/hosts
        rm -f /etc/hosts.vsys-demo.tmp
    fi
    if [ "$CREATED_USER" = 1 ]; then userdel -r "$DEMO_USER" >/dev/null 2>&1 || true; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "1. packages (apt-get, only what is missing)"
apt_ensure openjdk-17-jdk-headless maven gcc make libc6-dev mandoc sshfs fuse3 \
    openssh-server openssh-client debootstrap iproute2 ca-certificates
echo "ok"

step "2. build and install (./install.sh: the vsys command, /OS, the setuid launcher /OS/bin/bin)"
run ./install.sh
run ls -l "$VSYS_R/bin"

if [ -e "$VSYS_R/etc/systems/$NAME" ]; then
    echo "demo.sh: a system named '$NAME' already exists; destroy it first: vsys -d $NAME" >&2
    trap - EXIT; exit 1
fi

step "3. a remote host on this machine: network namespace vsys-$NAME running sshd, serving a Debian tree with gcc"
t=$(now)
run tests/remote/remote.sh up "$NAME"
echo "(remote up in $(elapsed "$t") s; the first run also debootstraps the tree)"
IP=$(tests/remote/remote.sh ip "$NAME")
RDIR=/run/vsys-remote/$NAME
echo "# echo '$IP $NAME $HOSTS_MARK' >> /etc/hosts"
echo "$IP $NAME $HOSTS_MARK" >>/etc/hosts

step "4. an ordinary user of this machine"
if ! id -u "$DEMO_USER" >/dev/null 2>&1; then
    run useradd -m -s /bin/bash "$DEMO_USER"
    CREATED_USER=1
fi
run id "$DEMO_USER"

step "5. make it a virtual system: the remote's whole tree under /OS/$NAME, launcher link /OS/bin/$NAME"
t=$(now)
run vsys -c "$NAME" "ssh://root@$NAME/var/cache/vsys/rootfs-bookworm-gcc" \
    --identity "$RDIR/id_ed25519" --known-hosts "$RDIR/known_hosts"
echo "(vsys -c took $(elapsed "$t") s)"
run vsys list
run vsys status
run ls "$VSYS_R/$NAME"
run ls -l "$VSYS_R/bin"

step "6. as an ordinary user: compile with the remote's compiler, in the user's own directory"
cat >"/home/$DEMO_USER/prog.c" <<'EOF'
#include <stdio.h>
int main(void) { printf("hello from a virtual system\n"); return 0; }
EOF
chown "$DEMO_USER:" "/home/$DEMO_USER/prog.c"
run_as_user "cat prog.c"
run_as_user "/OS/bin/$NAME cc prog.c && /OS/bin/$NAME ./a.out"
run_as_user "/OS/bin/$NAME cat /etc/os-release"
run_as_user "/OS/bin/$NAME id"
run_as_user "echo 'echo \$0 in \$(pwd) as \$(id -un)' | /OS/bin/$NAME -sh"

step "7. a second name for the same system"
run vsys -a "$ALIAS" "$NAME"
run vsys list
run_as_user "/OS/bin/$ALIAS cat /etc/debian_version"

step "8. take it down: unmount, remove links, aliases and records (never a file on the remote)"
t=$(now)
run vsys -d "$NAME"
echo "(vsys -d took $(elapsed "$t") s)"
run vsys list
run ls -l "$VSYS_R/bin"

step "9. stop the remote host"
run tests/remote/remote.sh down "$NAME"
echo "# (remove the '$NAME' line from /etc/hosts)"
grep -v "$HOSTS_MARK" /etc/hosts >/etc/hosts.vsys-demo.tmp || true
cat /etc/hosts.vsys-demo.tmp >/etc/hosts
rm -f /etc/hosts.vsys-demo.tmp

printf '\n\033[1;32mdemo.sh: done in %s s\033[0m\n' "$(elapsed "$T0")"
