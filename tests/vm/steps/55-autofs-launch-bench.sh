#!/bin/bash
# Benchmark (VM_SUITE_BENCH=1 tests/vm/run-suite.sh [tests/vm/steps/51-autofs-bench.sh] tests/vm/steps/55-autofs-launch-bench.sh):
# the first launch of an on-demand NFS system through its trigger (issue 15: at most the NFS mount time + 10%).
# Paired rounds, each measure after `echo 3 > drop_caches` (so each starts with the same cold caches):
#   P  the peer: `mount -t nfs` of the same export with the options of the entry (ro,nosuid,nodev,vers=4.1,proto=tcp)
#   F  a first launch of the unmounted system (`R/bin/NAME cat /etc/debian_version` as the test user)
#   M  a launch of the same system, already mounted (its dentries dropped with the caches), after an idle pause
#      as long as the others' wait for the expiry (a process with its cwd there holds the mount meanwhile)
# What a first launch adds is F - M; the target reads (F - M) <= 1.10 P. Times from the kernel's trace clock
# (tracefs): the launcher's life (exec to exit) and mount(8)'s (exec to exit); the wall times (date, with runuser)
# too. Every first launch is taken apart in the trace: the kernel's request to the daemon (kprobe autofs_wait), the
# program map (exec to exit), mount(8), mount.nfs, its mount(2), the daemon's ready (autofs_wait_release), the
# trigger child's lookups (to its sendmsg), the root part's copies (to unshare), the chroot, the exec of cat.
. "$(dirname "$0")/lib.sh"
R=/OS
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
TMO=3; ROUNDS=${AUTOFS_LAUNCH_ROUNDS:-7}
D=/run/lb-decl; MASTER=/run/lb-auto.master; ALOG=/run/lb-automount.log; APID=
T=/sys/kernel/tracing; TR=/run/lb-trace; OPTS=ro,nosuid,nodev,vers=4.1,proto=tcp
cleanup() {
  [ -w "$T/tracing_on" ] && { echo 0 > "$T/tracing_on"; echo 0 > "$T/events/enable"; echo > "$T/kprobe_events"; } 2>/dev/null
  if [ -n "$APID" ]; then kill -TERM "$APID" 2>/dev/null; for i in $(seq 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.2; done; fi
  umount "$LIBEXEC/vsys-automap" 2>/dev/null; umount /run/lb-plain 2>/dev/null; umount -l "$R/.auto/lbnfs" 2>/dev/null; umount -l "$R/.auto" 2>/dev/null
  rm -rf "$D" "$R/etc/automap" "$R/etc/auto.vsys" "$R/bin/lbnfs" /run/lb-plain
}
trap cleanup EXIT
command -v automount >/dev/null || { nok "automount (Debian's autofs) is not installed"; finish; exit; }
if [ -x native/build/vsys-launcher ] && ! cmp -s native/build/vsys-launcher "$R/bin/bin"; then
  install -m 4755 native/build/vsys-launcher "$R/bin/bin" && echo "# $R/bin/bin is this tree's build"
fi
mkdir -p "$D" /run/lb-plain
printf '%s\n' 'source=nfs://fileserver/' 'nfs.version=4.1' 'mode=on-demand' > "$D/lbnfs.conf"
VS_TIMEOUT=300 expect_vs "vsys apply of an on-demand NFS declaration" 0 apply --dir "$D"
check "  its entry has the peer's options ($OPTS)" grep -q "^-fstype=nfs,$OPTS fileserver:/\$" "$R/etc/automap/lbnfs"
automount_up "$TMO" /run/lb-automount.pid
check "automount serves $R/.auto" test "$(autofs_triggers)" = 1 || { tail -n 20 "$ALOG"; finish; exit; }
ANOFILE=$(awk '/^Max open files/ {print $4 ":" $5}' "/proc/$APID/limits")
echo "# automount's open-file limit (soft:hard): $ANOFILE; this shell's: $(ulimit -Sn):$(ulimit -Hn)"
launch() { (cd "$UHOME" && runuser -u "$U" -- "$R/bin/$1" "${@:2}"); }
mounted() { awk -v m="$1" '$2 == m {n++} END {print n+0}' /proc/mounts; }
unmounted() {   # until autofs expired lbnfs (and its daemon is done with the directory), at most 30 s
  local i; for i in $(seq 150); do [ "$(mounted "$R/.auto/lbnfs")" = 0 ] && { sleep 1; return 0; }; sleep 0.2; done; return 1; }

# the trace: kernel events only, no function tracer
mountpoint -q "$T" || mount -t tracefs nodev "$T" 2>/dev/null
if [ -w "$T/kprobe_events" ]; then
  echo 0 > "$T/tracing_on"; echo 0 > "$T/events/enable"; echo > "$T/trace"; echo 4096 > "$T/buffer_size_kb"
  echo > "$T/kprobe_events"
  { echo 'p:vsys/aw autofs_wait'; echo 'r:vsys/awr autofs_wait'; echo 'p:vsys/rel autofs_wait_release'; } >> "$T/kprobe_events" 2>/dev/null \
    || echo "# kprobes on autofs_wait/autofs_wait_release not available: the breakdown has no daemon request/ready times"
  # the launcher's own opens and stats, with their names (for the timeline of one first launch)
  { echo 'p:vsys/op do_sys_openat2 name=+0(%si):ustring'; echo 'p:vsys/st vfs_fstatat name=+0(%si):ustring'; } >> "$T/kprobe_events" 2>/dev/null
  [ -d "$T/events/vsys" ] && echo 1 > "$T/events/vsys/enable"
  for ev in op st; do [ -d "$T/events/vsys/$ev" ] && echo 'comm == "lbnfs"' > "$T/events/vsys/$ev/filter"; done
  echo 1 > "$T/events/sched/sched_process_fork/enable" 2>/dev/null
  for ev in sched/sched_process_exec sched/sched_process_exit syscalls/sys_enter_mount syscalls/sys_exit_mount \
            syscalls/sys_enter_sendmsg syscalls/sys_enter_unshare syscalls/sys_enter_chroot syscalls/sys_enter_open_tree; do
    echo 1 > "$T/events/$ev/enable" || echo "# no event $ev"
  done
  echo 1 > "$T/tracing_on"; TRACE=1
else
  echo "# no tracefs with kprobes: wall times only"; TRACE=0
fi
# automount answers a key from its cache, without running the map, while the entry is younger than the negative
# timeout (5 s): each first launch below waits until the last map run is older than that
LASTMAP=0
fresh_key() { local n; n=$(( LASTMAP + 6 - $(date +%s) )); [ "$n" -gt 0 ] && sleep "$n"; return 0; }
# the peer of the program map: the sh version it replaced (OS/lib/vsys-automap before 2026-12-04), bound over it
LIBEXEC=$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$(command -v vsys)" | head -n 1)
cat > /run/lb-automap.sh <<'SH'
#!/bin/sh
R=/OS
umask 077
case $1 in
  ''|.*|*[!A-Za-z0-9._-]*) exit 1;;
