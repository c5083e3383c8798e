#!/bin/bash
# tests/package/run.sh: the `package` stage. Builds the Debian packages (debian/) with
# dpkg-buildpackage, checks them with lintian, installs them with dpkg -i, runs the demo's
# end-to-end path against the installed package (create over SSH, `cc prog.c` as an ordinary
# user, destroy), upgrades to a rebuilt package with a system up and a process inside it
# running, then purges and checks that nothing of vsys is left.
#
# Isolation: this machine (and every other test) uses an install.sh install at /usr/local and
# /OS; the package would replace /OS/bin/bin. So dpkg runs in a chroot: an overlay whose lower
# layer is a cached Debian tree (the remote's debootstrap tree plus the package's runtime
# dependencies, dkms and kernel headers: /var/cache/vsys/rootfs-bookworm-pkg, built once),
# mounted inside a private mount namespace (unshare -m). The chroot has its own /OS, /usr,
# /etc and dpkg database; the host's are never touched. The remote host is the one of
# tests/remote/remote.sh (a netns with sshd), reached from the chroot over its veth.
#
#   tests/package/run.sh            the stage; last line "package: N passed, M failed"
#   env VSYS_PKG_NAME               the remote/system name (default pkg)
#   env VSYS_PKG_KEEP=1             keep the work directory (builds, logs) for a look
set -euo pipefail

cd "$(dirname "$0")/../.."
TOP=$(pwd)
. tests/lib/common.sh

NAME=${VSYS_PKG_NAME:-pkg}
CACHE=/var/cache/vsys
PKGROOT_CACHE=$CACHE/rootfs-bookworm-pkg
BASE_TREE=$CACHE/rootfs-bookworm-gcc
# what the package needs at run time (debian/control Depends/Recommends), and dkms with the
# headers of Debian's kernel so that vsyslink-dkms really builds its module
CHROOT_PKGS="openjdk-17-jre-headless libpicocli-java libjna-java libcommons-io-java sshfs fuse3
 openssh-client dkms linux-headers-amd64"
BUILD_DEPS="debhelper dh-dkms lintian fakeroot openjdk-17-jdk-headless libpicocli-java libjna-java
 libcommons-io-java mandoc gcc make libc6-dev"
REMOTE_DEPS="openssh-server openssh-client debootstrap iproute2 ca-certificates"
T0=$(now)

[ "$(id -u)" = 0 ] || { echo "package: must run as root" >&2; echo "package: 0 passed, 1 failed"; exit 1; }

WORK=$(mktemp -d /var/tmp/vsys-pkgtest.XXXXXX)
RESULTS=$WORK/results
: >"$RESULTS"
REMOTE_UP=0

