#!/bin/bash
# The kernel NFS client against the test server (tests/nfs/nfs-server.sh): v3 (nolock) and v4.1,
# the root export "/" (read-only) and "/proj" (read-write), reached as "fileserver".
. "$(dirname "$0")/lib.sh"
S=$NFS_SERVER
check "fileserver resolves to 10.0.2.2" sh -c "getent hosts $S | grep -q '^10.0.2.2 '"
exports=$(showmount -e "$S" 2>&1); echo "$exports" | sed 's/^/    /'
check "showmount -e $S lists /" sh -c "echo '$exports' | grep -qE '^/ +'"
check "showmount -e $S lists /proj" sh -c "echo '$exports' | grep -qE '^/proj +'"
R=/mnt/vmtest-root P=/mnt/vmtest-proj
mkdir -p $R $P
for v in 3 4.1; do
  o=$(nfs_opts $v)
  t=$(ts); check "v$v: mount $S:/ ($o)" mount -t nfs -o "$o" "$S:/" $R && figure "nfs_mount_root_v$v $(el $t) s"
  t=$(ts); check "v$v: mount $S:/proj" mount -t nfs -o "$o" "$S:/proj" $P && figure "nfs_mount_proj_v$v $(el $t) s"
  grep -E " ($R|$P) " /proc/mounts | sed 's/^/    /'
  check "v$v: the root is the server's tree (gcc there, no java)" sh -c "[ -x $R/usr/bin/gcc ] && [ ! -e $R/usr/bin/java ]"
  check "v$v: os-release readable through the symlink" grep -q '^VERSION_CODENAME=bookworm' $R/etc/os-release
  check "v$v: the junction /proj exists in the root" test -d $R/proj
  check_fails "v$v: write to the root export fails with EROFS" "Read-only file system" touch $R/vmtest-should-fail
  check_fails "v$v: mkdir in the root export fails with EROFS" "Read-only file system" mkdir $R/vmtest-dir
  f=$P/vmtest-guest-v$v.txt
  check "v$v: write a file in /proj" sh -c "echo 'written by the guest over v$v' > $f && sync"
  check "v$v: read it back" grep -q "written by the guest over v$v" $f
  check "v$v: an unprivileged user writes in /proj" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo nobody > $P/vmtest-nobody-v$v.txt"
  check "v$v: its file is owned by 65534 on the server" sh -c "[ \"\$(stat -c %u $P/vmtest-nobody-v$v.txt)\" = 65534 ]"
  check "v$v: root can remove it (no_root_squash)" rm -f $P/vmtest-nobody-v$v.txt
  if has_agent; then
    check "v$v: the file is on the server (host side)" server_has vmtest-guest-v$v.txt "written by the guest over v$v"
  fi
  t=$(ts); check "v$v: umount" umount $P $R && figure "nfs_umount_v$v $(el $t) s"
  check "v$v: nothing left mounted" sh -c "! grep -qE ' ($R|$P) ' /proc/mounts"
done
finish
