#!/bin/bash
# tests/pull/run.sh: the `pull` stage. vsys publish and vsys pull against real servers:
#   - nginx from Debian in a network namespace of this test's own (veth pair 10.202.18.1/.2),
#     its own config, stopped by its pid;
#   - SSH: tests/remote/remote.sh's remote (sshd in its own netns) with a key restricted by
#     command="vsys serve ROOT",restrict in its authorized_keys.
# The source store is a second vsys root ($W/src-root), the destination of most pulls a third
# ($W/dst-root); both run the installed vsys with -Dvsys.root. The last case pulls into /OS,
# stops the web server and removes the source store, then switches system it-pull-dst to the
# pulled commit and runs a program of it through the launcher.
# Prints "pull: N passed, M failed" last; exits non-zero on any failure. Cleans up on exit.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$TOP/tests/lib/common.sh"

is_root || { echo "pull: must run as root"; echo "pull: 0 passed, 1 failed"; exit 1; }
apt_ensure nginx-light busybox-static iproute2 openssh-server openssh-client

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
no() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }

LIBDIR=$VSYS_PREFIX/share/vsys/lib
LIBEXEC=$VSYS_PREFIX/lib/vsys
[ -d "$LIBDIR" ] || { echo "pull: vsys is not installed ($LIBDIR missing; run ./install.sh)"; echo "pull: 0 passed, 1 failed"; exit 1; }
W=$(mktemp -d /tmp/it-pull.XXXXXX)
chmod 0755 "$W"
SRC=$W/src-root DST=$W/dst-root WWW=$W/www
NS=vsys-itpull-web VH=vsitpullh VR=vsitpullr HIP=10.202.18.1 RIP=10.202.18.2
REMOTE=itpull
NGINX_PID=
SYS=it-pull-dst

