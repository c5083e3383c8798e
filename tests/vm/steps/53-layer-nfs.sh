#!/bin/bash
# A persistent layer over an NFS lower (issue 17: "say what overlayfs refuses"), in the guest's Debian
# kernel against the server of tests/vm/run-suite.sh ("fileserver" = 10.0.2.2, "/" = the Debian tree with
# gcc, exported read-only). For each of VSYS_NFS_VERSIONS (default "4.1 3"):
#   1. `vsys -c NAME nfs://fileserver/ --layer persistent`: / over NFS at /OS/.lower/NAME, the overlay at /OS/NAME
#   2. root inside adds /etc/vsys-layer-nfs, appends to /etc/motd (a copy-up from NFS) and chmods /etc/issue
#      (a metadata copy-up); an unprivileged user sees all three and cannot write /etc
#   3. `vsys diff` lists exactly those three changes; they survive `vsys remount`
#   4. the export is unchanged (server-side hash before and after) and never holds the new file;
#      destroy --remove-layer leaves nothing mounted
# Either the layer works, or vsys must refuse the create with one line naming the lower's type: both are
# reported; a half-made system is a failure.
. "$(dirname "$0")/lib.sh"
VERSIONS=${VSYS_NFS_VERSIONS:-4.1 3}
R=/OS; SYS=lnfs53
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
has_agent || skip "no host agent: the server-side checks (hash, files on the server) are skipped"

one_version() {
  local v=$1 h0 h1 o m out want
  echo "## a persistent layer over NFS v$v"
  has_agent && h0=$(host_call 120 hash)
  o=; [ "$v" = 3 ] && o="-o /=nolock"
  # shellcheck disable=SC2086
  vs -c $SYS nfs://fileserver/ --nfs-version "$v" $o --layer persistent
  figure "vsys_create_layer_nfs_v${v}_guest $VS_TIME s"
  if [ "$VS_RC" != 0 ]; then
    # overlayfs refused the NFS lower: one line, nothing left
    check "v$v: the refusal is one line 'vsys: $SYS: ...'" sh -c "[ \$(wc -l < $VS_OUT) = 1 ] && grep -q '^vsys: $SYS: ' $VS_OUT"
    check "v$v: ... and leaves no record, no mount" sh -c "! test -e $R/etc/systems/$SYS && ! grep -q ' $R/[.a-z]*/*$SYS ' /proc/mounts"
    nok "v$v: overlayfs over NFS v$v: $(tail -n 1 $VS_OUT)"
    return
  fi
  ok "v$v: vsys -c $SYS nfs://fileserver/ --layer persistent"
  m=$(mnt_opts "$R/.lower/$SYS"); echo "    lower: $m"
  check "v$v: the lower is fileserver:/ over NFS v$v" sh -c "echo '$m' | grep -qE '^fileserver:/ nfs4? .*vers=$v'"
  m=$(mnt_opts "$R/$SYS"); echo "    layer: $m"
  check "v$v: $R/$SYS is the overlay over it" sh -c "echo '$m' | grep -qE '^vsys-layer-$SYS overlay .*lowerdir=$R/.lower/$SYS'"
  # 2
  check "v$v: root inside adds /etc/vsys-layer-nfs" sh -c "cd / && $R/bin/$SYS sh -c 'echo over-nfs-v$v > /etc/vsys-layer-nfs'"
  check "v$v: root inside appends to /etc/motd (copy-up of a file of the NFS lower)" \
    sh -c "cd / && $R/bin/$SYS sh -c 'echo local-v$v >> /etc/motd'"
  check "v$v: root inside chmods /etc/issue (copy-up of metadata)" sh -c "cd / && $R/bin/$SYS chmod 600 /etc/issue"
  out=$(inside cat /etc/vsys-layer-nfs 2>&1)
  check "v$v: user $U sees the new file ($out)" test "$out" = "over-nfs-v$v"
  check "v$v: user $U sees the appended line" sh -c "cd '$UHOME' && runuser -u '$U' -- $R/bin/$SYS tail -n 1 /etc/motd | grep -qx local-v$v"
  check_fails "v$v: user $U cannot read /etc/issue now (mode 600 in the layer)" "Permission denied" \
    sh -c "cd '$UHOME' && runuser -u '$U' -- $R/bin/$SYS cat /etc/issue"
  check_fails "v$v: user $U cannot write /etc (modes, as on a real system)" "Permission denied" \
    sh -c "cd '$UHOME' && runuser -u '$U' -- $R/bin/$SYS sh -c 'echo x > /etc/vsys-user-file'"
  # 3
  want=$(printf '%s\n' "A /etc/vsys-layer-nfs" "M /etc/motd" "P /etc/issue")
  expect_vs "v$v: vsys diff $SYS" 0 diff $SYS
  check "v$v: ... lists exactly the three changes" test "$(sort $VS_OUT)" = "$want"
  expect_vs "v$v: vsys remount $SYS" 0 remount $SYS
  out=$(inside cat /etc/vsys-layer-nfs 2>&1)
  check "v$v: the new file is there after the remount" test "$out" = "over-nfs-v$v"
  expect_vs "v$v: vsys status $SYS is healthy" 0 status $SYS
  # 4
  if has_agent; then
    check "v$v: the new file is not on the server" not_on_server etc/vsys-layer-nfs vsys-layer-nfs
    check "v$v: /etc/motd on the server has no local line" sh -c "! host_call 30 rootcat etc/motd | grep -q local-v$v"
  fi
  expect_vs "v$v: vsys destroy --remove-layer $SYS" 0 destroy --remove-layer $SYS
  check "v$v: nothing of $SYS is mounted" sh -c "! awk '{print \$2}' /proc/mounts | grep -q '^$R/\\(.lower/\\)\\?$SYS\\(/\\|\$\\)'"
  check "v$v: the layer is gone" test ! -e "$R/.layer/$SYS"
  if has_agent; then
    h1=$(host_call 120 hash)
    check "v$v: the server's root tree is byte-identical" test "$(echo "$h0" | grep ^root)" = "$(echo "$h1" | grep ^root)"
  fi
}

for v in $VERSIONS; do one_version "$v"; done
vs destroy --force --remove-layer $SYS > /dev/null 2>&1
finish
