# tests/pam/sshd-bed.sh: a real sshd with UsePAM yes whose PAM stack holds pam_vsys.so, without
# touching the machine's /etc/pam.d: a private mount namespace (held by one `sleep` process) in
# which test files are bound over /etc/pam.d/{sshd,su-l,runuser-l} and /OS/etc/vsys.conf, and a
# network namespace of its own. Source it (after tests/lib/common.sh), then:
#   pam_bed_up                      the mount namespace, keys, sshd on 127.0.0.1:$PAM_PORT
#   pam_bed_bind_system NAME        make system NAME's namespace visible in the private namespace
#   pam_bed_stack "OPTIONS" | none  (re)write the test PAM files: pam_vsys.so OPTIONS, or no module
#   pam_bed_conf "KEY=VALUE..."     (re)write the bound vsys.conf: the machine's plus these lines
#   pam_bed_ssh USER CMD            ssh USER@127.0.0.1 CMD (key only), stdout/stderr to the caller
#   pam_bed_in CMD...               run CMD in the private mount namespace (su -l, runuser -l, pamtester)
#   pam_bed_down                    stop sshd and the holder by pid, remove the netns and $PAM_DIR
# The module: $PAM_MODULE (absolute path).
# Why systems are bound: a new mount namespace gets no copy of the nsfs binds in $VSYS_R/.ns
# (the kernel skips them), and a namespace can only be bound into one older than itself, so the
# systems are created after the private namespace and then bound into it. "Older" is by namespace
# id, and on this 6.18 kernel ids are handed out in per-CPU batches, not in order across CPUs: a
# system prepared on the other CPU can get a smaller id than the holder (bind: EINVAL). The holder is
# made on one CPU ($PAM_CPU) and a refused system is prepared again on that CPU, where ids only grow.
PAM_NETNS=${PAM_NETNS:-x14-pam}
PAM_PORT=${PAM_PORT:-2214}
PAM_DIR=
PAM_HOLDER=
PAM_SSHD=
PAM_MADE_RUN_SSHD=
PAM_CPU=

pam_bed_in() { nsenter -t "$PAM_HOLDER" -m -- "$@"; }