# vsys against another root: the installed jars (copied at the start: another install meanwhile
# changes nothing here), that root's store (a script: also run by setsid and sh -c)
mkdir -p "$W/lib"; cp "${VSYS_TEST_LIBDIR:-$LIBDIR}"/*.jar "$W/lib/"; LIBDIR=$W/lib
cat >"$W/vsysr" <<EOF
#!/bin/sh
root=\$1; shift
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dvsys.root="\$root" -Dvsys.libexec="$LIBEXEC" \${VSYS_JOPTS:-} -cp "$LIBDIR/*" org.vsys.cli.Main "\$@"
EOF
chmod 0755 "$W/vsysr"
vsysr() { "$W/vsysr" "$@"; }
vsys() { "$W/vsysr" "$VSYS_R" "$@"; }   # the installed vsys of /OS, from the copied jars
vsrc() { vsysr "$SRC" "$@"; }
vdst() { vsysr "$DST" "$@"; }

cleanup() {
    set +e
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && sleep 0.2
    [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    ip link del "$VH" 2>/dev/null
    "$TOP/tests/remote/remote.sh" down "$REMOTE" >/dev/null 2>&1
    if [ -e "$VSYS_R/etc/systems/$SYS" ]; then
        vsys switch "$SYS" --live >/dev/null 2>&1
        vsys destroy --force "$SYS" >/dev/null 2>&1
    fi
    rm -f "$VSYS_R/.store/refs/$SYS"
    rm -rf --one-file-system "$W"
}
trap cleanup EXIT

# --- the source: a small runnable tree (busybox) with data, snapshotted in the source root ------
make_root() {   # make_root ROOT: an installation root with the layout vsys expects
    install -d -m 0755 "$1" "$1/bin" "$1/etc" "$1/etc/systems" "$1/etc/aliases"
}
record() {      # record ROOT NAME: a ready system record whose source is a local tree
    printf '%s\n' '# vsys system record; see vsys.conf(5)' version=1 "name=$2" state=ready created=2026-12-03T00:00:00Z \
        "fs=/ dir:$W/tree-$2 ro" setuid=no users= groups= cwd_fallback=no hostfiles=passwd,group >"$1/etc/systems/$2"
}
# snap ROOT NAME TREE: snapshot TREE as system NAME of ROOT (TREE bound on ROOT/NAME in a private
# mount namespace, as the system's mount would be); prints the commit id. The snapshot runs from a
# small script: shell functions do not cross unshare's exec.
snap() {
    install -d -m 0755 "$1/$2"
    unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$3" "$1/$2" "$W/vsysr" "$1" snapshot "$2" \
        >"$W/snap.out" 2>&1 || { cat "$W/snap.out" >&2; return 1; }
    vsysr "$1" snapshot --list "$2" | head -1 | cut -d' ' -f1
}

make_root "$SRC"; make_root "$DST"
T=$W/tree-src
mkdir -p "$T/bin" "$T/etc" "$T/data"
cp /bin/busybox "$T/bin/busybox"
for l in sh cat sha256sum find sort xargs; do ln -s busybox "$T/bin/$l"; done
echo "pulled system $(date +%s%N)" >"$T/data/marker"
: >"$T/etc/passwd"; : >"$T/etc/group"
# 1000 files of 1..40 KiB of random bytes in 20 directories (about 20 MB)
python3 - "$T/data" <<'EOF'
import os, random, sys
r = random.Random(18)
for d in range(20):
    os.makedirs(f"{sys.argv[1]}/d{d:02}", exist_ok=True)
    for f in range(50):
        with open(f"{sys.argv[1]}/d{d:02}/f{f:02}", "wb") as o:
            o.write(os.urandom(r.randint(1024, 40960)))
EOF
record "$SRC" src
C1=$(snap "$SRC" src "$T") && [ ${#C1} = 64 ] || { echo "pull: cannot snapshot the source tree"; echo "pull: 0 passed, 1 failed"; exit 1; }
TOTAL=$(du -sb --apparent-size "$T" | cut -f1)

# --- nginx in a network namespace ------------------------------------------------------------
ip netns add "$NS"
ip link add "$VH" type veth peer name "$VR"
ip link set "$VR" netns "$NS"
ip addr add "$HIP/30" dev "$VH"; ip link set "$VH" up
ip -n "$NS" addr add "$RIP/30" dev "$VR"; ip -n "$NS" link set "$VR" up; ip -n "$NS" link set lo up
mkdir -p "$WWW" "$W/nginx"
cat >"$W/nginx.conf" <<EOF
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx/error.log;
daemon off;
events { worker_connections 256; }
http {
    log_format bytes '\$uri \$status \$body_bytes_sent';
    access_log $W/nginx/access.log bytes;
    client_body_temp_path $W/nginx/body; proxy_temp_path $W/nginx/proxy; fastcgi_temp_path $W/nginx/fcgi;
    uwsgi_temp_path $W/nginx/uwsgi; scgi_temp_path $W/nginx/scgi;
    default_type application/octet-stream;
    sendfile on;
    gzip_types application/octet-stream;
    server { listen $RIP:80; root $WWW; location ~ \\.tree\$ { gzip on; } }
    server { listen $RIP:8080; root $WWW; limit_rate 1k; }
}
EOF
ip netns exec "$NS" nginx -c "$W/nginx.conf" -p "$W/nginx" &
NGINX_PID=$!
for _ in $(seq 50); do [ -s "$W/nginx.pid" ] && break; sleep 0.1; done
URL=http://$RIP
log_bytes() { awk '{ s += $3 } END { print s + 0 }' "$W/nginx/access.log"; }
log_reset() { : >"$W/nginx/access.log"; kill -USR1 "$(cat "$W/nginx.pid")" 2>/dev/null; sleep 0.2; : >"$W/nginx/access.log"; }

# --- publish, whole pull over HTTP ---------------------------------------------------------------
vsrc publish src "$WWW/pub" >"$W/out" 2>&1; rc=$?
check "publish: exit 0 ($(tail -1 "$W/out"))" test $rc = 0
check "publish lays out refs, commit and tree objects and 1000+ contents as static files" \
    test -s "$WWW/pub/refs/src" -a "$(find "$WWW/pub/content" -type f | wc -l)" -ge 1000 -a -n "$(find "$WWW/pub/objects" -name '*.tree')"
check "published files are 0644 and directories 0755 (no set-id bit, nothing private)" \
    test -z "$(find "$WWW/pub" \( -type f ! -perm 0644 \) -o \( -type d ! -perm 0755 \))"
store_state() { find "$1/.store" -type f ! -name .lock -printf '%P %s\n' | sort; }
objects_of() { find "$1/.store/objects" "$1/.store/content" -type f -printf '%P\n' | sort; }

log_reset
vdst pull dst "$URL/pub" src >"$W/out" 2>&1; rc=$?
check "whole pull over HTTP from nginx: exit 0 ($(tail -1 "$W/out"))" test $rc = 0
check "the pulled ref names the source's commit" test "$(cat "$DST/.store/refs/dst" 2>/dev/null)" = "$C1"
same_objects() {
    [ "$(find "$SRC/.store/objects" -name '*.tree' -o -name '*.file' -o -name '*.commit' | sed 's|.*/objects/||' | sort)" = \
        "$(find "$DST/.store/objects" -name '*.tree' -o -name '*.file' -o -name '*.commit' | sed 's|.*/objects/||' | sort)" ]
}
check "every object of the source is in the destination" same_objects
WHOLE=$(log_bytes)
check "whole pull fetched about the tree's bytes ($WHOLE fetched, $TOTAL in the tree)" \
    awk -v a="$WHOLE" -v b="$TOTAL" 'BEGIN { exit !(a >= b * 0.95 && a <= b * 1.1) }'