ok() { echo "ok   $*"; echo "ok $*" >>"$RESULTS"; }
bad() { echo "FAIL $*"; echo "FAIL $*" >>"$RESULTS"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

finish() {
    local rc=$? p f
    trap - EXIT INT TERM
    if [ -n "${b2:-}" ]; then kill "$b2" 2>/dev/null || true; fi
    [ "$REMOTE_UP" = 1 ] && { tests/remote/remote.sh down "$NAME" >/dev/null 2>&1 || true; }
    p=$(grep -c '^ok ' "$RESULTS" 2>/dev/null || true)
    f=$(grep -c '^FAIL ' "$RESULTS" 2>/dev/null || true)
    [ -f "$RESULTS" ] || f=1
    # the chroot's mounts lived in a private mount namespace: gone with its processes
    if grep -q " $WORK" /proc/self/mountinfo; then
        echo "package: still mounted under $WORK; left in place" >&2
    elif [ "${VSYS_PKG_KEEP:-0}" = 1 ]; then
        echo "package: kept $WORK"
    else
        rm -rf --one-file-system -- "$WORK"
    fi
    if [ "$rc" -ne 0 ] && [ "${f:-0}" = 0 ]; then f=1; echo "package: aborted (exit $rc)"; fi
    echo "package: total $(elapsed "$T0") s"
    echo "package: ${p:-0} passed, ${f:-0} failed"
    [ "${f:-0}" = 0 ] && [ "$rc" = 0 ]
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- host tools -----------------------------------------------------------------------------
# shellcheck disable=SC2086
apt_ensure $BUILD_DEPS $REMOTE_DEPS

# --- build: dpkg-buildpackage in a copy of the tree, twice (the second with a newer version) ---
copy_tree() {   # copy_tree DEST: the source tree as git sees it (tracked + untracked, not ignored)
    mkdir -p "$1"
    if [ -d .git ] || [ -f .git ]; then
        git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$1"
    else
        tar --exclude=./target --exclude=./native/build --exclude=./debian/build -cf - . | tar -xf - -C "$1"
    fi
}
build() {   # build DIR: dpkg-buildpackage -b -us -uc in DIR; the .debs land in DIR/..
    (cd "$1" && dpkg-buildpackage -b -us -uc) >"$1.log" 2>&1 || { tail -30 "$1.log" >&2; return 1; }
}
V1=$(dpkg-parsechangelog -l debian/changelog -SVersion)
V2=$V1+pkgtest1
mkdir -p "$WORK/b1" "$WORK/b2"
copy_tree "$WORK/b1/vsys"
copy_tree "$WORK/b2/vsys"
{
    printf 'vsys (%s) unstable; urgency=medium\n\n  * Rebuild for the upgrade test.\n\n' "$V2"
    printf ' -- vsys test <vsys-test@lists.vsys.invalid>  %s\n\n' "$(date -R)"
    cat debian/changelog
} >"$WORK/b2/vsys/debian/changelog"
timed() {   # timed WHAT CMD...: check, with the seconds it took in the line
    local what=$1 t; shift; t=$(now)
    if "$@"; then ok "$what ($(elapsed "$t") s)"; else bad "$what ($(elapsed "$t") s)"; fi
}
# the two builds run at once (each is mostly one javac or cc at a time)
t=$(now)
build "$WORK/b2/vsys" & b2=$!
timed "dpkg-buildpackage -b -us -uc builds vsys $V1" build "$WORK/b1/vsys"
BUILD_S=$(elapsed "$t")
DEB1=$WORK/b1/vsys_${V1}_amd64.deb DKMS1=$WORK/b1/vsyslink-dkms_${V1}_all.deb
check "the build made vsys_${V1}_amd64.deb and vsyslink-dkms_${V1}_all.deb" test -f "$DEB1" -a -f "$DKMS1"
timed "the rebuild with version $V2 builds" wait "$b2"
DEB2=$WORK/b2/vsys_${V2}_amd64.deb DKMS2=$WORK/b2/vsyslink-dkms_${V2}_all.deb

# --- lintian: no errors, no warnings (the remaining ones are overridden with a reason) ---------
lint() {
    lintian "$WORK/b1/vsys_${V1}_amd64.changes" >"$WORK/lintian.out" 2>&1 || true
    grep -v '^running with root privileges' "$WORK/lintian.out" >"$WORK/lintian.tags" || true
    cat "$WORK/lintian.tags"
    ! grep -q '^[EW]:' "$WORK/lintian.tags"
}
timed "lintian: no errors and no warnings (the rest overridden with a reason)" lint

perm_of() { dpkg-deb -c "$1" | awk -v p="$2" '$6 == p { print $1, $2 }'; }
check "the .deb does not carry a set-id file (the launcher is set up by postinst)" \
    sh -c "! dpkg-deb -c '$DEB1' | awk '{print \$1}' | grep -q '[sS]'"
check "the .deb has /etc/vsys/vsys.conf as a conffile" sh -c "dpkg-deb -I '$DEB1' conffiles | grep -qx /etc/vsys/vsys.conf"
check "the .deb ships nothing under /OS (postinst makes it)" sh -c "! dpkg-deb -c '$DEB1' | grep -q ' \./OS/'"
check "vsys-view is 0755 root (not setuid)" test "$(perm_of "$DEB1" ./usr/lib/vsys/vsys-view)" = "-rwxr-xr-x root/root"

# --- the chroot's tree (cached) ----------------------------------------------------------------
pkg_rootfs() {
    [ -x "$PKGROOT_CACHE/usr/bin/java" ] && [ -d "$PKGROOT_CACHE/var/lib/dkms" ] && return 0
    [ -x "$BASE_TREE/usr/bin/cc" ] || tests/remote/remote.sh tree
    local tmp=$CACHE/.rootfs-bookworm-pkg.tmp.$$
    echo "package: building the chroot tree $PKGROOT_CACHE (once)"
    rm -rf --one-file-system -- "$tmp"
    cp -a "$BASE_TREE" "$tmp"
    cp /etc/resolv.conf "$tmp/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"; chmod 0755 "$tmp/usr/sbin/policy-rc.d"
    # shellcheck disable=SC2016
    unshare -m --propagation private sh -ec '
        mount -t proc proc "$1/proc"; mount --rbind /dev "$1/dev"; mount --rbind /sys "$1/sys"
        shift
        chroot "$0" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
            sh -ec "apt-get update -q; apt-get install -y -q --no-install-recommends $*; apt-get clean"
    ' "$tmp" "$tmp" $CHROOT_PKGS >"$WORK/rootfs.log" 2>&1 || { tail -20 "$WORK/rootfs.log" >&2; rm -rf --one-file-system -- "$tmp"; return 1; }
    mv -T "$tmp" "$PKGROOT_CACHE"
}
timed "the chroot tree $PKGROOT_CACHE is ready" pkg_rootfs

# --- the remote host -----------------------------------------------------------------------
tests/remote/remote.sh up "$NAME" >"$WORK/remote.log" 2>&1 || { cat "$WORK/remote.log" >&2; exit 1; }
REMOTE_UP=1
mkdir -p "$WORK/in"
cp "$DEB1" "$DKMS1" "$DEB2" "$DKMS2" "$WORK/in/"
cp /run/vsys-remote/"$NAME"/{id_ed25519,known_hosts,url,ip} "$WORK/in/"
# what install.sh installs from (the install stage's build of this tree), for the over-install.sh case
mkdir -p "$WORK/src/target"
cp -a "$TOP/install.sh" "$TOP/pom.xml" "$TOP/OS" "$TOP/man" "$TOP/bench" "$TOP/native" "$WORK/src/" &&
    cp -a "$TOP/target/dist" "$WORK/src/target/" || bad "copy of the source tree's build for install.sh"

# --- in a private mount namespace: the chroot and everything done in it ----------------------
# On one CPU: vsys-view prepare binds a new mount namespace (/proc/PID/ns/mnt) into its own,
# which the kernel refuses (EINVAL, its loop check) unless the new namespace's id is larger.
# From the initial namespace that always holds; from this test's namespace, on the 6.18 kernel
# here, 9 of 15 creates failed on two CPUs and 0 of 15 pinned to one (namespace ids are
# apparently not ordered across CPUs). A vsys run in a non-initial mount
# namespace (a sandboxed systemd service, a container) can meet the same refusal.
CPU=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
set +e
VSYS_PKG_NAME=$NAME V1=$V1 V2=$V2 taskset -c "$CPU" unshare -m --propagation private \
    "$TOP/tests/package/in-chroot.sh" "$PKGROOT_CACHE" "$WORK" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || bad "tests/package/in-chroot.sh exited $rc"
echo "package: build $BUILD_S s"