esac
[ ${#1} -le 64 ] || exit 1
f=$R/etc/automap/$1
[ -f "$f" ] && [ ! -L "$f" ] || exit 1
out=; restricted=no
while IFS= read -r l; do
  case $l in
    '# access=restricted') restricted=yes;;
    '#'*) ;;
    *) out="$out$l
";;
  esac
done < "$f"
case ${VSYS_AUTOMAP:-}:$restricted in restricted:yes|:no) ;; *) exit 1;; esac
printf '%s' "$out"
SH
chmod 755 /run/lb-automap.sh
check "the program map is this tree's (C, static)" cmp -s native/build/vsys-automap "$LIBEXEC/vsys-automap"
check "  and the sh one prints the same entry" sh -c "[ \"\$(/run/lb-automap.sh lbnfs)\" = \"\$('$LIBEXEC/vsys-automap' lbnfs)\" ]"
mark() { [ "$TRACE" = 1 ] && echo "lb $*" > "$T/trace_marker"; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }

want=$(cat /var/cache/vsys/rootfs-bookworm-gcc/etc/debian_version)
launch lbnfs cat /etc/debian_version > /dev/null 2>&1   # the boot's first NFS mount and launch, not measured
: > /run/lb-wall
for r in $(seq "$ROUNDS"); do
  unmounted || { nok "round $r: lbnfs did not expire"; break; }
  cold; mark "begin P $r"; t=$(ts)
  mount -t nfs -o "$OPTS" fileserver:/ /run/lb-plain; p=$(el "$t"); mark "end P $r"
  umount /run/lb-plain
  # the same with automount's open-file limit, which its mount(8) and mount.nfs inherit (Z)
  cold; mark "begin Z $r"; prlimit --nofile="$ANOFILE" mount -t nfs -o "$OPTS" fileserver:/ /run/lb-plain; mark "end Z $r"
  # the same command's first use of that fresh mount (Q), and again with the caches dropped (C): what a fresh
  # NFS mount costs its first user beyond a cold cache, whoever mounted it
  cold; mark "begin Q $r"; chroot /run/lb-plain cat /etc/debian_version > /dev/null; mark "end Q $r"
  cold; mark "begin C $r"; chroot /run/lb-plain cat /etc/debian_version > /dev/null; mark "end C $r"
  umount /run/lb-plain
  # the first launch, with this tree's program map (F) and with the sh one it replaced (S), in turn first
  for w in $( [ $((r % 2)) = 1 ] && echo F S || echo S F); do
    unmounted; fresh_key
    [ "$w" = S ] && mount --bind /run/lb-automap.sh "$LIBEXEC/vsys-automap"
    cold; mark "begin $w $r"; t=$(ts)
    out=$(launch lbnfs cat /etc/debian_version 2>&1); e=$(el "$t"); mark "end $w $r"; LASTMAP=$(date +%s)
    [ "$w" = S ] && umount "$LIBEXEC/vsys-automap"
    [ "$out" = "$want" ] || { nok "round $r: first launch ($w): $out"; break 2; }
    [ "$w" = F ] && f=$e
  done
  # M after an idle pause too, as P and F are (each waits for the expiry): the guest is slower after one. A
  # host process whose cwd is the mount holds it meanwhile (the timeout is shorter than the pause); not a
  # launch: its mapped libc would keep those pages through drop_caches
  (cd "$R/.auto/lbnfs" && exec sleep $((TMO + 9))) & hold=$!
  sleep $((TMO + 1))
  cold; mark "begin M $r"; t=$(ts)
  launch lbnfs cat /etc/debian_version > /dev/null; m=$(el "$t"); mark "end M $r"
  wait "$hold"
  echo "# round $r (wall, with runuser): mount(8) ${p}s, first launch ${f}s, launch of the mounted system ${m}s"
  echo "$p $f $m" >> /run/lb-wall
