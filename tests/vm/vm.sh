#!/bin/bash
# vsys VM test bed: Debian's own kernel under qemu, running THIS machine's userland.
#
#   tests/vm/vm.sh prepare      fetch + unpack Debian's kernel (linux-image-amd64's dependency), install the
#                               matching linux-headers, extract an uncompressed vmlinux (PVH boot), build a tiny
#                               busybox initramfs. Cached in tests/vm/cache/ and idempotent (a second run is ~0 s).
#   tests/vm/vm.sh info         print kernel version, headers path, cache paths, accelerator
#   tests/vm/vm.sh run [--timeout SEC] [--step-timeout SEC] [--netns NS] [--out DIR] [--mem MB] STEP...
#                               boot ONE guest and run each STEP (an executable on the host) inside it, in order.
#
# The guest: the host's / is shared read-only over virtio-9p (cache=loose: files changed on the host after boot
# are not seen by the guest) under a tmpfs overlay, so it runs the host's Debian userland (java, mount.nfs, the
# built project) on Debian's kernel, which has an NFS client and loads modules. The kernel's modules come from
# the unpacked package (bind-mounted at /lib/modules in the guest). /run is a fresh tmpfs in the guest.
# Each STEP runs as root with cwd = the project directory and VM_OUT = a writable 9p share (a host directory;
# use it to pass results out). The guest's /etc/hosts has "10.0.2.2 fileserver": with qemu user networking
# 10.0.2.2 is the loopback of the network namespace qemu runs in (see --netns).
# Per step the host prints the step's output and "vm: STEP rc=N time=Ts"; the exit status is non-zero if any
# step failed, did not run, or the guest did not finish within --timeout (it is then killed and the tail of its
# console log is printed).
#
# env: VM_ACCEL=tcg|kvm|auto (default tcg: /dev/kvm on nested hosts often cannot run a stock kernel; auto uses
#      kvm only when the CPU shows vmx/svm and /dev/kvm is not PVM), VM_MEM (MB, default 2048),
#      VM_SMP (vCPUs, default 1; TCG runs one host thread per vCPU), VM_KVER (force a kernel version),
#      VM_VERBOSE=1 (stream the guest console to stderr),
#      VM_CACHE (default tests/vm/cache).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
CACHE=${VM_CACHE:-$HERE/cache}
ME=vm

die() { echo "$ME: $*" >&2; exit 1; }
log() { echo "$ME: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# ---------------------------------------------------------------------------------------------- prepare
kver() {   # the kernel version <abi>-amd64, resolved once and cached
  if [ -n "${VM_KVER:-}" ]; then echo "$VM_KVER"; return; fi
  if [ -s "$CACHE/kver" ]; then cat "$CACHE/kver"; return; fi
  local v
  v=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' | head -1)
  if [ -z "$v" ]; then
    apt-get update -qq >&2 || true
    v=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' | head -1)
  fi
  [ -n "$v" ] || die "cannot resolve linux-image-amd64's kernel package (apt-cache depends linux-image-amd64)"
  mkdir -p "$CACHE"; echo "$v" > "$CACHE/kver.tmp.$$"; mv "$CACHE/kver.tmp.$$" "$CACHE/kver"
  echo "$v"
}

need_tools() {
  local missing=() t
  for t in qemu-system-x86_64 dpkg-deb depmod modprobe cpio gzip xz /bin/busybox; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} = 0 ] || die "missing: ${missing[*]} (apt-get install qemu-system-x86 busybox-static cpio kmod xz-utils)"
}

