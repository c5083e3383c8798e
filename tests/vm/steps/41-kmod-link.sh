#!/bin/bash
# Guest step: the per-process link's behaviour.
. "$(dirname "$0")/../../../kmod/tests/lib.sh"

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
V=$R/.root/.vsys

loaded && rmmod vsyslink
build && load || { fail "build and load"; summary; exit 1; }
shared_up
make_system a
make_system b
register a
register b
check "targets listed" "a 0 ../.os/a|b 0 ../.os/b" "$(paste -sd'|' "$V/targets")"

# two processes, two targets, one path, at the same time
in_sys a /bin/sh -c 'sleep 1; cat /etc/marker' > /tmp/out.a &
in_sys b /bin/sh -c 'sleep 1; cat /etc/marker' > /tmp/out.b &
wait
check "process in a sees a" a "$(cat /tmp/out.a)"
check "process in b sees b" b "$(cat /tmp/out.b)"
check "host view through R/.root for a" a \
	"$(sh -c 'echo a > $R/.root/.vsys/set; cat $R/.root/etc/marker')"
check "host view through R/.root for b" b \
	"$(sh -c 'echo b > $R/.root/.vsys/set; cat $R/.root/etc/marker')"
check "unset process sees the real root" / "$(readlink "$V/link")"
check "default link from the host" "$(cat /etc/hostname)" \
	"$(cat "$R/.root/etc/hostname")"

# inheritance: children and grandchildren
check "child in a" a "$(in_sys a /bin/sh -c '/bin/cat /etc/marker')"
check "grandchild in a" a \
	"$(in_sys a /bin/sh -c '/bin/sh -c "/bin/sh -c \"cat /etc/marker\""')"
check "grandchild in b" b \
	"$(in_sys b /bin/sh -c '/bin/sh -c "/bin/sh -c \"cat /etc/marker\""')"
check "grandchild's link body" ../.os/b \
	"$(in_sys b /bin/sh -c '/bin/sh -c "readlink /.vsys/link"')"
check "grandchild as nobody" a \
	"$(in_sys a $NOBODY /bin/sh -c '/bin/sh -c "cat /etc/marker"')"

# a child outliving its parent keeps its link
rm -f "$R/.root/tmp/orphan" "$R/.root/tmp/orphan.pid"
in_sys a /bin/sh -c 'sh -c "sleep 3; cat /etc/marker > /tmp/orphan" & echo $! > /tmp/orphan.pid'
op=$(cat "$R/.root/tmp/orphan.pid")
check "orphan tracked after its parent exited (for root)" "$op a 0" "$(grep "^$op " "$V/procs")"
check "orphan keeps its link" a "$(settle a cat "$R/.root/tmp/orphan")"
check "orphan dropped after exit" 0 "$(settle 0 stat_of tracked)"

# threads: a thread's exit does not drop the process's link
check "thread exit keeps the link" "../.os/a ../.os/a" "$(sh -c 'echo a > $R/.root/.vsys/set
	exec python3 -c "
