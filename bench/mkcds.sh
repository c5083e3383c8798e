#!/bin/sh
# bench/mkcds.sh: build a static AppCDS archive for a Java command line tool (JDK 17).
#
#   mkcds.sh ARCHIVE CLASSPATH MAINCLASS [TRAINING-ARGS]...
#
#   ARCHIVE        the .jsa to write (atomically: temp file + rename), mode 0644
#   CLASSPATH      exactly the -cp of the runtime command (e.g. '/usr/local/share/vsys/lib/*')
#   MAINCLASS      the main class
#   TRAINING-ARGS  each one a training run of MAINCLASS with these words as arguments
#                  (split on blanks); default: --help. Its exit status does not matter.
#                  Leading words that start with -D or -XX: go to the JVM of that run
#                  (e.g. '-Dvsys.root=/tmp/sample list': a run against a sample tree)
#   env JAVA       the java binary (default: java)
#   env JAVA_FLAGS the runtime JVM flags (default "-XX:+UseSerialGC -XX:TieredStopAtLevel=1");
#                  any -Xshare / -XX:SharedArchiveFile in it is dropped for the dump
#
# Why static (-XX:DumpLoadedClassList, then -Xshare:dump -XX:SharedClassListFile) and not
# the simpler dynamic archive (-XX:ArchiveClassesAtExit): picocli ships Java 5 class files
# (version 49); on JDK 17 the dynamic archive skips them ("Pre JDK 6 class not supported by
# CDS"), the static one stores them. See docs/BENCHMARKS.md, AppCDS.
#
# Use at run time: java -Xshare:auto -XX:SharedArchiveFile=ARCHIVE ... -cp CLASSPATH MAIN.
# With -Xshare:auto a missing or stale archive (jars changed since) only costs the speed-up.
# Exit: 0 archive written; 1 failed (nothing written); 2 usage.
set -eu
[ $# -ge 3 ] || { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
archive=$1 cp=$2 main=$3
shift 3
[ $# -gt 0 ] || set -- --help
JAVA=${JAVA:-java}
flags=${JAVA_FLAGS:-"-XX:+UseSerialGC -XX:TieredStopAtLevel=1"}
flags=$(printf '%s\n' "$flags" | sed 's/ *-Xshare:[a-z]*//g; s/ *-XX:SharedArchiveFile=[^ ]*//g')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for args in "$@"; do
    i=$((i + 1))
    jvm= words=
    for w in $args; do
        case $words$w in -D*|-XX:*) jvm="$jvm $w" ;; *) words="$words $w" ;; esac
    done
    # shellcheck disable=SC2086
    "$JAVA" $flags $jvm -Xshare:auto -XX:DumpLoadedClassList="$tmp/$i.lst" -cp "$cp" "$main" $words \
        </dev/null >/dev/null 2>&1 || true
    [ -s "$tmp/$i.lst" ] || { echo "mkcds.sh: training run '$main $args' produced no class list" >&2; exit 1; }
done
# one list: every class once, in first-seen order
cat "$tmp"/*.lst | awk '/^#/ { if (!h++) print; next } !seen[$0]++' >"$tmp/all.lst"

dir=$(dirname "$archive")
out=$dir/.$(basename "$archive").tmp.$$
# shellcheck disable=SC2086
if ! "$JAVA" $flags -Xshare:dump -XX:SharedClassListFile="$tmp/all.lst" -XX:SharedArchiveFile="$out" \
        -cp "$cp" >"$tmp/dump.log" 2>&1; then
    tail -n 5 "$tmp/dump.log" >&2
    rm -f "$out"
    echo "mkcds.sh: archive dump failed" >&2
    exit 1
fi
chmod 0644 "$out"
mv -f "$out" "$archive"
echo "mkcds.sh: wrote $archive ($(wc -l <"$tmp/all.lst") classes listed)"