pam_bed_up() {
    local i
    PAM_DIR=$(mktemp -d /tmp/x14-pam.XXXXXX)
    chmod 0755 "$PAM_DIR"
    mkdir -p "$PAM_DIR/keys" "$PAM_DIR/pam.d"
    PAM_CPU=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
    taskset -c "$PAM_CPU" unshare -m --propagation private sleep infinity &
    PAM_HOLDER=$!
    for ((i = 0; i < 50; i++)); do
        [ "$(readlink "/proc/$PAM_HOLDER/ns/mnt" 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] &&
            [ -n "$(readlink "/proc/$PAM_HOLDER/ns/mnt" 2>/dev/null)" ] && break
        sleep 0.05
    done
    # the test files, bound over the machine's in the private namespace only
    local f
    for f in sshd su-l runuser-l; do
        : >"$PAM_DIR/pam.d/$f"
        pam_bed_in mount --bind "$PAM_DIR/pam.d/$f" "/etc/pam.d/$f" || return 1
    done
    # the vsys.conf the launcher reads: /etc/vsys/vsys.conf for /OS while it exists (native/util.h)
    local conf=$VSYS_R/etc/vsys.conf
    if [ "$VSYS_R" = /OS ] && [ -e /etc/vsys/vsys.conf ]; then conf=/etc/vsys/vsys.conf; fi
    [ -f "$conf" ] || { echo "pam bed: no $conf" >&2; return 1; }
    cp "$conf" "$PAM_DIR/vsys.conf.orig"
    install -o root -g root -m 0644 "$PAM_DIR/vsys.conf.orig" "$PAM_DIR/vsys.conf"
    pam_bed_in mount --bind "$PAM_DIR/vsys.conf" "$conf" || return 1
    pam_bed_stack none

    ssh-keygen -q -t ed25519 -N '' -f "$PAM_DIR/hostkey" || return 1
    ssh-keygen -q -t ed25519 -N '' -f "$PAM_DIR/id" || return 1
    for u in "$VSYS_IT_USER" "$VSYS_IT_USER2"; do cp "$PAM_DIR/id.pub" "$PAM_DIR/keys/$u"; done
    chmod 0644 "$PAM_DIR"/keys/*
    echo "[127.0.0.1]:$PAM_PORT $(cat "$PAM_DIR/hostkey.pub")" >"$PAM_DIR/known_hosts"
    cat >"$PAM_DIR/sshd_config" <<EOF
Port $PAM_PORT
ListenAddress 127.0.0.1
HostKey $PAM_DIR/hostkey
PidFile $PAM_DIR/sshd.pid
AuthorizedKeysFile $PAM_DIR/keys/%u
StrictModes no
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $VSYS_IT_USER $VSYS_IT_USER2
UseDNS no
PrintMotd no
LogLevel VERBOSE
EOF
    cat >"$PAM_DIR/ssh_config" <<EOF
Host *
  Port $PAM_PORT
  IdentityFile $PAM_DIR/id
  IdentitiesOnly yes
  UserKnownHostsFile $PAM_DIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
EOF
    [ -d /run/sshd ] || { mkdir -m 0755 /run/sshd; PAM_MADE_RUN_SSHD=1; }
    ip netns del "$PAM_NETNS" 2>/dev/null || true
    ip netns add "$PAM_NETNS" && ip -n "$PAM_NETNS" link set lo up || return 1
    nsenter -t "$PAM_HOLDER" -m --net="/run/netns/$PAM_NETNS" -- \
        /usr/sbin/sshd -D -e -f "$PAM_DIR/sshd_config" 2>"$PAM_DIR/sshd.log" &
    PAM_SSHD=$!
    for ((i = 0; i < 100; i++)); do
        nsenter --net="/run/netns/$PAM_NETNS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PAM_PORT" 2>/dev/null && return 0
        kill -0 "$PAM_SSHD" 2>/dev/null || break
        sleep 0.05
    done
    echo "pam bed: sshd did not start:" >&2; tail -n 5 "$PAM_DIR/sshd.log" >&2
    return 1
}

pam_bed_bind_system() {
    local name=$1 p rc=1 try i
    for try in 1 2 3; do
        nsenter --mount="$VSYS_R/.ns/$name" sleep 30 &
        p=$!
        for ((i = 0; i < 50; i++)); do
            [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "mnt:[$(stat -L -c %i "$VSYS_R/.ns/$name")]" ] && break
            sleep 0.02
        done
        pam_bed_in mount --bind "/proc/$p/ns/mnt" "$VSYS_R/.ns/$name" 2>"$PAM_DIR/bind.err"
        rc=$?
        kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
        [ $rc = 0 ] && return 0
        # EINVAL: the system's namespace is not newer than the private one (prepared on the
        # other CPU, see above): prepare it again on the holder's CPU, which makes a newer one
        taskset -c "$PAM_CPU" "$VSYS_PREFIX/lib/vsys/vsys-view" prepare "$name" >/dev/null 2>&1
    done
    cat "$PAM_DIR/bind.err" >&2
    return $rc
}

# rewrite in place (the binds hold the inodes)
pam_bed_stack() {
    local line=
    [ "$1" != none ] && line="session required $PAM_MODULE $1"
    cat >"$PAM_DIR/pam.d/sshd" <<EOF
@include common-auth
account required pam_nologin.so
@include common-account
@include common-session
$line
EOF
    local f
    for f in su-l runuser-l; do
        cat >"$PAM_DIR/pam.d/$f" <<EOF
auth sufficient pam_rootok.so
account sufficient pam_rootok.so
@include common-session
$line
EOF
    done
}

pam_bed_conf() {
    { cat "$PAM_DIR/vsys.conf.orig"; local l; for l in "$@"; do echo "$l"; done; } >"$PAM_DIR/vsys.conf"
}

pam_bed_ssh() {
    local user=$1; shift
    nsenter --net="/run/netns/$PAM_NETNS" ssh -F "$PAM_DIR/ssh_config" "$user@127.0.0.1" "$@"
}

pam_bed_down() {
    local p
    for p in "$PAM_SSHD" "$PAM_HOLDER"; do
        [ -n "$p" ] || continue
        kill -TERM "$p" 2>/dev/null
        for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PAM_SSHD= PAM_HOLDER=
    ip netns del "$PAM_NETNS" 2>/dev/null || true
    [ -n "$PAM_MADE_RUN_SSHD" ] && rmdir /run/sshd 2>/dev/null
    PAM_MADE_RUN_SSHD=
    if [ -n "$PAM_DIR" ] && [ -d "$PAM_DIR" ]; then
        [ -n "${KEEP_PAM_LOGS:-}" ] && { echo "pam bed: logs kept in $PAM_DIR" >&2; return 0; }
        rm -rf --one-file-system -- "$PAM_DIR"
    fi
    PAM_DIR=
}