done
check "$ROUNDS paired rounds" test "$(wc -l < /run/lb-wall)" = "$ROUNDS"
med() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
wp=$(cut -d' ' -f1 /run/lb-wall | med); wf=$(cut -d' ' -f2 /run/lb-wall | med); wm=$(cut -d' ' -f3 /run/lb-wall | med)
wd=$(awk '{print $2 - $3}' /run/lb-wall | med)
figure "autofs_first_launch_nfs_wall_guest first launch $wf s, mounted launch $wm s, mount(8) $wp s; (first - mounted) $wd s = $(awk -v d="$wd" -v p="$wp" 'BEGIN{printf "%.2f", d/p}')x mount(8) (wall with runuser, medians of $ROUNDS rounds; target <= 1.10x)"

if [ "$TRACE" = 1 ]; then
  echo 0 > "$T/tracing_on"; cp "$T/trace" "$TR"; cp "$TR" "$VM_OUT/autofs-launch-trace.txt" 2>/dev/null
  # per window (P/F/M of a round): the first time of each event, in ms from the window's begin
  awk '
    function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0; return -1 }
    function comm(   s) { s = $1; sub(/-[0-9]+$/, "", s); return s }
    function at(k) { if (!(k in E)) E[k] = t }
    function last(k) { L[k] = t }
    / tracing_mark_write: lb begin / { w = $(NF - 1); r = $NF; b = ts(); delete E; delete L; next }
    / tracing_mark_write: lb end / {
      if (w == "") next
      printf "%s %s", w, r
      n = split("lx le aw pm pmx mnt nfs km kmx mx rel awr snd tree ush chr cat catx chx", K, " ")
      for (i = 1; i <= n; i++) { k = K[i]; v = (k in L) ? L[k] : (k in E) ? E[k] : -1; printf " %s=%.1f", k, v < 0 ? -1 : (v - b) * 1000 }
      printf "\n"; w = ""; next
    }
    w == "" { next }
    { t = ts(); c = comm() }
    /sched_process_exec: filename=\/OS\/bin\// { at("lx") }
    /sched_process_exec: filename=.*vsys-automap/ { at("pm") }
    /sched_process_exit: comm=vsys-automap/ { at("pmx") }
    /sched_process_exec: filename=\/(usr\/)?bin\/mount / { at("mnt") }
    /sched_process_exec: filename=\/(usr\/)?sbin\/mount.nfs/ { at("nfs") }
    / sys_mount\(/ && c == "mount.nfs" { at("km") }
    / sys_mount -> / && c == "mount.nfs" { at("kmx") }
    /sched_process_exit: comm=mount / { at("mx") }
    / aw: / { at("aw") }
    / rel: / { at("rel") }
    / awr: / { at("awr") }
    / sys_sendmsg\(/ && c == "lbnfs" { at("snd") }
    / sys_open_tree\(/ && c == "lbnfs" { at("tree") }
    / sys_unshare\(/ && c == "lbnfs" { at("ush") }
    / sys_chroot\(/ && c == "lbnfs" { at("chr") }
    /sched_process_exec: filename=\/(usr\/)?bin\/cat / { at("cat") }
    /sched_process_exec: filename=\/(usr\/)?sbin\/chroot / { at("chx") }
    /sched_process_exit: comm=cat / { at("catx") }
    /sched_process_exit: comm=lbnfs / { last("le") }
  ' "$TR" > /run/lb-events
  sed 's/^/# trace: /' /run/lb-events
  # the parts, per round, in ms
  awk '
    function v(k) { return V[k] }
    function d(a, b) { return (V[a] >= 0 && V[b] >= 0) ? V[b] - V[a] : -1 }
    { delete V; for (i = 3; i <= NF; i++) { split($i, kv, "="); V[kv[1]] = kv[2] + 0 } }
    $1 == "P" { p[$2] = d("mnt", "mx"); pn[$2] = d("mnt", "nfs"); pk[$2] = d("km", "kmx"); pe[$2] = d("kmx", "mx"); pnk[$2] = d("nfs", "km") }
    $1 == "M" { m[$2] = d("lx", "le"); ms[$2] = d("lx", "snd"); mc[$2] = d("snd", "chr") }
    $1 == "Q" { fq[$2] = d("chx", "catx") }
    $1 == "Z" { pz[$2] = d("mnt", "mx"); pzn[$2] = d("nfs", "km") }
    $1 == "S" { sf[$2] = d("lx", "le"); sa[$2] = d("aw", "pm"); sp[$2] = d("pm", "pmx"); fa[$2] = -1 }
    $1 == "C" { cq[$2] = d("chx", "catx") }
    $1 == "F" {
      f[$2] = d("lx", "le"); rounds[++nr] = $2; fm[$2] = d("mnt", "mx"); fnk[$2] = d("nfs", "km")
      part["1 launcher start to the kernel asking the daemon (lx-aw)"][$2] = d("lx", "aw")
      part["2 kernel request to the program map started (aw-pm)"][$2] = d("aw", "pm")
      part["3 the program map (pm-pmx)"][$2] = d("pm", "pmx")
      part["4 map read to mount(8) started: parse, probe, mkdir (pmx-mnt)"][$2] = d("pmx", "mnt")
      part["5 mount(8) to mount.nfs (mnt-nfs)"][$2] = d("mnt", "nfs")
      part["6 mount.nfs to its mount(2) (nfs-km)"][$2] = d("nfs", "km")
      part["7 mount(2) of NFS (km-kmx)"][$2] = d("km", "kmx")
      part["8 mount(2) return to mount(8) exit (kmx-mx)"][$2] = d("kmx", "mx")
      part["9 mount(8) exit to the daemon ready (mx-rel)"][$2] = d("mx", "rel")
      part["a ready to the waiter woken (rel-awr)"][$2] = d("rel", "awr")
      part["b trigger child lookups to sendmsg (awr-snd)"][$2] = d("awr", "snd")
      part["c root part: copies, unshare, moves, chroot (snd-chr)"][$2] = d("snd", "chr")
      part["d chroot to the exec of cat (chr-cat)"][$2] = d("chr", "cat")
      part["e cat (cat-catx)"][$2] = d("cat", "catx")
      part["f cat exit to launcher exit (catx-le)"][$2] = d("catx", "le")
    }
    function med(a,   n, i, x, s) { n = 0; for (i in a) if (a[i] >= 0) s[++n] = a[i]; if (!n) return -1
      asort(s); return s[int((n + 1) / 2)] }
    END {
      for (k in part) keys[k] = k; n = asort(keys)
      for (i = 1; i <= n; i++) printf "part %-66s %8.1f ms\n", substr(keys[i], 3), med(part[keys[i]])
      for (r in f) if (f[r] >= 0 && m[r] >= 0) dd[r] = f[r] - m[r]
      for (r in dd) if (p[r] > 0) q[r] = dd[r] / p[r]
      for (r in fq) if (fq[r] >= 0 && cq[r] >= 0 && p[r] > 0) { pu[r] = p[r] + fq[r] - cq[r]; if (r in dd) q2[r] = dd[r] / pu[r] }
      for (r in sf) if (sf[r] >= 0 && m[r] >= 0) sd[r] = sf[r] - m[r]
      for (r in dd) if (pz[r] > 0) qz[r] = dd[r] / pz[r]
      printf "lim PZ %.1f PZN %.1f PNK %.1f FM %.1f FNK %.1f QZ %.2f\n", med(pz), med(pzn), med(pnk), med(fm), med(fnk), med(qz)
      printf "sh F %.1f D %.1f AP %.1f PM %.1f\n", med(sf), med(sd), med(sa), med(sp)
      printf "sum F %.1f M %.1f P %.1f D %.1f Q %.2f PK %.1f MS %.1f MC %.1f FQ %.1f CQ %.1f PU %.1f Q2 %.2f\n", med(f), med(m), med(p), med(dd), med(q), med(pk), med(ms), med(mc), med(fq), med(cq), med(pu), med(q2)
    }' /run/lb-events > /run/lb-parts
  grep '^part' /run/lb-parts | sed 's/^part /# first launch, median: /'
  for w in F M; do   # the launcher's timeline in round 2 (ms from its exec): forks, opens, stats, the trigger
    echo "# timeline of $w 2 (ms from the launcher's exec):"
    awk -v w="$w" '
      function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0; return -1 }
      $0 ~ ("lb begin " w " 2$") { on = 1; next }
      $0 ~ ("lb end " w " 2$") { exit }
      on && /sched_process_exec: filename=\/OS\/bin\// { b = ts() }
      on && b && /^ *lbnfs-|comm=lbnfs|vsys-automap|mount/ { s = $0; sub(/^.*[0-9]: /, "", s); printf "#   %8.1f %s\n", (ts() - b) * 1000, substr(s, 1, 110) }
    ' "$TR" | head -n 80
  done
  read -r _ _ F _ M _ P _ DD _ Q _ PK _ MS _ MC _ FQ _ CQ _ PU _ Q2 < <(grep '^sum' /run/lb-parts)
  check "the trace has every round's first launch and peer" sh -c "[ \$(grep -c '^F ' /run/lb-events) = $ROUNDS ] && [ \$(grep -c '^P ' /run/lb-events) = $ROUNDS ]"
  figure "autofs_first_launch_nfs_guest first launch $F ms, mounted launch (cold) $M ms, mount(8) $P ms (its mount(2) $PK ms): first - mounted = $DD ms = ${Q}x mount(8) (median of the per-round ratios; target <= 1.10x; launcher exec to exit, trace clock, medians of $ROUNDS rounds)"
  read -r _ _ SF _ SD _ SA _ SP < <(grep '^sh' /run/lb-parts)
  read -r _ _ PZ _ PZN _ PNK _ FM _ FNK _ QZ < <(grep '^lim' /run/lb-parts)
  figure "autofs_first_launch_nfs_nofile_guest mount(8) with automount's open-file limit ($ANOFILE) $PZ ms (mount.nfs to its mount(2) $PZN ms; with the shell's limit $PNK ms; run by automount in a first launch: mount(8) $FM ms, mount.nfs to mount(2) $FNK ms); first - mounted = ${QZ}x that peer"

  figure "autofs_first_launch_nfs_shmap_guest with the sh program map instead (same rounds): first launch $SF ms, first - mounted $SD ms; request to the map's exec $SA ms, the map $SP ms"
  figure "autofs_first_launch_nfs_fresh_guest the peer with its first use: mount(8) $P ms + (chroot cat on the fresh mount $FQ ms - the same cold on the mounted one $CQ ms) = $PU ms; first - mounted = $DD ms = ${Q2}x that (median of the per-round ratios)"
  figure "autofs_first_launch_nfs_parts_guest $(grep '^part' /run/lb-parts | awk '{ms = $(NF-1); $1 = ""; $NF = ""; $(NF-1) = ""; sub(/^ +/, ""); sub(/ +$/, ""); printf "%s%s %s ms", sep, $0, ms; sep = "; "}')"
fi
echo "# load average (host's guest): $(cat /proc/loadavg)"
cp "$ALOG" "$VM_OUT/automount-launch-bench.log" 2>/dev/null
finish