vdst fsck >"$W/out" 2>&1
check "fsck of the destination clean after the pull" test $? = 0

# --- a commit sharing 99% of its objects ---------------------------------------------------------
CHANGED=0
for f in "$T"/data/d0{0,1,2,3,4}/f0{0,1}; do head -c 20000 /dev/urandom >"$f"; CHANGED=$((CHANGED + 20000)); done
for f in "$T"/data/d1?/f1?; do chmod 0600 "$f"; done    # metadata only: 100 files
C2=$(snap "$SRC" src "$T")
vsrc publish src "$WWW/pub" >/dev/null
before=$(objects_of "$DST")
log_reset
vdst pull dst "$URL/pub" src >"$W/out" 2>&1; rc=$?
INCR=$(log_bytes)
CONTENT=$(awk '$1 ~ /^\/pub\/content\// { s += $3 } END { print s + 0 }' "$W/nginx/access.log")
META=$(comm -13 <(echo "$before") <(objects_of "$DST") | grep -E '\.(tree|commit)$' | sed "s|^|$DST/.store/objects/|" | xargs stat -c %s \
    | awk -v r="$(stat -c %s "$WWW/pub/refs/src")" '{ s += $1 } END { print s + r }')
check "1%-changed pull: exit 0 ($(tail -1 "$W/out"))" test $rc = 0
check "1%-changed pull fetched exactly the changed contents ($CONTENT bytes of content for $CHANGED changed)" test "$CONTENT" = "$CHANGED"
DELTA=$(awk '$1 ~ /^\/pub\/deltas\// { s += $3 } END { print s + 0 }' "$W/nginx/access.log")
WHOLETREES=$(awk '$1 ~ /\.tree$/ { n++ } END { print n + 0 }' "$W/nginx/access.log")
check "and besides them only the ref, the new commit and one tree delta ($DELTA bytes; $WHOLETREES trees fetched whole; the new trees whole: $META bytes)" \
    test "$INCR" -le $((CONTENT + META)) -a "$INCR" -gt "$CONTENT" -a "$DELTA" -gt 0 -a "$WHOLETREES" = 0
check "1%-changed pull: bytes fetched at most 1.1x the changed bytes ($INCR for $CHANGED: $(awk -v a="$INCR" -v b="$CHANGED" 'BEGIN { printf "%.3f", a / b }')x)" \
    awk -v a="$INCR" -v b="$CHANGED" 'BEGIN { exit !(a <= b * 1.1) }'
check "the pulled commit names the source's first commit as parent; snapshot --list shows it" \
    sh -c "grep -qx 'parent $C1' '$DST/.store/objects/${C2:0:2}/${C2:2}.commit' && '$W/vsysr' '$SRC' snapshot --list src | head -1 | grep -q ' parent ${C1:0:12}'"
check "metadata-only changes (100 files) fetched nothing: rebuilt from the content index" \
    grep -q " 100 rebuilt from local content" "$W/out"
check "the ref moved to the new commit" test "$(tail -1 "$DST/.store/refs/dst")" = "$C2"

# --- resume after kill -9 --------------------------------------------------------------------------
R3=$W/resume-root; make_root "$R3"
log_reset
VSYS_PAUSE_AT=pull.batch VSYS_PAUSE_SECONDS=60 VSYS_JOPTS="-Dvsys.pullBatchFiles=200" \
    setsid "$W/vsysr" "$R3" pull r "$URL/pub" "$C2" >"$W/resume.out" 2>&1 &
