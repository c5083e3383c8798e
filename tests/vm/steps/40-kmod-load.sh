#!/bin/bash
# Guest step: build, insmod, exercise, rmmod, twice; rmmod is refused while
# the filesystem is mounted and while a process holds a link.
. "$(dirname "$0")/../../../kmod/tests/lib.sh"

loaded && rmmod vsyslink
if build; then ok "build"; else fail "build"; summary; exit 1; fi
modinfo "$KMOD/vsyslink.ko" > /tmp/modinfo.txt
for k in license:.*GPL author: description: parm:.*default_link parm:.*max_targets; do
	if grep -q "^$k" /tmp/modinfo.txt; then ok "modinfo $k"; else fail "modinfo $k"; fi
done

for round in 1 2; do
	if load; then ok "insmod ($round)"; else fail "insmod ($round)"; summary; exit 1; fi
	if grep -qw vsyslink /proc/filesystems; then ok "fs registered ($round)"; else fail "fs registered ($round)"; fi
	shared_up
	make_system a
	register a
	check "unset link is / ($round)" / "$(readlink "$R/.root/.vsys/link")"
	check "set link ($round)" ../.os/a \
		"$(sh -c 'echo a > $R/.root/.vsys/set && readlink $R/.root/.vsys/link')"
	check "tree through the link ($round)" a \
		"$(in_sys a /bin/cat /etc/marker)"
	expect_err "rmmod refused while mounted ($round)" "in use" rmmod vsyslink
	# a process holding a link pins the module even when nothing is mounted
	sh -c 'echo a > $R/.root/.vsys/set && exec sleep 30' &
	holder=$!
	check "holder tracked ($round)" 1 "$(settle 1 stat_of tracked)"
	umount "$R/.root/.vsys"
	expect_err "rmmod refused while a link is held ($round)" "in use" rmmod vsyslink
	kill $holder; wait $holder 2>/dev/null
	mount -t vsyslink vsyslink "$R/.root/.vsys"
	check "holder dropped at exit ($round)" 0 "$(settle 0 stat_of tracked)"
	echo "del a" > "$R/.root/.vsys/targets"
	shared_down
	if unload; then ok "rmmod ($round)"; else fail "rmmod ($round)"; fi
	if loaded; then fail "module gone ($round)"; else ok "module gone ($round)"; fi
done
dmesg | grep -E 'vsyslink|BUG|WARNING' | tail -8
if dmesg | grep -qE 'BUG:|WARNING:|Oops'; then fail "kernel log clean"; else ok "kernel log clean"; fi
summary