# The initramfs /init (busybox sh): load the 9p/virtio/overlay modules, mount the host / read-only over 9p under
# a tmpfs overlay, switch_root into it and exec the guest init given as vsys_init= on the kernel command line.
INIT_SCRIPT='#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for ko in $(cat /modules.order); do insmod /lib/modules/$ko 2>/dev/null; done
GINIT=/bin/sh
for a in $(cat /proc/cmdline); do case $a in vsys_init=*) GINIT=${a#vsys_init=};; esac; done
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower || { echo "vm-initramfs: 9p root mount failed"; poweroff -f; }
mount -t tmpfs -o size=75% tmpfs /rw && mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || { echo "vm-initramfs: overlay failed"; poweroff -f; }
mount --move /proc /newroot/proc; mount --move /sys /newroot/sys; mount --move /dev /newroot/dev
exec switch_root /newroot $GINIT
'
INIT_MODULES="virtio_pci virtio_net 9p 9pnet_virtio overlay"

prepare() {
  need_tools
  local t0 v kroot vmlinux initrd deb
  t0=$(now)
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.prepare.lock"; flock 9      # two prepares at once (run-suite + a colleague) must not collide
  v=$(kver)
  kroot=$CACHE/kernel-$v; vmlinux=$CACHE/vmlinux-$v; initrd=$CACHE/initramfs-$v.cpio.gz

  # 1. the kernel package, unpacked (not installed: installing would also build an initramfs, 48 s)
  if [ ! -f "$kroot/.done" ]; then
    mkdir -p "$CACHE/deb"
    deb=$(ls "$CACHE"/deb/linux-image-"$v"_*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
      log "downloading linux-image-$v"
      (cd "$CACHE/deb" && apt-get download -q "linux-image-$v" >&2) || {
        apt-get update -qq >&2; (cd "$CACHE/deb" && apt-get download -q "linux-image-$v" >&2); }
      deb=$(ls "$CACHE"/deb/linux-image-"$v"_*.deb | head -1)
    fi
    rm -rf "$kroot" "$kroot.tmp"
    dpkg-deb -x "$deb" "$kroot.tmp"
    depmod -b "$kroot.tmp" "$v"
    touch "$kroot.tmp/.done"; mv "$kroot.tmp" "$kroot"
  fi

  # 2. the matching headers, installed (a module is built against /usr/src/linux-headers-$v)
  if ! dpkg-query -W -f='${Status}' "linux-headers-$v" 2>/dev/null | grep -q 'install ok installed'; then
    log "installing linux-headers-$v"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
      "linux-headers-$v" >&2 || die "apt-get install linux-headers-$v failed"
  fi

  # 3. uncompressed vmlinux: qemu boots it through the PVH entry, skipping the decompressor (~5 s under TCG)
  if [ ! -s "$vmlinux" ]; then
    local z="$kroot/boot/vmlinuz-$v" off
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$z" | head -1 | cut -d: -f1 || true)
    [ -n "$off" ] || die "no xz stream in $z"
    tail -c +$((off + 1)) "$z" | xz -dc > "$vmlinux.tmp" 2>/dev/null || true   # trailing data after the stream
    [ "$(head -c4 "$vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { rm -f "$vmlinux.tmp"; die "vmlinux extraction failed"; }
    mv "$vmlinux.tmp" "$vmlinux"
  fi

  # 4. initramfs: busybox-static + modules (+ dependencies, in order) + /init. Rebuilt when its inputs change.
  local stamp
  stamp=$( { echo "$INIT_SCRIPT$INIT_MODULES"; sha256sum /bin/busybox; } | sha256sum | cut -c1-16)
  if [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$initrd" ]; then
    local w m ko
    w=$(mktemp -d "$CACHE/initrd.XXXXXX")
    mkdir -p "$w"/{bin,proc,sys,dev,newroot,lib/modules}
    cp /bin/busybox "$w/bin/busybox"
    for m in sh mount insmod mkdir cat switch_root poweroff; do ln -s busybox "$w/bin/$m"; done
    : > "$w/modules.order"
    for m in $INIT_MODULES; do
      modprobe -d "$kroot" -S "$v" --show-depends "$m" | awk '$1=="insmod"{print $2}'
    done | awk '!seen[$0]++' | while read -r ko; do
      case $ko in
        *.ko.xz) xz -dc "$ko" > "$w/lib/modules/$(basename "$ko" .xz)"; echo "$(basename "$ko" .xz)";;
        *.ko.zst) zstd -qdc "$ko" > "$w/lib/modules/$(basename "$ko" .zst)"; echo "$(basename "$ko" .zst)";;
        *) cp "$ko" "$w/lib/modules/"; basename "$ko";;
      esac >> "$w/modules.order"
    done
    printf '%s' "$INIT_SCRIPT" > "$w/init"; chmod 755 "$w/init"
    (cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd.tmp"
    rm -rf "$w"; mv "$initrd.tmp" "$initrd"; echo "$stamp" > "$initrd.stamp"
  fi
  flock -u 9
  log "prepared kernel $v in $(elapsed "$t0")s"
}

prepared() { local v; v=$(kver 2>/dev/null) || return 1
  [ -f "$CACHE/kernel-$v/.done" ] && [ -s "$CACHE/vmlinux-$v" ] && [ -s "$CACHE/initramfs-$v.cpio.gz" ] &&
  dpkg-query -W -f='${Status}' "linux-headers-$v" 2>/dev/null | grep -q 'install ok installed'; }

accel() {
  case ${VM_ACCEL:-tcg} in
    kvm) echo kvm;;
    auto) if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]; then echo kvm; else echo tcg; fi;;
    *) echo tcg;;
  esac
}

info() {
  local v; v=$(kver)
  echo "kernel=$v"
  echo "headers=/usr/src/linux-headers-$v"
  echo "headers_installed=$(dpkg-query -W -f='${Status}' "linux-headers-$v" 2>/dev/null | grep -q 'install ok installed' && echo yes || echo no)"
  echo "modroot=$CACHE/kernel-$v"
  echo "modules=$CACHE/kernel-$v/lib/modules/$v"
  echo "vmlinux=$CACHE/vmlinux-$v"
  echo "initramfs=$CACHE/initramfs-$v.cpio.gz"
  echo "accel=$(accel)"
  echo "prepared=$(prepared && echo yes || echo no)"
}

# ---------------------------------------------------------------------------------------------- run
QPID=; WORK=; KEEP_OUT=; TAILPID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
    kill -TERM "$QPID" 2>/dev/null || true       # timeout(1) forwards it to qemu
    for _ in $(seq 50); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
  fi
  [ -n "$TAILPID" ] && kill "$TAILPID" 2>/dev/null || true
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit "$rc"
}

