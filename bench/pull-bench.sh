#!/bin/bash
# bench/pull-bench.sh: the pull figures of issue 18. Not part of the test suite.
#
#   [ROUNDS=N] [TREE=/path] bench/pull-bench.sh [--out FILE]
#
# As root. Starts the SSH remote of tests/remote/remote.sh (sshd in netns vsys-$REMOTE; it sees
# this machine's filesystem) and, in that same network namespace, nginx from Debian with a config
# of its own serving two published stores of the same tree: the vsys one (`vsys publish`) and an
# OSTree archive repository (`ostree commit` of the tree). So all three peers cross the same veth:
#   vsys pull http      whole commit into an empty store (the command, JVM start included)
#   vsys pull ssh       the same through `vsys serve` (a key with command=)
#   rsync -aH over ssh  the tree into an empty directory
#   ostree pull         into an empty bare repository (archive -> bare, like vsys's store)
# in ROUNDS (default 5) interleaved rounds (the order reversed every other round); each figure is
# the median over rounds of its ratio to the peer of the same round. Every round pulls into new
# directories and nothing is deleted until the end: on this ext4 without a journal, creating
# files just after thousands were deleted is several times slower (the inode allocator skips
# inodes freed in the last 60-300 s, one buffer lookup each), which made whichever tool ran first
# after the previous round's rm slow. The JVM of both ends runs with a class-data archive trained
# as install.sh trains the installed one. Also printed: the CPU seconds (user+sys, the command
# and its children on this side, ssh included) of each tool, which the load of others moves less. Then once: a commit with 1% of the files (by count) given new
# content, pulled into the store holding the first commit; bytes the web server sent (its access
# log) against the bytes of the changed files, with rsync's and ostree's bytes for the same update.
# TREE: default the remote's debootstrapped tree (gcc included). Markdown to stdout (or --out FILE).
set -euo pipefail
umask 022
PROG=bench/pull-bench.sh
. "$(dirname "$0")/lib.sh"
REMOTE=${REMOTE:-bpull}
ROUNDS=${ROUNDS:-5}
TREE=${TREE:-/var/cache/vsys/rootfs-bookworm-gcc}
OUT=
while [ $# -gt 0 ]; do
    case $1 in
        --out) OUT=$2; shift 2 ;;
        -h|--help) bench_usage 25; exit 0 ;;
        *) bench_bad_option "$1" ;;
    esac
done
need_root
apt_ensure nginx-light ostree rsync openssh-server openssh-client