PPID_PULL=$!
for _ in $(seq 200); do grep -q "paused at pull.batch" "$W/resume.out" && break; sleep 0.1; done
check "the pull paused after its first batch" grep -q "paused at pull.batch" "$W/resume.out"
kill -9 -- -"$PPID_PULL" 2>/dev/null; wait "$PPID_PULL" 2>/dev/null
FIRST=$(log_bytes)
check "after kill -9: no ref, no commit object" sh -c "[ ! -e '$R3/.store/refs/r' ] && [ ! -e '$R3/.store/objects/${C2:0:2}/${C2:2}.commit' ]"
check "after kill -9: fsck clean" vsysr "$R3" fsck
log_reset
vsysr "$R3" pull r "$URL/pub" "$C2" >"$W/out" 2>&1; rc=$?
AGAIN=$(log_bytes)
check "the pull after the kill completes ($(tail -1 "$W/out"))" test $rc = 0
check "and fetches only what the killed one had not stored ($FIRST before the kill, $AGAIN after, $WHOLE whole)" \
    awk -v a="$AGAIN" -v w="$WHOLE" -v f="$FIRST" 'BEGIN { exit !(f > 0 && a < w && a > 0) }'
resumed_ok() { [ -z "$(comm -23 <(objects_of "$R3") <(objects_of "$SRC"))" ] && vsysr "$R3" fsck >/dev/null; }
check "resumed store: only objects of the source, and fsck (which checks that the commit is complete) clean" resumed_ok
vsysr "$R3" fsck >"$W/out" 2>&1; rc=$?
check "a commit pulled without its parent (depth 0): fsck clean and says so ($(cat "$W/out"))" \
    sh -c "[ $rc = 0 ] && grep -q '1 without their parent in the store' '$W/out' && [ ! -e '$R3/.store/objects/${C1:0:2}/${C1:2}.commit' ]"
vsysr "$R3" pull r "$URL/pub" "$C2" --depth 1 >"$W/out" 2>&1; rc=$?
check "pull --depth 1 of it fetches the parent too ($(tail -1 "$W/out"))" \
    sh -c "[ $rc = 0 ] && grep -q '1 ancestor pulled too' '$W/out' && [ \"\$(cat '$R3/.store/refs/r')\" = \"$C1
$C2\" ] && '$W/vsysr' '$R3' fsck >'$W/fsck.out' && ! grep -q 'without their parent' '$W/fsck.out'"

# --- bad sources: each refused with one line, the store as it was -----------------------------
# a small system 'bad' in the source root, published afresh for each case into www/bad-N
B=$W/tree-bad; mkdir -p "$B/d"; echo one >"$B/one"; head -c 5000 /dev/urandom >"$B/d/big"; echo two >"$B/d/two"
record "$SRC" bad
CB=$(snap "$SRC" bad "$B")
n=0
content_path() {  # content_path PUBDIR RELPATH-IN-TREE: the published content file of that file
    local tree
    tree=$(sed -n 's/^root //p' "$1/objects/${CB:0:2}/${CB:2}.commit")
    local part rest=$2 line
    while :; do
        part=${rest%%/*}
        line=$(awk -v n="$part" '$9 == n' "$1/objects/${tree:0:2}/${tree:2}.tree")
        if [ "$part" = "$rest" ]; then break; fi
        tree=$(echo "$line" | cut -d' ' -f7); rest=${rest#*/}
    done
    local ch; ch=$(echo "$line" | cut -d' ' -f7 | cut -d: -f2)
    echo "$1/content/${ch:0:2}/${ch:2}"
}
# craft PUBDIR LINE: a commit (valid hashes) whose root tree has the one entry LINE, as refs/bad
craft() {
    local t="$W/crafted.tree" c="$W/crafted.commit" tid cid
    printf 'vsys-tree 1\n%s\n' "$2" >"$t"; tid=$(sha256sum <"$t" | cut -c1-64)
    mkdir -p "$1/objects/${tid:0:2}"; cp "$t" "$1/objects/${tid:0:2}/${tid:2}.tree"
    sed "s/^root .*/root $tid/" "$1/objects/${CB:0:2}/${CB:2}.commit" >"$c"; cid=$(sha256sum <"$c" | cut -c1-64)
    mkdir -p "$1/objects/${cid:0:2}"; cp "$c" "$1/objects/${cid:0:2}/${cid:2}.commit"
    echo "$cid" >"$1/refs/bad"
}
bad_case() {   # bad_case WHAT EXIT PATTERN [pull options]: damage done by the caller in $P; into ${BAD_ROOT:-$DST}, commit ${BAD_WHAT:-bad}
    local what=$1 want=$2 pat=$3; shift 3
    local before after rc lines root=${BAD_ROOT:-$DST}
    before=$(store_state "$root")
    local t0; t0=$(now)
    vsysr "$root" pull dst "$URL${PORT:-}/bad-$n" "${BAD_WHAT:-bad}" "$@" >"$W/out" 2>"$W/err"; rc=$?
    after=$(store_state "$root")
    lines=$(wc -l <"$W/err")
    if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q "^vsys: pull: .*$pat" "$W/err" && [ "$before" = "$after" ] \
            && vsysr "$root" fsck >/dev/null 2>&1; then
        ok "bad source: $what: exit $rc in $(elapsed "$t0") s, store as it was: $(cat "$W/err")"
    else
        no "bad source: $what: exit $rc (want $want), $lines lines: $(head -c 300 "$W/err"); store $( [ "$before" = "$after" ] && echo unchanged || echo CHANGED)"
    fi
}
new_bad() { n=$((n + 1)); P=$WWW/bad-$n; vsrc publish bad "$P" >/dev/null; }

