#!/bin/bash
# NFS throughput in the guest: read a 100 MB file from /proj over v3 and v4.1 with a cold page cache.
# The file is /proj/vmbench-100M on the server (run-suite.sh creates it on the host before boot; if it is
# missing, it is written here over v4.1, which also gives a write figure). With run-suite.sh's sshd, the same
# file is also read over sshfs, for a ratio within the guest.
# Figures are TCG-guest figures (the CPU emulation is the bound), comparable only within the guest.
. "$(dirname "$0")/lib.sh"
S=$NFS_SERVER; P=/mnt/vmbench; F=vmbench-100M
mkdir -p $P
mbs() { awk -v b="$1" -v t="$2" 'BEGIN{printf "%.0f", b/1048576/t}'; }
check "v4.1: mount $S:/proj" mount -t nfs -o "$(nfs_opts 4.1)" "$S:/proj" $P || { finish; exit; }
if [ ! -s $P/$F ]; then
  t=$(ts); check "write 100 MB over v4.1 (fsync)" dd if=/dev/zero of=$P/$F bs=1M count=100 conv=fsync status=none
  figure "nfs_write_100M_v4.1_guest $(mbs 104857600 "$(el $t)") MB/s"
fi
umount $P
for v in 3 4.1; do
  check "v$v: mount $S:/proj" mount -t nfs -o "$(nfs_opts $v)" "$S:/proj" $P || continue
  sync; echo 3 > /proc/sys/vm/drop_caches
  bytes=$(stat -c %s $P/$F)
  t=$(ts); check "v$v: read $F (cold)" dd if=$P/$F of=/dev/null bs=1M status=none; secs=$(el $t)
  figure "nfs_read_100M_v${v}_guest $(mbs "$bytes" "$secs") MB/s (${secs} s)"
  t=$(ts); dd if=$P/$F of=/dev/null bs=1M status=none; secs=$(el $t)
  figure "nfs_read_100M_v${v}_guest_warm $(mbs "$bytes" "$secs") MB/s"
  umount $P
done
# the same file over sshfs, when run-suite.sh started an sshd next to ganesha ($VM_OUT/ssh). A comparison figure
# only: sshfs under TCG on a loaded machine can stall or drop its ssh connection (dd then gets EIO), so its
# failures are reported ("note"), never counted; the NFS reads above are the assertions.
if [ -f "$VM_OUT/ssh/ssh_config" ] && command -v sshfs >/dev/null; then
  modprobe fuse 2>/dev/null
  if out=$(timeout -k 5 30 sshfs -F "$VM_OUT/ssh/ssh_config" -o ro,ServerAliveInterval=15,ServerAliveCountMax=4 \
        "$S:$(cat "$VM_OUT/ssh/rwpath")" $P 2>&1); then
    t=$(ts)
    if out=$(timeout -k 5 90 dd if=$P/$F of=/dev/null bs=1M status=none 2>&1); then
      secs=$(el $t); echo "ok   - sshfs: read $F (comparison only)"
      figure "sshfs_read_100M_guest $(mbs 104857600 "$secs") MB/s (${secs} s)"
    else
      echo "note - sshfs: read $F failed after $(el $t) s (comparison only, not counted): $(echo $out | tail -c 200)"
      figure "sshfs_read_100M_guest failed (not measured)"
    fi
    fusermount -u $P 2>/dev/null || umount -l $P 2>/dev/null
  else
    echo "note - sshfs: mount failed (comparison only, not counted): $(echo $out | tail -c 200)"
  fi
else
  skip "sshfs comparison (no sshd from run-suite.sh)"
fi
# the same read from the guest's tmpfs, for scale inside this environment
dd if=/dev/zero of=/run/vmbench bs=1M count=100 status=none; t=$(ts); dd if=/run/vmbench of=/dev/null bs=1M status=none
figure "tmpfs_read_100M_guest $(mbs 104857600 "$(el $t)") MB/s"; rm -f /run/vmbench
finish