LIBDIR=${VSYS_TEST_LIBDIR:-$VSYS_PREFIX/share/vsys/lib}
LIBEXEC=$VSYS_PREFIX/lib/vsys
W=$(mktemp -d /var/tmp/vsys-pullbench.XXXXXX)
chmod 0755 "$W"
mkdir -p "$W/lib"; cp "$LIBDIR"/*.jar "$W/lib/"
JFLAGS="-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1"
cat >"$W/vsysr" <<EOF
#!/bin/sh
root=\$1; shift
exec java $JFLAGS -Xshare:auto -XX:SharedArchiveFile=$W/vsys.jsa -Dvsys.root="\$root" -Dvsys.libexec="$LIBEXEC" -cp "$W/lib/*" org.vsys.cli.Main "\$@"
EOF
chmod 0755 "$W/vsysr"
NGINX_PID=
cleanup() {
    set +e
    [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null
    "$TOP/tests/remote/remote.sh" down "$REMOTE" >/dev/null 2>&1
    rm -rf --one-file-system "$W"
}
bench_cleanup_on_exit cleanup
secs() { local t0; t0=$(date +%s.%N); "$@" >/dev/null 2>"$W/last.err" || { cat "$W/last.err" >&2; return 1; }; awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
# timed CMD...: CMD's wall seconds in T, its CPU seconds (user+sys, children included) in CPU
timed() {
    local t0; t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$W/cpu" "$@" >"$W/last.out" 2>"$W/last.err" || { cat "$W/last.err" >&2; return 1; }
    T=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    CPU=$(awk 'END { printf "%.2f", $1 + $2 }' "$W/cpu")
}

# --- the source: a vsys root whose store has TREE as commit 1 ------------------------------------
make_root() { install -d -m 0755 "$1" "$1/bin" "$1/etc" "$1/etc/systems" "$1/etc/aliases"; }
SRC=$W/src-root; make_root "$SRC"
cp -a "$TREE" "$W/tree" 2>/dev/null || cp -a "$TREE/." "$W/tree"
printf '%s\n' '# vsys system record' version=1 name=src state=ready created=2026-12-03T00:00:00Z "fs=/ dir:$W/tree ro" \
    setuid=no users= groups= cwd_fallback=no hostfiles=passwd >"$SRC/etc/systems/src"
snap() {
    install -d -m 0755 "$SRC/src"
    unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$W/tree" "$SRC/src" \
        "$W/vsysr" "$SRC" snapshot src >/dev/null
    "$W/vsysr" "$SRC" snapshot --list src | head -1 | cut -d' ' -f1
}
say "snapshot of $TREE into the source store"
C1=$(snap)
# the class-data archive, trained as install.sh trains the installed one (among the runs: a pull
# from a local store, an HTTP pull that finds no server, serve)
make_root "$W/cds-root"
JAVA_FLAGS=$JFLAGS "$TOP/bench/mkcds.sh" "$W/vsys.jsa" "$W/lib/*" org.vsys.cli.Main --help "-Dvsys.root=$SRC list" \
    "-Dvsys.root=$W/cds-root pull src $SRC" "-Dvsys.root=$W/cds-root pull x http://127.0.0.1:9/" "-Dvsys.root=$SRC serve" >/dev/null
rm -rf "$W/cds-root"
FILES=$(find "$W/tree" -type f | wc -l)
BYTES=$(find "$W/tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
WWW=$W/www; mkdir -p "$WWW"
"$W/vsysr" "$SRC" publish src "$WWW/vsys" >/dev/null
say "ostree commit of the tree into an archive repository"
ostree init --repo="$WWW/ostree" --mode=archive
# ostree refuses device files: commit from a private mount namespace with an empty tmpfs over /dev
ost_commit() {
    unshare -m --propagation private sh -c 'mount -t tmpfs none "$1/dev" && exec ostree commit --repo="$2" --branch=b --tree=dir="$1" --no-xattrs >/dev/null' \
        sh "$W/tree" "$WWW/ostree"
}
ost_commit

# --- the remote: sshd and nginx in one netns ------------------------------------------------------
"$TOP/tests/remote/remote.sh" up "$REMOTE" >/dev/null
RD=/run/vsys-remote/$REMOTE
RIP=$(cat "$RD/ip")
ssh-keygen -q -t ed25519 -N '' -C pull-bench-serve -f "$W/serve_key"
echo "command=\"$W/vsysr $SRC serve\",restrict $(cat "$W/serve_key.pub")" >>"$RD/authorized_keys"
mkdir -p "$W/nginx"
cat >"$W/nginx.conf" <<EOF
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 512; }
http {
    log_format bytes '\$uri \$status \$body_bytes_sent';
    access_log $W/nginx/access.log bytes;
    client_body_temp_path $W/nginx/body; proxy_temp_path $W/nginx/proxy; fastcgi_temp_path $W/nginx/fcgi;
    uwsgi_temp_path $W/nginx/uwsgi; scgi_temp_path $W/nginx/scgi;
    default_type application/octet-stream;
    sendfile on; tcp_nopush on; keepalive_requests 100000;
    gzip_types application/octet-stream;
    server { listen $RIP:80; root $WWW; location ~ \\.tree\$ { gzip on; } }
}
EOF
ip netns exec "vsys-$REMOTE" nginx -c "$W/nginx.conf" -p "$W/nginx"
for _ in $(seq 50); do [ -s "$W/nginx.pid" ] && break; sleep 0.1; done
log_bytes() { awk -v p="$1" 'index($1, p) == 1 { s += $3 } END { print s + 0 }' "$W/nginx/access.log"; }
log_reset() { : >"$W/nginx/access.log"; }
SSHOPT=(-F "$RD/ssh_config")

# --- whole pulls, interleaved rounds -----------------------------------------------------------
load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -a T_HTTP T_SSH T_RSYNC T_OST C_HTTP C_SSH C_RSYNC C_OST
run_rsync() { timed rsync -aH --numeric-ids -e "ssh ${SSHOPT[*]}" "root@$RIP:$W/tree/" "$W/d-rsync-$r/"; T_RSYNC[r]=$T C_RSYNC[r]=$CPU; }
run_http() { timed "$W/vsysr" "$W/d-http-$r" pull d "http://$RIP/vsys" src; T_HTTP[r]=$T C_HTTP[r]=$CPU; }
run_ssh() {
    timed "$W/vsysr" "$W/d-ssh-$r" pull d "ssh://root@$RIP" src --identity "$W/serve_key" --known-hosts "$RD/known_hosts"
    T_SSH[r]=$T C_SSH[r]=$CPU
}
run_ost() {
    ostree init --repo="$W/d-ost-$r" --mode=bare
    ostree remote add --repo="$W/d-ost-$r" --no-gpg-verify r "http://$RIP/ostree"
    sync
    timed ostree pull --repo="$W/d-ost-$r" r b; T_OST[r]=$T C_OST[r]=$CPU
}
for r in $(seq "$ROUNDS"); do
    say "round $r of $ROUNDS"
    make_root "$W/d-http-$r"; make_root "$W/d-ssh-$r"
    order="rsync http ost ssh"
    [ $((r % 2)) = 0 ] && order="ssh ost http rsync"
    for tool in $order; do sync; "run_$tool"; done
    say "  rsync ${T_RSYNC[r]} s (${C_RSYNC[r]} s CPU), vsys http ${T_HTTP[r]} s (${C_HTTP[r]}), ostree ${T_OST[r]} s (${C_OST[r]}), vsys ssh ${T_SSH[r]} s (${C_SSH[r]}); load $(cut -d' ' -f1 /proc/loadavg)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratios() {  # ratios A-array-name B-array-name: the per-round ratios
    local -n a=$1 b=$2; local r
    for r in $(seq "$ROUNDS"); do awk -v x="${a[r]}" -v y="${b[r]}" 'BEGIN { printf "%.2f\n", x / y }'; done
}

# --- 1%-changed commit ---------------------------------------------------------------------------
say "1%-changed commit"
mapfile -t ALL < <(find "$W/tree" -type f -size +0 ! -path '*/dev/*' | sort)
N1=$(( (${#ALL[@]} + 99) / 100 ))
CHANGED=0
for i in $(seq 0 $((N1 - 1))); do
    f=${ALL[$(( i * 100 ))]}
    sz=$(stat -c %s "$f")
    head -c "$sz" /dev/urandom >"$f"   # new content, same size
    CHANGED=$((CHANGED + sz))
done
touch "$W/c1.stamp"; sleep 1
C2=$(snap)
"$W/vsysr" "$SRC" publish src "$WWW/vsys" >/dev/null
ost_commit
log_reset
T_INC=$(secs "$W/vsysr" "$W/d-http-1" pull d "http://$RIP/vsys" src)
INC_VSYS=$(log_bytes /vsys/)
INC_CONTENT=$(log_bytes /vsys/content/)
INC_DELTA=$(log_bytes /vsys/deltas/)
INC_TREES=$(awk 'index($1, "/vsys/") == 1 && $1 ~ /\.tree$/ { s += $3 } END { print s + 0 }' "$W/nginx/access.log")
# what the new trees would have cost whole (gzipped, as nginx sends a .tree): the trees of C2 not in the store before
WHOLE_TREES=$(find "$WWW/vsys/objects" -name '*.tree' -newer "$W/c1.stamp" -exec cat {} + | gzip -6 | wc -c)
log_reset
T_OINC=$(secs ostree pull --repo="$W/d-ost-1" r b)
INC_OST=$(log_bytes /ostree/)
RS=$(rsync -aH --numeric-ids --stats -e "ssh ${SSHOPT[*]}" "root@$RIP:$W/tree/" "$W/d-rsync-1/" | awk '/^Total bytes received/ { gsub(",", "", $4); print $4 }')

load1=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.3f", x / y }'; }
{
    echo "### Pull ($(date -u +%Y-%m-%dT%H:%MZ), $ROUNDS rounds, $FILES files, $((BYTES / 1000000)) MB: $TREE; load average $load0 at the start, $load1 at the end, $(nproc) CPUs)"
    echo
    echo "| figure | vsys | peer | ratio (median of rounds) | rounds | target |"
    echo "|---|---|---|---|---|---|"
    echo "| whole pull over HTTP vs rsync -aH over ssh | $(median "${T_HTTP[@]:1}") s | $(median "${T_RSYNC[@]:1}") s | $(median $(ratios T_HTTP T_RSYNC))x | $(ratios T_HTTP T_RSYNC | tr '\n' ' ') | <= 1.0x |"
    echo "| whole pull over HTTP vs ostree pull (same nginx) | $(median "${T_HTTP[@]:1}") s | $(median "${T_OST[@]:1}") s | $(median $(ratios T_HTTP T_OST))x | $(ratios T_HTTP T_OST | tr '\n' ' ') | <= 1.0x |"
    echo "| whole pull over ssh (vsys serve) vs rsync -aH over ssh | $(median "${T_SSH[@]:1}") s | $(median "${T_RSYNC[@]:1}") s | $(median $(ratios T_SSH T_RSYNC))x | $(ratios T_SSH T_RSYNC | tr '\n' ' ') | <= 1.0x |"
    echo "| CPU seconds on this side: vsys http / rsync (ssh included) | $(median "${C_HTTP[@]:1}") s | $(median "${C_RSYNC[@]:1}") s | $(median $(ratios C_HTTP C_RSYNC))x | $(ratios C_HTTP C_RSYNC | tr '\n' ' ') | - |"
    echo "| CPU seconds on this side: vsys ssh (ssh included) / rsync | $(median "${C_SSH[@]:1}") s | $(median "${C_RSYNC[@]:1}") s | $(median $(ratios C_SSH C_RSYNC))x | $(ratios C_SSH C_RSYNC | tr '\n' ' ') | - |"
    echo "| CPU seconds on this side: vsys http / ostree pull | $(median "${C_HTTP[@]:1}") s | $(median "${C_OST[@]:1}") s | $(median $(ratios C_HTTP C_OST))x | $(ratios C_HTTP C_OST | tr '\n' ' ') | - |"
    echo "| 1%-changed pull ($N1 files): bytes fetched vs changed bytes | $INC_VSYS B ($INC_CONTENT of content, $INC_DELTA of tree delta, $INC_TREES of whole trees; the new trees whole, gzipped: $WHOLE_TREES) | $CHANGED B | $(ratio "$INC_VSYS" "$CHANGED")x | 1 | <= 1.1x |"
    echo "| same update: ostree pull bytes / rsync bytes received | $INC_OST B / $RS B | $CHANGED B | $(ratio "$INC_OST" "$CHANGED")x / $(ratio "$RS" "$CHANGED")x | 1 | - |"
    echo "| same update: vsys pull time / ostree pull time | $T_INC s | $T_OINC s | $(ratio "$T_INC" "$T_OINC")x | 1 | - |"
    echo
} >"$W/report.md"
if [ -n "$OUT" ]; then cat "$W/report.md" >>"$OUT"; fi
cat "$W/report.md"
