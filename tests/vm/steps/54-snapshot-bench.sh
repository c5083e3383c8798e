#!/bin/bash
# Benchmark (VM_SUITE_BENCH=1 tests/vm/run-suite.sh [tests/vm/steps/54-snapshot-bench.sh]): `vsys snapshot`
# of a system over the guest kernel's NFS mount against its peers on the same mount, in paired rounds (issue 18;
# ratios inside the guest only: TCG makes every figure 20-40 times the host's):
#   - first snapshot (the store emptied of the tree by gc, page cache dropped) against `cp -a` (dropped too)
#   - nothing changed (SNAP54_NC per round, each right after its rsync quick check) against `rsync -aHX`
#     with nothing to do, into the round's rsync copy
# The tree: SNAP54_PATH (default /usr/share: 4700 entries, 72 MB of the server's Debian tree with gcc; the whole
# tree would need the store and two copies, about 1.2 GB, in the guest's 2 GB of tmpfs), over NFS
# SNAP54_VERSION (default 4.1). Prints figures with the medians of SNAP54_ROUNDS (default 3) rounds.
. "$(dirname "$0")/lib.sh"
R=/OS; SYS=snap54
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
. "$(dirname "$0")/vsys-setup.sh"
SUB=${SNAP54_PATH:-/usr/share}; V=${SNAP54_VERSION:-4.1}; ROUNDS=${SNAP54_ROUNDS:-3}; NC=${SNAP54_NC:-3}
W=/run/g-snap54
cleanup() {
  vs destroy --force $SYS > /dev/null 2>&1
  rm -f "$R/.store/refs/$SYS" "$R/.store/resume/$SYS"; vs gc > /dev/null 2>&1
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# t CMD...: its wall time in seconds into T (2 decimals), its output in $W/last; false if it failed
t() { local s; s=$(ts); timeout -k 5 600 "$@" > "$W/last" 2>&1 || { T=; return 1; }; T=$(el "$s"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rm -rf "$W"; mkdir -p "$W"
o=; [ "$V" = 3 ] && o="-o /=nolock"
# shellcheck disable=SC2086
expect_vs "vsys -c $SYS nfs://$NFS_SERVER$SUB --nfs-version $V" 0 -c $SYS "nfs://$NFS_SERVER$SUB" --nfs-version "$V" $o ||
  { finish; exit; }
M=$R/$SYS
entries=$(find "$M" | wc -l); mb=$(du -sm "$M" | cut -f1)
echo "# $SUB over NFS v$V: $entries entries, $mb MB"
: > "$W/cp"; : > "$W/first"; : > "$W/r1"; : > "$W/rs"; : > "$W/nc"; : > "$W/r2"
for r in $(seq 1 "$ROUNDS"); do
  drop; t cp -a "$M" "$W/cp-copy" || { nok "cp -a round $r: $(tail -n 1 $W/last)"; break; }; c=$T
  rm -rf "$W/cp-copy" "$W/rsync"
  t rsync -aHX "$M/" "$W/rsync/" || { nok "rsync round $r: $(tail -n 1 $W/last)"; break; }
  rm -f "$R/.store/refs/$SYS" "$R/.store/resume/$SYS"; vs gc > /dev/null
  drop; t vsys snapshot $SYS || { nok "first vsys snapshot round $r: $(tail -n 1 $W/last)"; break; }; f=$T
  sed 's/^/    | /' "$W/last"
  echo "$c" >> "$W/cp"; echo "$f" >> "$W/first"; ratio "$f" "$c" >> "$W/r1"; echo >> "$W/r1"
  for k in $(seq 1 "$NC"); do
    t rsync -aHX "$M/" "$W/rsync/" || { nok "rsync quick check round $r: $(tail -n 1 $W/last)"; break 2; }; q=$T
    t vsys snapshot $SYS || { nok "vsys snapshot again round $r: $(tail -n 1 $W/last)"; break 2; }; n=$T
    grep -q "nothing changed" "$W/last" || { nok "round $r: not 'nothing changed': $(tail -n 1 $W/last)"; break 2; }
    echo "$q" >> "$W/rs"; echo "$n" >> "$W/nc"; ratio "$n" "$q" >> "$W/r2"; echo >> "$W/r2"
  done
  echo "# round $r: cp -a $c s, vsys first $f s; rsync quick checks $(tail -n "$NC" "$W/rs" | tr '\n' ' ')s, vsys nothing changed $(tail -n "$NC" "$W/nc" | tr '\n' ' ')s"
done
sed -n '$p' "$W/last" | sed 's/^/    | /'
if [ "$(grep -c . "$W/r1")" = "$ROUNDS" ] && [ "$(grep -c . "$W/r2")" = $((ROUNDS * NC)) ]; then
  ok "$ROUNDS paired rounds over NFS v$V"
  figure "snapshot_nfs_v${V}_first_guest $(grep . "$W/r1" | med)x cp -a (vsys $(med < "$W/first") s, cp -a $(med < "$W/cp") s; medians of $ROUNDS paired rounds; $SUB: $entries entries, $mb MB)"
  figure "snapshot_nfs_v${V}_nothing_changed_guest $(grep . "$W/r2" | med)x rsync -aHX quick check (vsys $(med < "$W/nc") s, rsync $(med < "$W/rs") s; medians of $((ROUNDS * NC)) pairs)"
fi
finish