new_bad; f=$(content_path "$P" d/big); head -c 5000 /dev/zero >"$f"
bad_case "wrong hash" 7 "content does not match its hash"
new_bad; f=$(content_path "$P" d/big); head -c 100 /dev/urandom >"$f"
bad_case "truncated object" 7 "truncated: 100 of the 5000 bytes"
new_bad; f=$(content_path "$P" d/big); head -c 50000000 /dev/zero >"$f"
bad_case "huge object (50 MB where the tree says 5000 bytes)" 7 "larger than the 5000 bytes"
new_bad; rm -f "$(content_path "$P" d/two)"
bad_case "a tree naming a missing object" 7 "a tree names a missing object"
new_bad; ch=$(printf 'x\n' | sha256sum | cut -c1-64)
craft "$P" "d 755 0 0 1.000000000 0 ../../../../etc - sub"
bad_case "an object id that is a path (../)" 7 "names no tree id"
new_bad; craft "$P" "f 644 0 0 1.000000000 2 $(printf %064d 0):$ch - ..%2f..%2fetc%2fshadow"
bad_case "an entry name with /" 7 "contains '/'"
new_bad; craft "$P" "f 644 0 0 1.000000000 2 $(printf %064d 0):$ch - .."
bad_case "an entry named .." 7 "is not a file name"
new_bad; echo "../../../etc/passwd" >"$P/refs/bad"
bad_case "a ref that is not a list of ids" 7 "not a list of commit ids"
# a damaged tree delta: a store holding C1 pulls C2 from a copy of pub whose delta is changed
R6=$W/delta-root; make_root "$R6"
vsysr "$R6" pull dst "$URL/pub" "$C1" >"$W/out" 2>&1 || no "pull of $C1 into $R6: $(tail -1 "$W/out")"
delta_case() {  # delta_case WHAT PATTERN SED-SCRIPT|-: the published delta edited by sed (-: replaced by a crafted one)
    n=$((n + 1)); P=$WWW/bad-$n; cp -al "$WWW/pub" "$P"
    local d=$P/deltas/${C1:0:2}/${C1:2}-$C2
    rm -f "$d"
    if [ "$3" = - ]; then printf 'vsys-delta 1\nfrom %s\nto %s\ntree ../../etc -\n' "$C1" "$C2" | gzip >"$d"
    else gzip -dc "$WWW/pub/deltas/${C1:0:2}/${C1:2}-$C2" | sed "$3" | gzip >"$d"; fi
    BAD_ROOT=$R6 BAD_WHAT=$C2 bad_case "$1" 7 "$2"
}
delta_case "a tree delta whose trees do not hash to their ids" "does not rebuild to its id" '0,/^+ f 600 /s//+ f 4755 /'
delta_case "a tree delta naming a path for a tree id" "not an id" -
# an undamaged source behind nginx's limit_rate 1k: the 5000-byte file is cut off after the timeout
new_bad
PORT=:8080 bad_case "slow source (1 KiB/s, --timeout 2)" 8 "source too slow" --timeout 2

