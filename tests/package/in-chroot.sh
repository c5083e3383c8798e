#!/bin/bash
# tests/package/in-chroot.sh LOWER WORK: the part of tests/package/run.sh that runs inside its
# private mount namespace (unshare -m --propagation private). Mounts an overlay of LOWER (the
# cached Debian tree) on WORK/root with its own /proc, /dev, /sys, /run and /tmp, binds WORK
# on its /mnt, and makes it the namespace's root with pivot_root (not chroot: vsys-view and the
# launcher enter prepared mount namespaces, and setns() puts a process at the namespace's real
# root, which under a chroot would be the host's). Then runs dpkg and vsys there. Results go to
# WORK/results ("ok ..." / "FAIL ..." lines). Inputs in WORK/in: the four .debs, the remote's
# client key, known_hosts, url and ip. Env: VSYS_PKG_NAME (system name), V1, V2 (versions).
set -uo pipefail
LOWER=$1 WORK=$2
NAME=$VSYS_PKG_NAME
ROOT=$WORK/root
U=vsys-pkg            # the ordinary user inside
IN=/mnt/in            # WORK/in inside
BG_PID=

# --- the new root --------------------------------------------------------------------------
mkdir -p "$WORK/upper" "$WORK/ovwork" "$ROOT"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$WORK/upper,workdir=$WORK/ovwork" "$ROOT" || exit 1
mount -t proc proc "$ROOT/proc" && mount --rbind /dev "$ROOT/dev" && mount --rbind /sys "$ROOT/sys" &&
    mount -t tmpfs -o mode=0755 tmpfs "$ROOT/run" && mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp" &&
    mount --bind "$WORK" "$ROOT/mnt" || exit 1
cd "$ROOT" && pivot_root . . && umount -l . && cd / && mount --make-rprivate / || exit 1
WORK=/mnt
RESULTS=$WORK/results
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

