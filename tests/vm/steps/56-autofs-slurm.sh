#!/bin/bash
# A Slurm job step in an on-demand system holds its mount (issue 15; native/vsys_spank.c), on the guest's Debian
# kernel with Debian's automount (idle timeout 3 s) and a one-job cluster of tests/slurm/cluster.sh (munged,
# slurmctld, slurmd n1 n2; the host's Slurm packages over the guest's 9p root).
#   - srun --vsys=NAME of an unmounted on-demand NFS system runs the task inside it
#   - while the step runs (9 s of a 20 s sleep, three times the timeout), autofs keeps the system mounted: slurmstepd holds an fd
#     of the host's mount (slurm_spank_task_post_fork .. slurm_spank_exit)
#   - the task has no fd of a host directory (such an fd would lead out of its root)
#   - after the step, autofs unmounts it
. "$(dirname "$0")/lib.sh"
R=/OS
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
TMO=3
D=/run/s-decl; MASTER=/run/s-auto.master; ALOG=/run/s-automount.log; APID=; JOB=
PLUGIN=$PWD/native/build/vsys_spank.so
cleanup() {
  [ -n "$JOB" ] && kill "$JOB" 2>/dev/null
  declare -F slurm_down >/dev/null && slurm_down
  if [ -n "$APID" ]; then kill -TERM "$APID" 2>/dev/null; for i in $(seq 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.2; done; fi
  umount -l "$R/.auto/snfs" 2>/dev/null; umount -l "$R/.auto" 2>/dev/null
  [ -n "${CG:-}" ] && umount -R -l /sys/fs/cgroup
  rm -rf "$D" "$R/etc/automap" "$R/etc/auto.vsys" "$R/bin/snfs" /run/s-job.*
}
trap cleanup EXIT
command -v automount >/dev/null || { nok "automount (Debian's autofs) is not installed"; finish; exit; }
command -v slurmd >/dev/null && command -v munged >/dev/null || { nok "Slurm (slurmd, munged) is not installed on the host"; finish; exit; }
check "the tree's vsys_spank.so is built (make -C native on the host)" test -f "$PLUGIN" || { finish; exit; }
. tests/slurm/cluster.sh
mounted() { awk -v m="$1" '$2 == m {n++} END {print n+0}' /proc/mounts; }

mkdir -p "$D"
printf '%s\n' 'source=nfs://fileserver/' 'nfs.version=4.1' 'mode=on-demand' > "$D/snfs.conf"
VS_TIMEOUT=300 expect_vs "vsys apply of an on-demand NFS declaration" 0 apply --dir "$D"
automount_up "$TMO" /run/s-automount.pid
check "automount serves $R/.auto" test "$(autofs_triggers)" = 1 || { tail -n 20 "$ALOG"; finish; exit; }
# slurmd 22.05 needs a cgroup file system on /sys/fs/cgroup (its cgroup plugin loads even with
# proctrack/linuxproc): the host's layout, a tmpfs with v1 hierarchies, made in the guest when it has none
CG=
if ! mountpoint -q /sys/fs/cgroup; then
  mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup && CG=1
  for c in cpu cpuacct cpuset memory devices freezer pids; do
    mkdir -p /sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c || echo "# no cgroup $c"
  done
  mkdir -p /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
  mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd || echo "# no cgroup name=systemd"
  mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified || echo "# no cgroup2"
fi
t=$(ts); slurm_up "required $PLUGIN"; rc=$?
check "a Slurm cluster with vsys_spank.so is up ($(el "$t") s)" test "$rc" = 0 || { finish; exit; }

want=$(cat /var/cache/vsys/rootfs-bookworm-gcc/etc/debian_version)
check "snfs is not mounted before the step" test "$(mounted "$R/.auto/snfs")" = 0
(cd "$UHOME" && slurm_as "$U" srun -N1 -w n1 --vsys=snfs sh -c 'cat /etc/debian_version; exec sleep 20') \
  > /run/s-job.out 2> /run/s-job.err & JOB=$!
task=
for i in $(seq 300); do task=$(pgrep -u "$U" -x sleep | head -n 1); [ -n "$task" ] && break; sleep 0.1; done
check "srun --vsys=snfs started the task (the step's trigger mounted snfs)" test -n "$task" || { cat /run/s-job.err; finish; exit; }
check "  snfs is mounted" test "$(mounted "$R/.auto/snfs")" = 1
held=0; stepd=$(ps -o ppid= -p "$task" | tr -d ' ')   # the task's parent: the step's slurmstepd
for f in /proc/$stepd/fd/*; do [ "$(readlink "$f")" = "$R/.auto/snfs" ] && held=${f##*/}; done
check "  slurmstepd ($stepd, $(tr '\0' ' ' < /proc/$stepd/cmdline)) holds an fd of $R/.auto/snfs (fd $held)" test "$held" != 0
bad=
for f in /proc/$task/fd/*; do
  l=$(readlink "$f"); [ -d "$f" ] && bad="$bad ${f##*/}->$l"
  case $l in "$R"/*) bad="$bad ${f##*/}->$l";; esac
done
check "  the task has no fd of a directory or of a path under $R (its fds: $(for f in /proc/$task/fd/*; do printf '%s ' "$(readlink "$f")"; done))" test -z "$bad"
t=$(ts); kept=1
while awk -v a="$t" -v b="$(ts)" -v n=$((TMO * 3)) 'BEGIN{exit !(b - a < n)}'; do
  [ "$(mounted "$R/.auto/snfs")" = 1 ] || kept=0; sleep 0.5; done
check "while the step runs ($((TMO * 3)) s, timeout $TMO s), autofs keeps snfs mounted" test "$kept" = 1
wait "$JOB"; rc=$?; JOB=
check "  the step's status came back (0) with the tree's file ($(cat /run/s-job.out))" test "$rc:$(cat /run/s-job.out)" = "0:$want" \
  || sed 's/^/#   /' /run/s-job.err
t=$(ts); gone=0
for i in $(seq 100); do [ "$(mounted "$R/.auto/snfs")" = 0 ] && { gone=1; break; }; sleep 0.2; done
check "  after the step, autofs unmounted snfs ($(el "$t") s)" test "$gone" = 1
finish