import os, threading
v = os.environ[\"R\"] + \"/.root/.vsys/link\"
r = []
t = threading.Thread(target=lambda: r.append(os.readlink(v)))
t.start(); t.join()
print(r[0], os.readlink(v))"')"

# privilege: only CAP_SYS_ADMIN sets or registers
expect_err "nobody cannot set" "Operation not permitted" \
	$NOBODY bash -c "echo a > $V/set"
expect_err "nobody cannot set from inside" "Operation not permitted" \
	in_sys a $NOBODY /bin/bash -c 'echo b > /.vsys/set'
check "nobody's link unchanged" a \
	"$(in_sys a $NOBODY /bin/sh -c 'echo b > /.vsys/set 2>/dev/null; cat /etc/marker')"
expect_err "root without CAP_SYS_ADMIN cannot set" "Operation not permitted" \
	setpriv --bounding-set=-sys_admin --inh-caps=-all bash -c "echo a > $V/set"
expect_err "nobody cannot register" "Permission denied" \
	$NOBODY bash -c "echo 'add c /' > $V/targets"
expect_err "nobody cannot set another pid" "Operation not permitted" \
	$NOBODY bash -c "echo 'a 1' > $V/set"
expect_err "unregistered target" "No such file or directory" \
	bash -c "echo nosuch > $V/set"
expect_err "invalid name" "Invalid argument" bash -c "echo 'add ../x /' > $V/targets"
expect_err "empty path" "Invalid argument" bash -c "echo 'add x' > $V/targets"
expect_err "duplicate target" "File exists" bash -c "echo 'add a /' > $V/targets"
expect_err "unknown command" "Invalid argument" bash -c "echo 'frob a' > $V/targets"
expect_err "bad pid" "No such process" bash -c "echo 'a 999999' > $V/set"

# set by pid, reset, unregister while in use
sleep 20 &
sp=$!
echo "b $sp" > "$V/set"
check "set by pid (for its real uid)" "$sp b 0" "$(grep "^$sp " "$V/procs")"
echo "- $sp" > "$V/set"
check "reset by pid" "" "$(grep "^$sp " "$V/procs")"
echo "a $sp" > "$V/set"
echo "del a" > "$V/targets"
check "unregistered target keeps its users" "$sp a 0" "$(grep "^$sp " "$V/procs")"
expect_err "set to an unregistered target" "No such file or directory" \
	bash -c "echo a > $V/set"
kill $sp; wait $sp 2>/dev/null
register a
check "reset to default" / "$(sh -c 'echo a > $R/.root/.vsys/set; echo - > $R/.root/.vsys/set; readlink $R/.root/.vsys/link')"

# private targets (restricted systems): the tree behind the gate os/NAME, which
# opens only to real root and the processes linked to NAME for their own real uid
echo "private p" > "$V/targets"
check "private target listed with its body" "p 0 os/p/root" "$(grep '^p ' "$V/targets")"
check "its gate: 0500 root, holding root" "500:0 root" "$(stat -c %a:%u "$V/os/p") $(ls "$V/os/p")"
# the tree's own / is 0755 (a system's root), its parent root's 0700 (R/.private)
mkdir -p "$R/priv-x/p" && chmod 700 "$R/priv-x" && chmod 755 "$R/priv-x/p"
make_system_at "$R/priv-x/p" p
mount --rbind "$R/priv-x/p" "$V/os/p/root"
check "root reads the tree behind the gate" p "$(cat "$V/os/p/root/etc/marker")"
expect_err "no gate for an open target" "No such file or directory" stat "$V/os/a"
expect_err "no gate for an unregistered name" "No such file or directory" stat "$V/os/nosuch"
expect_err "a private target cannot be added twice" "File exists" bash -c "echo 'private p' > $V/targets"
expect_err "nor take a path" "Invalid argument" bash -c "echo 'private q /x' > $V/targets"
# as nobody
expect_err "nobody cannot read the tree" "Permission denied" $NOBODY cat "$V/os/p/root/etc/marker"
expect_err "nobody cannot list the gate" "Permission denied" $NOBODY ls "$V/os/p"
expect_err "nor as root of an own user namespace" "Permission denied" \
	$NOBODY unshare -r cat "$V/os/p/root/etc/marker"
expect_err "nor bind it in an own mount namespace" "Permission denied" \
	$NOBODY unshare -rm sh -c "mount --rbind $V /mnt && cat /mnt/os/p/root/etc/marker"
check "linked by root for nobody (set NAME PID UID): nobody reads it" p \
	"$(sh -c 'echo "p $$ 65534" > $R/.root/.vsys/set && exec chroot $R/.root setpriv --reuid=65534 --regid=65534 --clear-groups cat /etc/marker')"
check "... its children too" p \
	"$(sh -c 'echo "p $$ 65534" > $R/.root/.vsys/set && exec chroot $R/.root setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "sh -c \"cat /etc/marker\""')"
check "... listed for that uid in procs" "p 65534" \
	"$(sh -c 'echo "p $$ 65534" > $R/.root/.vsys/set && awk -v p=$$ "\$1 == p {print \$2, \$3}" $R/.root/.vsys/procs')"
expect_err "linked by root for itself, then become nobody: shut" "Permission denied" \
	in_sys p $NOBODY cat /etc/marker
expect_err "linked for nobody, then become another user: shut" "Permission denied" \
	sh -c 'echo "p $$ 65534" > $R/.root/.vsys/set && exec chroot $R/.root setpriv --reuid=65533 --regid=65533 --clear-groups cat /etc/marker'
expect_err "linked for nobody while still root, then a process of another uid forked from it: shut" "Permission denied" \
	sh -c 'echo "p $$ 65534" > $R/.root/.vsys/set && exec chroot $R/.root setpriv --reuid=65533 --regid=65533 --clear-groups sh -c "cat /etc/marker"'
check "the link of an unlinked process leads nowhere (default)" "/" "$($NOBODY readlink "$V/link")"
expect_err "an unlinked process cannot reach the tree through the link" "No such file or directory" \
	$NOBODY cat "$R/.root/.link/etc/marker"
expect_err "a bad uid" "Invalid argument" bash -c "echo 'p $$ 4294967295' > $V/set"
expect_err "a reset takes no uid" "Invalid argument" bash -c "echo '- $$ 0' > $V/set"
sleep 20 &
sp=$!
echo "p $sp" > "$V/set"
echo "del p" > "$V/targets"
check "unregistered private target: its gate stays while its tree is mounted" "500" "$(stat -c %a "$V/os/p")"
kill $sp; wait $sp 2>/dev/null
umount -R "$V/os/p/root"
expect_err "...and goes with its tree" "No such file or directory" stat "$V/os/p"
umount "$R/priv-x/p/usr" && rm -rf "$R/priv-x"

# races: readers walk through the link while their target flips
in_sys a /bin/sh -c 'i=0; while [ $i -lt 300 ]; do cat /etc/marker; i=$((i+1)); done' \
	> /tmp/race.out 2>&1 &
rd=$!
for i in $(seq 300); do echo "b $rd" > "$V/set"; echo "a $rd" > "$V/set"; done 2>/dev/null
wait $rd
check "300 reads under flips, no error" 0 "$(grep -cvE '^(a|b)$' /tmp/race.out)"

check "tracked back to 0" 0 "$(stat_of tracked)"
echo "del a" > "$V/targets"; echo "del b" > "$V/targets"
shared_down
if unload; then ok "rmmod"; else fail "rmmod"; fi
if dmesg | grep -qE 'BUG:|WARNING:|Oops'; then fail "kernel log clean"; dmesg | tail -30; else ok "kernel log clean"; fi
summary
