#!/bin/bash
# Guest step: the launcher side (native/kmod_link.c, driven by linkbench):
# detection, enter, refusals, inheritance after the privilege drop.
. "$(dirname "$0")/../../../kmod/tests/lib.sh"
LB=$KT/linkbench
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

loaded && rmmod vsyslink
build || { fail "build"; summary; exit 1; }
check "available: module not loaded" "0 No such device" "$("$LB" available)"
load || { fail "insmod"; summary; exit 1; }
mkdir -p "$R/.root/.vsys"
check "available: loaded, not mounted" "0 No such file or directory" "$("$LB" available)"
shared_up
make_system a
make_system b
register a
register b
check "available: mounted" "1 -" "$("$LB" available)"

check "enter a" a "$("$LB" enter a /bin/cat /etc/marker)"
check "enter b" b "$("$LB" enter b /bin/cat /etc/marker)"
check "cwd is / after enter" / "$("$LB" enter a /bin/pwd)"
check "grandchild after the privilege drop" a \
	"$("$LB" enter a /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \
		/bin/sh -c '/bin/sh -c "cat /etc/marker"')"
check "uid after the drop" 65534 \
	"$("$LB" enter a /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/id -u)"
expect_err "enter an unregistered system" "kmod: set link: No such file or directory" \
	"$LB" enter nosuch /bin/true
expect_err "enter a name with a space" "Invalid argument" "$LB" enter "a b" /bin/true
expect_err "enter as nobody" "kmod: set link: Operation not permitted" \
	$NOBODY "$LB" enter a /bin/true
check "refused enter runs nothing" 125 "$("$LB" enter nosuch /bin/echo ran 2>/dev/null; echo $?)"

# planted or unsafe shared tree
umount "$R/.root/.vsys"
expect_err "plain directory at .vsys" "not a vsyslink mount" "$LB" enter a /bin/true
mount -t vsyslink vsyslink "$R/.root/.vsys"
chmod 775 "$R/.root"
expect_err "group-writable shared tree" "writable by others" "$LB" enter a /bin/true
chmod 755 "$R/.root"
chown 65534 "$R/.root"
expect_err "shared tree not root-owned" "not root-owned" "$LB" enter a /bin/true
chown 0 "$R/.root"
mv "$R/.root" "$R/.root.real"
ln -s .root.real "$R/.root"
expect_err "shared tree replaced by a symlink" "Not a directory" "$LB" enter a /bin/true
rm "$R/.root"; mv "$R/.root.real" "$R/.root"
check "enter works again" a "$("$LB" enter a /bin/cat /etc/marker)"

check "tracked back to 0" 0 "$(stat_of tracked)"
echo "del a" > "$R/.root/.vsys/targets"; echo "del b" > "$R/.root/.vsys/targets"
shared_down
if unload; then ok "rmmod"; else fail "rmmod"; fi
summary