run() {
  local timeout=600 step_timeout=0 netns= mem=${VM_MEM:-2048} out=
  while [ $# -gt 0 ]; do
    case $1 in
      --timeout) timeout=$2; shift 2;;
      --step-timeout) step_timeout=$2; shift 2;;
      --netns) netns=$2; shift 2;;
      --out) out=$2; shift 2;;
      --mem) mem=$2; shift 2;;
      --) shift; break;;
      -*) die "unknown option $1";;
      *) break;;
    esac
  done
  [ $# -gt 0 ] || die "usage: vm.sh run [--timeout SEC] [--step-timeout SEC] [--netns NS] [--out DIR] STEP..."
  local steps=() s
  for s in "$@"; do
    s=$(readlink -f "$s") || die "no such step: $s"
    [ -f "$s" ] && [ -x "$s" ] || die "step is not an executable file: $s"
    steps+=("$s")
  done
  [ -z "$netns" ] || ip netns list | grep -qw "$netns" || die "no such network namespace: $netns"
  prepared || prepare
  local v; v=$(kver)

  trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
  WORK=$(mktemp -d /tmp/vsys-vm.XXXXXX)
  if [ -n "$out" ]; then mkdir -p "$out"; out=$(readlink -f "$out"); rm -f "$out"/step.* "$out"/vm.*; else out=$WORK/out; mkdir -p "$out"; fi
  chmod 755 "$out"
  printf '%s\n' "${steps[@]}" > "$out/vm.steps"
  { echo "VM_PROJECT=$PROJECT"; echo "VM_MODROOT=$CACHE/kernel-$v"; echo "VM_STEP_TIMEOUT=$step_timeout"; } > "$out/vm.env"
  local console=$WORK/console.log accelopt
  : > "$console"
  if [ "$(accel)" = kvm ]; then accelopt="-accel kvm -cpu host"; else accelopt="-accel tcg,thread=multi -cpu max"; fi
  local cmd=(qemu-system-x86_64 $accelopt -m "$mem" -smp "${VM_SMP:-1}" -nodefaults -no-user-config -display none -no-reboot
    -serial "file:$console" -monitor none -rtc base=utc
    -kernel "$CACHE/vmlinux-$v" -initrd "$CACHE/initramfs-$v.cpio.gz"
    -append "console=ttyS0 panic=-1 quiet mitigations=off vsys_init=$HERE/guest-init.sh"
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap
    -virtfs "local,path=$out,mount_tag=vmout,security_model=passthrough,multidevs=remap"
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=)
  [ -n "$netns" ] && cmd=(ip netns exec "$netns" "${cmd[@]}")
  [ "${VM_VERBOSE:-0}" = 1 ] && { tail -n +1 -f "$console" >&2 & TAILPID=$!; }
  local t0 qrc=0
  t0=$(now)
  log "booting $v ($(accel), ${#steps[@]} steps, timeout ${timeout}s${netns:+, netns $netns})"
  timeout -k 5 "$timeout" "${cmd[@]}" < /dev/null > "$WORK/qemu.out" 2>&1 &
  QPID=$!
  wait "$QPID" || qrc=$?
  QPID=
  local total; total=$(elapsed "$t0")

  # results
  local i=0 failed=0 passed=0 rc t
  local first; first=$(cat "$out/step.1.start" 2>/dev/null || true)
  for s in "${steps[@]}"; do
    i=$((i + 1))
    echo "----- vm step $i: $s"
    [ -f "$out/step.$i.log" ] && cat "$out/step.$i.log"
    if [ -f "$out/step.$i.rc" ]; then
      rc=$(cat "$out/step.$i.rc"); t=$(cat "$out/step.$i.time")
    else
      rc=none; t=$( [ -f "$out/step.$i.start" ] && awk -v a="$(cat "$out/step.$i.start")" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}' || echo 0)
    fi
    echo "vm: $s rc=$rc time=${t}s"
    if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  done
  local boot=unknown
  [ -n "$first" ] && boot=$(awk -v a="$t0" -v b="$first" 'BEGIN{printf "%.1f", b-a}')
  [ -f "$out/vm.boot" ] && log "guest: $(cat "$out/vm.boot")"
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    log "TIMEOUT: guest killed after ${timeout}s; console tail:"
    tail -n 40 "$console" | sed 's/^/  | /' >&2
    failed=$((failed + 1))
  elif [ "$qrc" != 0 ] || [ ! -f "$out/vm.done" ]; then
    log "qemu rc=$qrc, guest did not finish normally; console tail:"
    tail -n 40 "$console" | sed 's/^/  | /' >&2
    cat "$WORK/qemu.out" >&2
    failed=$((failed + 1))
  fi
  echo "vm: boot=${boot}s total=${total}s steps: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}

case ${1:-} in
  prepare) shift; prepare "$@";;
  info) info;;
  run) shift; run "$@";;
  *) echo "usage: $0 prepare | info | run [--timeout SEC] [--step-timeout SEC] [--netns NS] [--out DIR] [--mem MB] STEP..." >&2; exit 2;;
esac
