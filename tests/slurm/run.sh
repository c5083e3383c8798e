#!/bin/bash
# tests/slurm/run.sh: stage `slurm`: vsys_spank.so in a real Slurm cluster (munge, slurmctld, two
# slurmd nodes n1 n2 on this machine, tests/slurm/cluster.sh), run by the user vsys-it against
# systems of the installed vsys (./install.sh first; test.sh's install stage does it).
#   srun/sbatch --vsys=NAME on both nodes, identity, cwd, environment, exit codes and signals kept,
#   missing / refused / not prepared systems and hostile names fail the step with one line and
#   leave the nodes idle, scancel leaves no process, VSYS as fallback with env_fallback.
# Last line: `slurm: N passed, M failed`. Under CI=true a missing requirement is a failure.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/common.sh"
. "$ROOT/tests/slurm/cluster.sh"

STAGE=slurm
. "$ROOT/tests/lib/stage.sh"

require_installed_vsys
apt_ensure slurmctld slurmd slurm-client munge libslurm-dev || skip_or_fail "cannot install Slurm"
# VSYS_SPANK_PLUGIN: test that build instead of the tree's
PLUGIN=$(built_module "${VSYS_SPANK_PLUGIN:-}" spank vsys_spank.so) || { nok "make -C native spank"; finish; }
use_cached_tree

A=x14-sa        # open to everyone
B=x14-sb        # users=$VSYS_IT_USER2 only: refused to $VSYS_IT_USER
D=x14-sd        # created, then not prepared (as after a reboot before `vsys restore`)
WORK=/home/$VSYS_IT_USER/x14-slurm-work
HIDDEN=/opt/x14-slurm-cwd   # a host directory that is not visible in the systems
OUT=$(mktemp -d /tmp/x14-slurm-out.XXXXXX)