ok() { echo "ok   $*"; echo "ok $*" >>"$RESULTS"; }
bad() { echo "FAIL $*"; echo "FAIL $*" >>"$RESULTS"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# run a shell command line as root, with a clean environment
c() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C bash -c "$1"; }
# ... as the ordinary user, from its home directory
cu() { c "runuser -u $U -- sh -c 'cd ~ && $1'"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
    local p me
    trap - EXIT INT TERM
    [ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null
    # every other process of this mount namespace (sshfs helpers of a failed run); the
    # namespace and its mounts go away with the last of them
    me=$(readlink /proc/self/ns/mnt)
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$me" ] && kill "${p#/proc/}" 2>/dev/null
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

c "id -u $U >/dev/null 2>&1 || useradd -m -s /bin/bash $U" || exit 1

# the state to compare with after the purge (the host's /usr/local and /OS are not in here)
snapshot() {   # snapshot FILE: paths under /usr /etc /OS /var/lib /var/cache, and the set-id files
    c 'find /usr /etc /OS /var/lib /var/cache -xdev 2>/dev/null | LC_ALL=C sort' >"$1.paths"
    c 'find / -xdev -perm /6000 -type f 2>/dev/null | LC_ALL=C sort' >"$1.setid"
}
snapshot "$WORK/before"

mode_of() { c "stat -c '%a %U %G' $1" 2>/dev/null; }
deb() { echo "$IN/$1_$2_$3.deb"; }

# --- install -------------------------------------------------------------------------------
t=$(now)
if c "dpkg -i $(deb vsys "$V1" amd64) $(deb vsyslink-dkms "$V1" all)" >"$WORK/install.log" 2>&1; then
    ok "dpkg -i vsys $V1 and vsyslink-dkms $V1 ($(elapsed "$t") s)"
else
    bad "dpkg -i vsys $V1 and vsyslink-dkms $V1"; tail -20 "$WORK/install.log"
fi
check "postinst made /OS/bin/bin setuid root (4755 root root)" test "$(mode_of /OS/bin/bin)" = "4755 root root"
check "/OS/bin/bin is the package's launcher" c "cmp -s /OS/bin/bin /usr/lib/vsys/vsys-launcher"
check "postinst made the AppCDS archive" c "test -s /usr/lib/vsys/vsys.jsa"
check "vsys.conf is installed as a conffile in /etc/vsys" c "dpkg-query -W -f='\${Conffiles}' vsys | grep -q '^ /etc/vsys/vsys.conf '"
check "postinst made /OS and its record directories (root, 0755)" \
    test "$(c 'stat -c "%a %U" /OS /OS/bin /OS/etc /OS/etc/systems /OS/etc/aliases | sort -u')" = "755 root"
check "the units are enabled (deb-systemd-helper, without systemd running)" \
    c "test -L /etc/systemd/system/multi-user.target.wants/vsys-restore.service &&
       test -L /etc/systemd/system/multi-user.target.wants/vsys-refresh.path"
check "the apply units are installed and not enabled (as install.sh)" \
    c "test -f /lib/systemd/system/vsys-apply.service -a -f /lib/systemd/system/vsys-apply.path &&
       ! ls /etc/systemd/system/*/vsys-apply.* >/dev/null 2>&1"
check "the units run /usr/bin/vsys" c "grep -q '^ExecStart=/usr/bin/vsys restore' /lib/systemd/system/vsys-restore.service"
check "bash completion of vsys loads" c "bash -c '. /usr/share/bash-completion/completions/vsys && complete -p vsys' >/dev/null"
check "man pages installed" c "test -f /usr/share/man/man8/vsys.8.gz -a -f /usr/share/man/man8/vsys-launcher.8.gz -a -f /usr/share/man/man5/vsys.conf.5.gz -a -f /usr/share/man/man5/vsys-systems.d.5.gz -a -f /usr/share/man/man4/vsys-kmod.4.gz"
KVER=$(c "ls /usr/src | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | head -n 1")
check "DKMS built and installed vsyslink.ko for $KVER" c "test -f /lib/modules/$KVER/updates/dkms/vsyslink.ko &&
    dkms status vsyslink | grep -q 'installed'"
check "vsys list runs with Debian's picocli, JNA and commons-io" c "vsys list >/dev/null"

# --- the demo's path: create over SSH, cc prog.c as a user, destroy ---------------------------
URL=$(cat "$WORK/in/url")
t=$(now)
if c "vsys -c $NAME $URL --identity $IN/id_ed25519 --known-hosts $IN/known_hosts" >"$WORK/create.log" 2>&1; then
    ok "vsys -c $NAME over SSH ($(elapsed "$t") s)"
else
    bad "vsys -c $NAME over SSH"; cat "$WORK/create.log"
fi
c "printf '%s\n' '#include <stdio.h>' 'int main(void) { printf(\"hello from a virtual system\\n\"); return 0; }' >/home/$U/prog.c && chown $U: /home/$U/prog.c"
check "as $U: /OS/bin/$NAME cc prog.c, and a.out runs" \
    sh -c "[ \"\$(runuser -u $U -- sh -c 'cd ~ && /OS/bin/$NAME cc prog.c && /OS/bin/$NAME ./a.out')\" = 'hello from a virtual system' ]"
SYS_FS=$(cu "/OS/bin/$NAME stat -f -c %T /usr/")
HOST_FS=$(c "stat -f -c %T /usr/")
check "a launch sees the remote's tree ($SYS_FS), not the chroot's ($HOST_FS)" test -n "$SYS_FS" -a "$SYS_FS" != "$HOST_FS"

# --- removal is refused while a system exists -------------------------------------------------
out=$(c "dpkg -r vsys" 2>&1); rc=$?
check "dpkg -r vsys fails while $NAME exists" test "$rc" != 0
check "... with the line 'vsys: package removal refused: systems or aliases exist ($NAME); ...'" \
    sh -c "printf '%s\n' \"\$1\" | grep -qx 'vsys: package removal refused: systems or aliases exist ($NAME); destroy them first with vsys destroy'" - "$out"
check "... and vsys stays installed with its launcher" \
    sh -c "[ \"\$(dpkg-query -W -f='\${db:Status-Status}' vsys)\" = installed ] && [ \"\$(stat -c %a /OS/bin/bin)\" = 4755 ]"

# --- upgrade with the system up and a process inside running ----------------------------------
# the process: a loop inside the system writing a counter and its root's fs type to /tmp (shared)
c "runuser -u $U -- /OS/bin/$NAME sh -c 'i=0; while :; do i=\$((i+1)); echo \"\$\$ \$i \$(stat -f -c %T /usr/)\" >/tmp/beat.new && mv -f /tmp/beat.new /tmp/beat; sleep 0.2; done' </dev/null >/dev/null 2>&1 &"
for _ in $(seq 50); do [ -s /tmp/beat ] && break; sleep 0.1; done
read -r BG_PID beat0 fs0 </tmp/beat
check "a process runs inside $NAME (pid $BG_PID, root on $fs0)" test -n "$BG_PID" -a "$fs0" = "$SYS_FS"
c "cat /OS/etc/systems/$NAME" >"$WORK/record.before"
ino0=$(c "stat -c %i /OS/bin/bin")
t=$(now)
if c "dpkg -i $(deb vsys "$V2" amd64) $(deb vsyslink-dkms "$V2" all)" >"$WORK/upgrade.log" 2>&1; then
    ok "dpkg -i upgrades to $V2 with $NAME up ($(elapsed "$t") s)"
else
    bad "dpkg -i upgrades to $V2 with $NAME up"; tail -20 "$WORK/upgrade.log"
fi
check "vsys $V2 is installed" test "$(c "dpkg-query -W -f='\${Version}' vsys")" = "$V2"
sleep 0.6
read -r pid1 beat1 fs1 </tmp/beat
check "the process inside kept running through the upgrade (beat $beat0 -> $beat1)" \
    sh -c "kill -0 $BG_PID && [ '$pid1' = '$BG_PID' ] && [ '$beat1' -gt '$beat0' ] && [ '$fs1' = '$SYS_FS' ]"
check "the record of $NAME is unchanged" sh -c "[ \"\$(cat /OS/etc/systems/$NAME)\" = \"\$(cat '$WORK/record.before')\" ]"
check "the new postinst replaced /OS/bin/bin (new inode, 4755 root root, the new package's launcher)" \
    sh -c "[ \"\$(stat -c %i /OS/bin/bin)\" != '$ino0' ] && [ \"\$(stat -c '%a %U %G' /OS/bin/bin)\" = '4755 root root' ] && cmp -s /OS/bin/bin /usr/lib/vsys/vsys-launcher"
check "the new launcher enters the existing system" test "$(cu "/OS/bin/$NAME ./a.out")" = "hello from a virtual system"
check "... and sees its tree" test "$(cu "/OS/bin/$NAME stat -f -c %T /usr/")" = "$SYS_FS"
check "vsys $V2 lists $NAME as ready" sh -c "env -i PATH=/usr/bin:/bin vsys list | grep -q '$NAME.*ready'"
kill "$BG_PID" 2>/dev/null
for _ in $(seq 50); do kill -0 "$BG_PID" 2>/dev/null || break; sleep 0.1; done
BG_PID=

t=$(now)
if c "vsys -d $NAME" >"$WORK/destroy.log" 2>&1; then ok "vsys -d $NAME ($(elapsed "$t") s)"; else bad "vsys -d $NAME"; cat "$WORK/destroy.log"; fi
check "no record, link or mount of $NAME is left" \
    sh -c "! test -e /OS/etc/systems/$NAME -o -e /OS/bin/$NAME && ! grep -q ' /OS/$NAME ' /proc/self/mountinfo"

# --- dpkg-statoverride is honoured ------------------------------------------------------------
c "dpkg-statoverride --add root root 0755 /OS/bin/bin" &&
    c "dpkg -i $(deb vsys "$V2" amd64)" >"$WORK/override.log" 2>&1
check "with 'dpkg-statoverride --add root root 0755 /OS/bin/bin' a reinstall leaves it 0755" \
    test "$(mode_of /OS/bin/bin)" = "755 root root"
c "dpkg-statoverride --remove /OS/bin/bin"

# --- purge keeps the snapshot store when the admin asked for it -------------------------------
c "mkdir -p /srv/tiny/etc && echo 'PRETTY_NAME=\"tiny\"' >/srv/tiny/etc/os-release"
c "vsys -c $NAME-s dir:/srv/tiny && vsys snapshot $NAME-s && vsys -d $NAME-s" >"$WORK/snapshot.log" 2>&1 ||
    cat "$WORK/snapshot.log"
check "a snapshot made the store /OS/.store" c "test -d /OS/.store/objects"
c "touch /OS/etc/keep-store-on-purge && dpkg -P vsys" >"$WORK/purge-keep.log" 2>&1
check "with /OS/etc/keep-store-on-purge, a purge keeps /OS/.store and says so" \
    sh -c "test -d /OS/.store/objects && grep -qx 'vsys: kept the snapshot store /OS/.store: /OS/etc/keep-store-on-purge exists' '$WORK/purge-keep.log'"
check "... and removes the launcher" test ! -e /OS/bin/bin
check "... the command" test ! -e /usr/bin/vsys
check "... and the conffile" test ! -e /etc/vsys/vsys.conf
check "... and the package is purged" sh -c "case \$(dpkg-query -W -f='\${db:Status-Status}' vsys 2>/dev/null) in ''|not-installed) ;; *) exit 1 ;; esac"
c "dpkg -i $(deb vsys "$V2" amd64) && rm /OS/etc/keep-store-on-purge" >"$WORK/reinstall.log" 2>&1 || tail -5 "$WORK/reinstall.log"

# --- purge: nothing of vsys is left ------------------------------------------------------------
t=$(now)
if c "dpkg -P vsys vsyslink-dkms" >"$WORK/purge.log" 2>&1; then ok "dpkg -P vsys vsyslink-dkms ($(elapsed "$t") s)"
else bad "dpkg -P vsys vsyslink-dkms"; tail -20 "$WORK/purge.log"; fi
snapshot "$WORK/after"
# Not vsys's, and allowed to appear: dpkg's own bookkeeping (backups, the statoverride file
# this test used), DKMS's module signing key (made at its first build of any module), and
# depmod's index of the kernel's modules (checked below not to name vsyslink)
diff "$WORK/before.paths" "$WORK/after.paths" | grep '^[<>]' |
    grep -Ev '^> /var/lib/dpkg/(status-old|available-old|diversions-old|statoverride|statoverride-old|triggers/[^/]+)$' |
    grep -Ev '^> /var/lib/dkms/mok\.(key|pub)$' |
    grep -Ev '^> /usr/lib/modules/[^/]+/modules\.[a-z.]+$' >"$WORK/left" || true
check "after the purge /usr /etc /OS /var/lib /var/cache hold the same paths as before the install" test ! -s "$WORK/left"
[ -s "$WORK/left" ] && sed 's/^/    /' "$WORK/left"
check "depmod's index names no vsyslink after the purge" sh -c "! grep -rqs vsyslink /usr/lib/modules/*/modules.dep /usr/lib/modules/*/modules.alias"
check "no set-id file was added or left" cmp -s "$WORK/before.setid" "$WORK/after.setid"
check "no vsys unit, enablement link or DKMS module is left" \
    sh -c "! sh -c 'ls -d /lib/systemd/system/vsys* /etc/systemd/system/*/vsys* /var/lib/dkms/vsyslink /lib/modules/*/updates/dkms/vsyslink.ko' 2>/dev/null | grep -q ."

# --- the package over an install.sh install ----------------------------------------------------
# WORK/src: install.sh and what it installs from (this tree's build). An install from before the
# configuration moved to /etc/vsys (its vsys.conf, changed by the admin, in /OS/etc) with a
# system up; then dpkg -i, with no terminal: dpkg must ask nothing and keep the admin's file.
if [ -x "$WORK/src/install.sh" ]; then
    if c "cd $WORK/src && ./install.sh" >"$WORK/install-sh.log" 2>&1; then ok "./install.sh from the source tree"
    else bad "./install.sh from the source tree"; tail -20 "$WORK/install-sh.log"; fi
    c "mv /etc/vsys/vsys.conf /OS/etc/vsys.conf && echo 'nfs.options=vers=4.2,hard' >>/OS/etc/vsys.conf"
    c "mkdir -p /srv/tiny2/etc && echo 'PRETTY_NAME=\"tiny2\"' >/srv/tiny2/etc/os-release"
    c "/usr/local/bin/vsys -c $NAME-i dir:/srv/tiny2" >"$WORK/install-sh-create.log" 2>&1 || cat "$WORK/install-sh-create.log"
    c "cat /OS/etc/systems/$NAME-i" >"$WORK/record-i.before" 2>&1
    if c "dpkg -i $(deb vsys "$V2" amd64) </dev/null" >"$WORK/over.log" 2>&1; then ok "dpkg -i over the install.sh install, no terminal"
    else bad "dpkg -i over the install.sh install, no terminal"; tail -20 "$WORK/over.log"; fi
    check "... the admin's vsys.conf is the conffile's content (/etc/vsys/vsys.conf), none left in /OS/etc" \
        sh -c "grep -qx 'nfs.options=vers=4.2,hard' /etc/vsys/vsys.conf && test ! -e /OS/etc/vsys.conf -a ! -e /etc/vsys/vsys.conf.vsys-migrate"
    check "... dpkg registered it as a conffile, changed by the admin" \
        c "dpkg-query -W -f='\${Conffiles}' vsys | grep -q '^ /etc/vsys/vsys.conf ' && ! grep -q 'Configuration file' $WORK/over.log"
    check "... the system made by the install.sh install stays ready, its record unchanged" \
        sh -c "env -i PATH=/usr/bin:/bin /usr/bin/vsys list | grep -q '$NAME-i.*ready' && [ \"\$(cat /OS/etc/systems/$NAME-i)\" = \"\$(cat '$WORK/record-i.before')\" ]"
    check "... /OS/bin/bin is the package's launcher" c "cmp -s /OS/bin/bin /usr/lib/vsys/vsys-launcher"
fi
exit 0
