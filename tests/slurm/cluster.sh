# tests/slurm/cluster.sh: a real Slurm cluster of two nodes on this machine, for the tests and the
# benchmark. Source it (after tests/lib/common.sh), then:
#   slurm_up PLUGSTACK_LINE      munged + slurmctld + slurmd n1, n2 in network namespace $SLURM_NETNS,
#                                with configs of their own under $SLURM_DIR; waits until both are idle
#   slurm_as USER CMD...         run a Slurm client as USER in the cluster's network namespace
#   slurm_down                   stop every daemon by its pid, remove the netns and $SLURM_DIR
# Nothing of the machine's own Slurm or munge configuration is read or written: the daemons get
# their config file (-f), key, socket, state, spool, pid and log files from $SLURM_DIR.
SLURM_NETNS=${SLURM_NETNS:-x14-slurm}
SLURM_DIR=
SLURM_PIDS=()

slurm_log() { printf 'slurm: %s\n' "$*" >&2; }

# wait until file $1 holds a pid of a live process (up to $2 tenths of a second)
slurm_wait_pidfile() {
    local i
    for ((i = 0; i < $2; i++)); do
        [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

slurm_up() {
    local plugstack_line=$1 host i n p
    host=$(hostname)
    SLURM_DIR=$(mktemp -d /tmp/x14-slurm.XXXXXX)
    chmod 0755 "$SLURM_DIR"
    mkdir -p "$SLURM_DIR/munge" "$SLURM_DIR/state" "$SLURM_DIR/spool" "$SLURM_DIR/log"
    # munge: a key and socket of our own (0700 key dir owned by munge, socket dir traversable)
    dd if=/dev/urandom of="$SLURM_DIR/munge/munge.key" bs=1024 count=1 status=none
    chown -R munge:munge "$SLURM_DIR/munge"
    chmod 0700 "$SLURM_DIR/munge"; chmod 0400 "$SLURM_DIR/munge/munge.key"
    mkdir -p "$SLURM_DIR/munge-run"; chown munge:munge "$SLURM_DIR/munge-run"; chmod 0755 "$SLURM_DIR/munge-run"
    chown slurm:slurm "$SLURM_DIR/state"
    echo "$plugstack_line" >"$SLURM_DIR/plugstack.conf"
    cat >"$SLURM_DIR/slurm.conf" <<CONF
ClusterName=x14
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge-run/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.%n.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$SLURM_DIR/plugstack.conf
KillWait=2
MessageTimeout=10
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=10
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=17141 CPUs=1 RealMemory=500
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=17142 CPUs=1 RealMemory=500
PartitionName=x14 Nodes=n1,n2 Default=YES MaxTime=10 State=UP OverSubscribe=FORCE:4
CONF
    ip netns del "$SLURM_NETNS" 2>/dev/null || true
    ip netns add "$SLURM_NETNS" || return 1
    ip -n "$SLURM_NETNS" link set lo up || return 1
    # getaddrinfo(AI_ADDRCONFIG) finds no address in a netns with only lo (and this kernel has no
    # dummy driver): a veth pair, both ends inside the netns, gives it one
    ip -n "$SLURM_NETNS" link add x14s0 type veth peer name x14s1 || return 1
    ip -n "$SLURM_NETNS" addr add 10.214.14.1/30 dev x14s0 || return 1
    ip -n "$SLURM_NETNS" link set x14s0 up && ip -n "$SLURM_NETNS" link set x14s1 up || return 1
    # every daemon runs in the netns but in the host's mount namespace (nsenter --net, not
    # 'ip netns exec', which makes a mount namespace of its own without the systems' nsfs binds)
    nsenter --net="/run/netns/$SLURM_NETNS" runuser -u munge -- /usr/sbin/munged \
        --socket="$SLURM_DIR/munge-run/munge.socket" --key-file="$SLURM_DIR/munge/munge.key" \
        --pid-file="$SLURM_DIR/munge-run/munged.pid" --log-file="$SLURM_DIR/log/munged.log" \
        --seed-file="$SLURM_DIR/munge/munge.seed" --foreground >"$SLURM_DIR/log/munged.out" 2>&1 &
    SLURM_PIDS+=($!)
    for ((i = 0; i < 50; i++)); do [ -S "$SLURM_DIR/munge-run/munge.socket" ] && break; sleep 0.1; done
    [ -S "$SLURM_DIR/munge-run/munge.socket" ] || { slurm_log "munged did not start"; cat "$SLURM_DIR/log/munged.log" >&2; return 1; }
    nsenter --net="/run/netns/$SLURM_NETNS" /usr/sbin/slurmctld -D -f "$SLURM_DIR/slurm.conf" -i \
        >"$SLURM_DIR/log/slurmctld.out" 2>&1 &
    SLURM_PIDS+=($!)
    for n in n1 n2; do
        nsenter --net="/run/netns/$SLURM_NETNS" /usr/sbin/slurmd -D -f "$SLURM_DIR/slurm.conf" -N "$n" \
            >"$SLURM_DIR/log/slurmd.$n.out" 2>&1 &
        SLURM_PIDS+=($!)
    done
    for ((i = 0; i < 150; i++)); do
        [ "$(slurm_as root sinfo -h -N -o '%N %t' 2>/dev/null | grep -c ' idle$')" = 2 ] && return 0
        for p in "${SLURM_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { i=1000; break; }; done
        sleep 0.2
    done
    slurm_log "the nodes did not become idle:"; slurm_as root sinfo -N >&2
    tail -n 5 "$SLURM_DIR"/log/*.log >&2
    return 1
}

slurm_as() {
    local user=$1; shift
    nsenter --net="/run/netns/$SLURM_NETNS" runuser -u "$user" -- env SLURM_CONF="$SLURM_DIR/slurm.conf" "$@"
}

slurm_down() {
    local p i
    for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; i--)); do
        p=${SLURM_PIDS[$i]}
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${SLURM_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    SLURM_PIDS=()
    # slurmstepd processes of steps still running are children of no one we started: by pid file
    if [ -n "$SLURM_DIR" ]; then
        for p in $(slurm_stepd_pids); do kill -KILL "$p" 2>/dev/null || true; done
    fi
    ip netns del "$SLURM_NETNS" 2>/dev/null || true
    if [ -n "$SLURM_DIR" ] && [ -d "$SLURM_DIR" ]; then
        [ -n "${KEEP_SLURM_LOGS:-}" ] && { slurm_log "logs kept in $SLURM_DIR/log"; return 0; }
        rm -rf --one-file-system -- "$SLURM_DIR"
    fi
    SLURM_DIR=
}

# pids of slurmstepd processes serving this cluster (their command line names our spool)
slurm_stepd_pids() {
    local p
    for p in $(pgrep -x slurmstepd 2>/dev/null); do
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$SLURM_DIR" ||
           ls -l "/proc/$p/cwd" 2>/dev/null | grep -q "$SLURM_DIR"; then
            echo "$p"
        fi
    done
}