# --- SSH: vsys serve as the forced command of a key -------------------------------------------
if "$TOP/tests/remote/remote.sh" up "$REMOTE" >"$W/remote.out" 2>&1; then
    RD=/run/vsys-remote/$REMOTE
    ssh-keygen -q -t ed25519 -N '' -C it-pull-serve -f "$W/serve_key"
    echo "command=\"$W/vsysr $SRC serve\",restrict $(cat "$W/serve_key.pub")" >>"$RD/authorized_keys"
    RIPS=$(cat "$RD/ip")
    R4=$W/ssh-root; make_root "$R4"
    vsysr "$R4" pull s "ssh://root@$RIPS/ignored" "$C1" --identity "$W/serve_key" --known-hosts "$RD/known_hosts" >"$W/out" 2>&1; rc=$?
    check "pull over SSH through 'vsys serve' as the key's forced command ($(tail -1 "$W/out"))" test $rc = 0
    vsysr "$R4" pull s "ssh://root@$RIPS/ignored" src --identity "$W/serve_key" --known-hosts "$RD/known_hosts" >"$W/out" 2>&1; rc=$?
    check "pull of the next commit over SSH: its trees from a delta that vsys serve makes from the store ($(tail -1 "$W/out"))" \
        sh -c "[ $rc = 0 ] && grep -q 'rebuilt from a tree delta' '$W/out'"
    check "pull over SSH: the source's newest commit, fsck clean" \
        sh -c "[ \"\$(tail -1 '$R4/.store/refs/s')\" = '$C2' ] && '$W/vsysr' '$R4' fsck >/dev/null"
    out=$(printf 'get ../../../etc/shadow 100000\n' | ssh -T -i "$W/serve_key" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o UserKnownHostsFile="$RD/known_hosts" "root@$RIPS" 'cat /etc/shadow' 2>/dev/null)
    check "the restricted key reads no file outside the store and runs no other command ('$out')" \
        test "$out" = "error not a request for a store file"
    "$TOP/tests/remote/remote.sh" down "$REMOTE" >/dev/null 2>&1
else
    if [ "${CI:-}" = true ]; then no "remote host for the SSH pull: $(tail -3 "$W/remote.out")"; else echo "skip SSH pull (no remote: $(tail -1 "$W/remote.out"))"; fi
fi

# --- into /OS, then the sources down, then switch and run ----------------------------------------
vsys pull --help >/dev/null 2>&1 || no "the installed vsys has no pull (another tree's build installed? run ./install.sh)"
mkdir -p "$W/live-root/bin"; cp /bin/busybox "$W/live-root/bin/"
vsys destroy --force "$SYS" >/dev/null 2>&1; rm -f "$VSYS_R/.store/refs/$SYS"
vsys create "$SYS" "dir:$W/live-root" >"$W/out" 2>&1; rc=$?
check "create $SYS (a local tree, for the pulled commit to replace)" test $rc = 0
vsys pull "$SYS" "$URL/pub" src >"$W/out" 2>&1; rc=$?
check "pull into /OS over HTTP ($(tail -1 "$W/out"))" test $rc = 0
kill "$(cat "$W/nginx.pid")" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=
ip netns del "$NS" 2>/dev/null
rm -rf --one-file-system "$SRC" "$WWW"
check "the SSH remote host is down" sh -c "! '$TOP/tests/remote/remote.sh' status '$REMOTE' >/dev/null 2>&1"
check "the web server is down, its namespace and the source store gone" \
    sh -c "! kill -0 $(cat "$W/nginx.pid" 2>/dev/null || echo 999999) 2>/dev/null && ! ip netns list | grep -q '^$NS\b' && [ ! -e '$SRC' ]"
vsys switch "$SYS" "${C2:0:12}" >"$W/out" 2>&1; rc=$?
check "switch $SYS to the pulled commit with the sources down ($(tail -1 "$W/out"))" test $rc = 0
got=$(cd / && "$VSYS_R/bin/$SYS" /bin/cat /data/marker 2>&1)
check "the switched system runs the pulled tree ('$got')" test "$got" = "$(cat "$T/data/marker")"
sum_in=$(cd / && "$VSYS_R/bin/$SYS" /bin/sh -c 'cd /data && find . -type f | sort | xargs sha256sum' 2>/dev/null | sha256sum)
sum_src=$(cd "$T/data" && find . -type f | sort | xargs sha256sum | sha256sum)
check "every file of the running pulled system has the source's content" test "$sum_in" = "$sum_src"
vsys switch "$SYS" --live >/dev/null 2>&1
vsys destroy --force "$SYS" >/dev/null 2>&1

echo "pull: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
