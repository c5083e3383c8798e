#!/bin/bash
# PID 1 of the test guest (started by the initramfs of tests/vm/vm.sh after switch_root into the host's
# userland). Sets the guest up, runs the steps listed in /out/vm.steps and powers off.
# Never exits (PID 1 exiting would panic the kernel); always ends with poweroff.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
umask 022
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts; mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mkdir -p /out
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vmout /out; then
  echo "vm-guest: cannot mount the results share"; /bin/busybox poweroff -f
fi
# the guest clock starts up to ~1 s behind the host (RTC has 1 s resolution): set it from the host mtime
# of a file created on the share: bash's $EPOCHREALTIME (no fork) just before and after the create brackets the
# host's timestamp; the offset is applied relatively (`date -s "+X seconds"`), so the time it takes to start
# `date` does not matter. Three rounds; the offset measured in the last one is reported.
skew=
for i in 1 2 3; do
  a=$EPOCHREALTIME; : > /out/.clock; b=$EPOCHREALTIME; h=$(stat -c %.6Y /out/.clock)
  off=$(awk -v a="$a" -v b="$b" -v h="$h" 'BEGIN{printf "%+.6f", h-(a+b)/2}')
  skew="$(awk -v o="$off" -v a="$a" -v b="$b" 'BEGIN{printf "%+.3f s (+-%.3f)", o, (b-a)/2}')"
  date -s "$off seconds" >/dev/null
done
rm -f /out/.clock
. /out/vm.env
# the kernel's modules: from the unpacked package (the host has no /lib/modules of its own for this kernel);
# the kernel autoloads nfs, sunrpc ... through the host's /sbin/modprobe
mkdir -p /lib/modules && mount --bind "$VM_MODROOT/lib/modules" /lib/modules
hostname vsys-guest
ip link set lo up
if ip link show eth0 >/dev/null 2>&1; then
  ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
fi
rm -f /etc/resolv.conf; echo "nameserver 10.0.2.3" > /etc/resolv.conf
# like a Debian NFS client (nfs-common pulls in rpcbind, which runs as a service): rpcbind, so that mount.nfs can
# start rpc.statd itself (start-statd) for NFSv3 mounts with locking
if command -v rpcbind >/dev/null; then mkdir -p /run/rpcbind; rpcbind; fi
# 10.0.2.2 = the loopback of the network namespace qemu runs in (the test NFS server)
cp /etc/hosts /etc/hosts.vm 2>/dev/null; { cat /etc/hosts.vm 2>/dev/null; echo "10.0.2.2 fileserver"; } > /etc/hosts; rm -f /etc/hosts.vm
echo "uptime=$(cut -d' ' -f1 /proc/uptime)s kernel=$(uname -r) clock: host-guest $skew before the last correction" > /out/vm.boot
export VM_OUT=/out
i=0
while IFS= read -r step; do
  i=$((i + 1))
  s=$(date +%s.%N); echo "$s" > /out/step.$i.start
  echo "vm-guest: step $i start $step"
  if [ "${VM_STEP_TIMEOUT:-0}" != 0 ]; then
    (cd "$VM_PROJECT" && exec timeout -k 5 "$VM_STEP_TIMEOUT" "$step") < /dev/null > /out/step.$i.log 2>&1
  else
    (cd "$VM_PROJECT" && exec "$step") < /dev/null > /out/step.$i.log 2>&1
  fi
  rc=$?
  awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f\n", b-a}' > /out/step.$i.time
  echo $rc > /out/step.$i.rc
  echo "vm-guest: step $i rc=$rc"
done < /out/vm.steps
sync
touch /out/vm.done
umount /out 2>/dev/null
/bin/busybox poweroff -f