cleanup() {
    slurm_down
    local s
    for s in $A $B $D; do vsys_try destroy "$s" >/dev/null 2>&1 || true; done
    rm -rf --one-file-system -- "$WORK" "$HIDDEN" "$OUT"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for s in $A $B $D; do vsys_try destroy "$s" >/dev/null 2>&1 || true; done
vsys_try create "$A" "dir:$TREE" >/dev/null || { nok "vsys create $A"; finish; }
vsys_try create "$B" "dir:$TREE" --users="$VSYS_IT_USER2" >/dev/null || { nok "vsys create $B"; finish; }
vsys_try create "$D" "dir:$TREE" >/dev/null && "$VSYS_PREFIX/lib/vsys/vsys-view" release "$D" ||
    { nok "vsys create $D + release"; finish; }
NS_A="mnt:[$(stat -L -c %i "$VSYS_R/.ns/$A")]"
install -d -o "$VSYS_IT_USER" -m 0755 "$WORK" "$HIDDEN"
chmod 0777 "$OUT"

t0=$(now)
slurm_up "required $PLUGIN" || { nok "cluster up"; finish; }
echo "# cluster up in $(elapsed "$t0") s ($SLURM_DIR)"

# run a client as the test user from directory $1; stdout, stderr in $OUT/o, $OUT/e; status in RC
run_in() {
    local dir=$1; shift
    (cd "$dir" && slurm_as "$VSYS_IT_USER" "$@") >"$OUT/o" 2>"$OUT/e"
    RC=$?
}
both_idle() { [ "$(slurm_as root sinfo -h -N -o '%N %t' | grep -c ' idle$')" = 2 ]; }

# --- entering on both nodes ----------------------------------------------------------------------
run_in "$WORK" srun -N2 --vsys=$A sh -c 'echo "$SLURM_NODEID $(cat /etc/debian_version) $(readlink /proc/self/ns/mnt)"'
if [ $RC = 0 ] && [ "$(sort "$OUT/o")" = "$(printf '0 %s %s\n1 %s %s' "$SYS_VERSION" "$NS_A" "$SYS_VERSION" "$NS_A")" ]; then
    ok "srun -N2 --vsys=$A: both nodes print the system's debian_version $SYS_VERSION from its namespace"
else
    nok "srun -N2 --vsys=$A cat /etc/debian_version" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
fi

run_in "$WORK" srun -N2 cat /etc/debian_version
if [ $RC = 0 ] && [ "$(sort -u "$OUT/o")" = "$HOST_VERSION" ] && [ "$(wc -l <"$OUT/o")" = 2 ]; then
    ok "srun -N2 without --vsys stays on the host ($HOST_VERSION)"
else
    nok "srun -N2 without --vsys" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
fi

# --- identity, cwd, environment, exit status, signals ---------------------------------------------
want_ids="$(id -u "$VSYS_IT_USER") $(id -g "$VSYS_IT_USER") $(id -G "$VSYS_IT_USER" | tr ' ' '\n' | sort -n | tr '\n' ' ')"
run_in "$WORK" env X14_MARK=kept srun --vsys=$A sh -c \
    'echo "$(id -u) $(id -g) $(id -G | tr " " "\n" | sort -n | tr "\n" " ")"; pwd; echo "$X14_MARK $VSYS_SYSTEM"; exit 7'
if [ $RC = 7 ] && [ "$(sed -n 1p "$OUT/o")" = "$want_ids" ] && [ "$(sed -n 2p "$OUT/o")" = "$WORK" ] &&
        [ "$(sed -n 3p "$OUT/o")" = "kept $A" ]; then
    ok "identity ($want_ids), cwd $WORK, the job's environment and exit code 7 are kept; VSYS_SYSTEM=$A"
else
    nok "identity/cwd/env/exit code" "rc=$RC want ids '$want_ids'" "$(cat "$OUT/o" "$OUT/e")"
fi

run_in "$WORK" srun sh -c 'kill -TERM $$'; plain_rc=$RC
run_in "$WORK" srun --vsys=$A sh -c 'kill -TERM $$'
if [ $RC = "$plain_rc" ] && [ $RC != 0 ] && grep -q 'Terminated' "$OUT/e"; then
    ok "a task killed by SIGTERM inside ends as without the plugin (srun exit $RC)"
else
    nok "signal exit status" "plain rc=$plain_rc, --vsys rc=$RC" "$(cat "$OUT/e")"
fi

run_in "$HIDDEN" srun --vsys=$A pwd
if [ $RC != 0 ] && grep -qx "vsys: $HIDDEN: not visible in $A" "$OUT/e" && [ ! -s "$OUT/o" ]; then
    ok "a working directory not visible in the system fails the task (not /tmp): one vsys line"
else
    nok "cwd not visible" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
fi

# --- batch: the script stays on the host (it needs srun), every step it starts runs inside ------
run_in "$WORK" sbatch --wait -N2 --vsys=$A -o "$OUT/batch1.out" \
    --wrap 'echo "batch $(cat /etc/debian_version)"; srun -N2 sh -c "echo step \$(cat /etc/debian_version) \$(readlink /proc/self/ns/mnt)"; srun -N1 sh -c "echo step2 \$(cat /etc/debian_version)"'
if [ $RC = 0 ] && [ "$(grep -cxF "batch $HOST_VERSION" "$OUT/batch1.out")" = 1 ] &&
        [ "$(grep -cxF "step $SYS_VERSION $NS_A" "$OUT/batch1.out")" = 2 ] &&
        [ "$(grep -c "^step2 $SYS_VERSION$" "$OUT/batch1.out")" = 1 ]; then
    ok "sbatch -N2 --vsys=$A: both tasks of the first inner srun and the second srun run inside; the script on the host"
else
    nok "sbatch --vsys with an inner srun" "rc=$RC" "$(cat "$OUT/e" "$OUT/batch1.out" 2>&1)"
fi

cat >"$OUT/job.sh" <<EOF
#!/bin/sh
#SBATCH --vsys=$A
#SBATCH -N1
#SBATCH -o $OUT/batch2.out
srun cat /etc/debian_version
srun sh -c 'exit 3'
EOF
chmod 0755 "$OUT/job.sh"
run_in "$WORK" sbatch --wait "$OUT/job.sh"
if [ $RC = 3 ] && [ "$(grep -c "^$SYS_VERSION$" "$OUT/batch2.out")" = 1 ]; then
    ok "#SBATCH --vsys=$A in the script: its step inside, the step's exit code 3 is the job's"
else
    nok "#SBATCH --vsys" "rc=$RC" "$(cat "$OUT/e" "$OUT/batch2.out" 2>&1)"
fi

run_in "$WORK" sbatch --wait --vsys=x14-nope -o "$OUT/batch3.out" --wrap 'srun cat /etc/debian_version'
if [ $RC != 0 ] && grep -qx 'vsys: x14-nope: no such system' "$OUT/batch3.out" && ! grep -q "$SYS_VERSION" "$OUT/batch3.out" && both_idle; then
    ok "sbatch --vsys=x14-nope: its step fails with the vsys line in the job's output, exit $RC, nodes idle"
else
    nok "sbatch of a missing system" "rc=$RC" "$(cat "$OUT/e" "$OUT/batch3.out" 2>&1)"
fi

# --- refusals: one line, non-zero, the nodes stay in service -------------------------------------
refused() {   # refused DESCRIPTION LINE ARGS...: the step fails with exactly LINE as its vsys line
    local what=$1 line=$2; shift 2
    run_in "$WORK" "$@"
    local lines
    lines=$(grep -c '^vsys: ' "$OUT/e")
    if [ $RC != 0 ] && [ "$lines" -ge 1 ] && [ "$(grep '^vsys: ' "$OUT/e" | sort -u)" = "$line" ] &&
            ! grep -q "$SYS_VERSION" "$OUT/o" && both_idle; then
        ok "$what: '$line', exit $RC, nodes idle"
    else
        nok "$what" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")" "$(slurm_as root sinfo -N)"
    fi
}
refused "missing system" "vsys: x14-nope: no such system" srun -N2 --vsys=x14-nope cat /etc/debian_version
refused "a system the user may not enter (users=)" "vsys: $B: permission denied for user $VSYS_IT_USER" \
    srun --vsys=$B cat /etc/debian_version
refused "a system that is not prepared" "vsys: $D: not prepared (no $VSYS_R/.ns/$D)" srun --vsys=$D cat /etc/debian_version

for bad in ../x "a/b" .hidden bin "$(head -c 300 /dev/zero | tr '\0' a)" "x$(printf '\033')y"; do
    run_in "$WORK" srun --vsys="$bad" cat /etc/debian_version
    if [ $RC != 0 ] && ! grep -q "$SYS_VERSION" "$OUT/o" && grep -q 'vsys: --vsys: ' "$OUT/e" && both_idle; then
        ok "hostile --vsys=$(printf %q "$bad" | head -c 40): refused by srun before any task"
    else
        nok "hostile --vsys=$(printf %q "$bad" | head -c 40)" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
    fi
done

# --- scancel of a running step inside leaves no process ------------------------------------------
(cd "$WORK" && slurm_as "$VSYS_IT_USER" srun -N2 --vsys=$A sleep 300) >"$OUT/cancel.o" 2>&1 &
srun_pid=$!
inside=0
for i in $(seq 1 100); do
    inside=$("$VSYS_PREFIX/lib/vsys/vsys-view" users "$A" 2>/dev/null | while read -r p; do
        [ "$(stat -c %U "/proc/$p" 2>/dev/null)" = "$VSYS_IT_USER" ] && grep -qx 'sleep' "/proc/$p/comm" 2>/dev/null && echo "$p"
    done | wc -l)
    [ "$inside" = 2 ] && break
    sleep 0.1
done
job=$(slurm_as root squeue -h -u "$VSYS_IT_USER" -o %i | head -n 1)
if [ "$inside" = 2 ] && [ -n "$job" ]; then
    slurm_as root scancel "$job"
    left=1
    for i in $(seq 1 100); do
        left=$("$VSYS_PREFIX/lib/vsys/vsys-view" users "$A" 2>/dev/null | while read -r p; do
            [ "$(stat -c %U "/proc/$p" 2>/dev/null)" = "$VSYS_IT_USER" ] && echo "$p"; done | wc -l)
        [ "$left" = 0 ] && ! kill -0 "$srun_pid" 2>/dev/null && break
        sleep 0.1
    done
    if [ "$left" = 0 ] && ! kill -0 "$srun_pid" 2>/dev/null && both_idle; then
        ok "scancel of a step running inside on two nodes: no process of $VSYS_IT_USER left in $A, srun ended"
    else
        nok "scancel" "left=$left in $A" "$(ps -o pid,user,args -u "$VSYS_IT_USER")"
    fi
else
    nok "scancel: the step did not start inside (inside=$inside job=$job)" "$(cat "$OUT/cancel.o")"
fi
kill "$srun_pid" 2>/dev/null; wait "$srun_pid" 2>/dev/null

# --- VSYS in the job's environment: ignored, then used with env_fallback --------------------------
run_in "$WORK" env VSYS=$A srun cat /etc/debian_version
if [ $RC = 0 ] && [ "$(cat "$OUT/o")" = "$HOST_VERSION" ]; then
    ok "VSYS=$A in the environment is ignored without env_fallback"
else
    nok "VSYS without env_fallback" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
fi
slurm_down
slurm_up "required $PLUGIN env_fallback" || { nok "cluster up with env_fallback"; finish; }
run_in "$WORK" env VSYS=$A srun -N2 cat /etc/debian_version
if [ $RC = 0 ] && [ "$(sort -u "$OUT/o")" = "$SYS_VERSION" ] && [ "$(wc -l <"$OUT/o")" = 2 ]; then
    ok "env_fallback: VSYS=$A in the job's environment enters on both nodes"
else
    nok "env_fallback" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
fi
run_in "$WORK" env VSYS=$A srun --vsys=$B cat /etc/debian_version
if [ $RC != 0 ] && grep -qx "vsys: $B: permission denied for user $VSYS_IT_USER" "$OUT/e"; then
    ok "env_fallback: --vsys wins over VSYS"
else
    nok "--vsys over VSYS" "rc=$RC" "$(cat "$OUT/o" "$OUT/e")"
fi
refused "env_fallback: VSYS=../x" "vsys: VSYS: invalid name" env VSYS=../x srun cat /etc/debian_version
refused "env_fallback: VSYS of 100 KB" "vsys: VSYS: name longer than 64 bytes" \
    env VSYS="$(head -c 100000 /dev/zero | tr '\0' a)" srun cat /etc/debian_version

finish
