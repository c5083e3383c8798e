#!/bin/bash
# install.sh: build (if needed) and install vsys.
#
#   ./install.sh [--prefix DIR]          install (default prefix /usr/local), idempotent
#   ./install.sh [--prefix DIR] --uninstall
#
# Installs (R = /OS, compiled into the launcher):
#   PREFIX/bin/vsys                      shell wrapper around the JVM
#   PREFIX/share/vsys/lib/*.jar          the Java distribution
#   PREFIX/lib/vsys/vsys-view            view helper, 0755 root, NOT setuid
#   PREFIX/lib/vsys/vsys-automap         autofs program map of the on-demand systems
#   PREFIX/lib/security/pam_vsys.so      PAM session module, 0644 (pam_vsys(8)); NOT enabled
#   PREFIX/lib/vsys/vsys_spank.so        Slurm SPANK plugin, 0644 (vsys-slurm(8)); NOT enabled
#                                        (each only when built: libpam0g-dev / libslurm-dev installed)
#   PREFIX/share/man/man{5,8}/*          man pages
#   PREFIX/lib/systemd/system/vsys-apply.{service,path}   units of vsys apply (not enabled)
#   PREFIX/share/bash-completion/completions/vsys
#   R, R/bin, R/etc, R/etc/systems, R/etc/aliases   0755 root:root
#   /etc/vsys/vsys.conf                  sample, only if absent (never overwritten); an existing
#                                        R/etc/vsys.conf (installs before 0.2) is moved there
#   R/bin/bin                            the launcher, 4755 root:root (installed atomically)
# A list of the PREFIX files is kept in PREFIX/share/vsys/installed-files for --uninstall.
# --uninstall refuses while a system record exists or anything is mounted under R; it removes
# only the files it installed and then empty directories (never a recursive delete).
set -euo pipefail

PROG=install.sh
R=/OS
CONF=/etc/vsys/vsys.conf
OLD_CONF=$R/etc/vsys.conf
PREFIX=/usr/local
UNINSTALL=0
SRC=$(cd "$(dirname "$0")" && pwd)

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (usage: ./install.sh [--prefix DIR] [--uninstall])" ;;
    esac
done
case $PREFIX in /*) ;; *) die "--prefix must be an absolute path: '$PREFIX'" ;; esac
PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || die "--prefix / is not supported"
[ "$(id -u)" = 0 ] || die "must run as root (the launcher is installed setuid root)"
umask 022

LIBDIR=$PREFIX/share/vsys/lib
LIBEXEC=$PREFIX/lib/vsys
PAMDIR=$PREFIX/lib/security
MANIFEST=$PREFIX/share/vsys/installed-files
COMPL=$PREFIX/share/bash-completion/completions/vsys

# --- uninstall --------------------------------------------------------------------------
mounts_under_root() {   # mount points below R (R itself may be a filesystem of its own)
    awk -v r="$R" '{ p = $5; gsub(/\\040/, " ", p); if (index(p, r "/") == 1) print p }' /proc/self/mountinfo
}
records() {
    local d
    for d in "$R/etc/systems" "$R/etc/aliases"; do
        [ -d "$d" ] || continue
        find "$d" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%p\n'
    done
}

uninstall() {
    local recs m
    recs=$(records)
    if [ -n "$recs" ]; then
        die "refusing to uninstall: systems or aliases exist ($(echo "$recs" | sed "s|.*/||" | tr '\n' ' ' | sed 's/ $//')); destroy them first with vsys destroy"
    fi
    m=$(mounts_under_root)
    if [ -n "$m" ] && ! echo "$m" | grep -qv -e "^$R/\.root\(/\|$\)" -e "^$R/\.ns\(/\|$\)"; then
        # only the shared tree is left: take it down with the helper (it refuses if a view remains)
        if [ -x "$LIBEXEC/vsys-view" ]; then
            "$LIBEXEC/vsys-view" shared-down >/dev/null 2>&1 || true
        fi
        m=$(mounts_under_root)
    fi
    if [ -n "$m" ]; then
        die "refusing to uninstall: still mounted under $R: $(echo "$m" | tr '\n' ' ' | sed 's/ $//')"
    fi

    if [ -f "$MANIFEST" ]; then
        while IFS= read -r f; do
            case $f in "$PREFIX"/*) ;; *) continue ;; esac
            if [ -f "$f" ] || [ -L "$f" ]; then rm -f -- "$f"; fi
        done <"$MANIFEST"
        rm -f -- "$MANIFEST"
    fi
    rm -f -- "$PREFIX/bin/vsys" "$LIBEXEC/vsys-view" "$LIBEXEC/vsys-automap" "$COMPL" "$PAMDIR/pam_vsys.so" "$LIBEXEC/vsys_spank.so"
    [ -d "$LIBDIR" ] && find "$LIBDIR" -maxdepth 1 -type f \( -name '*.jar' -o -name vsys.jsa \) -delete
    # R: only the files install or vsys made, then empty directories
    rm -f -- "$R/bin/bin" "$R/etc/.lock"
    local c
    for c in "$CONF" "$OLD_CONF"; do
        [ -f "$c" ] || continue
        if [ -f "$SRC/OS/etc/vsys.conf" ] && cmp -s "$SRC/OS/etc/vsys.conf" "$c"; then
            rm -f -- "$c"
        else
            say "kept $c (changed by the admin)"
        fi
    done
    [ -d /etc/vsys ] && rmdir -- /etc/vsys 2>/dev/null || true
    local x
    if [ -d "$R/.root" ]; then
        for x in bin boot etc lib lib32 lib64 libx32 media mnt opt root sbin srv usr var; do
            if [ -L "$R/.root/$x" ] && [ "$(readlink "$R/.root/$x")" = ".link/$x" ]; then rm -f -- "$R/.root/$x"; fi
        done
        find "$R/.root" -depth -mindepth 1 -type d -empty -xdev -delete 2>/dev/null || true
    fi
    for x in "$R/.var" "$R/.state" "$R/.ns"; do
        [ -d "$x" ] && find "$x" -depth -mindepth 1 -type d -empty -xdev -delete 2>/dev/null || true
    done
    for x in "$R/.root" "$R/.var" "$R/.state" "$R/.ns" "$R/.private" "$R/etc/systems" "$R/etc/aliases" "$R/etc" "$R/bin" "$R" \
             "$LIBDIR" "$PREFIX/share/vsys" "$LIBEXEC" "$PAMDIR"; do
        [ -d "$x" ] && rmdir -- "$x" 2>/dev/null || true
    done
    if [ -d "$R" ]; then
        if [ -n "$(ls -A "$R")" ]; then
            say "left $R in place: not empty ($(ls -A "$R" | tr '\n' ' ' | sed 's/ $//'))"
        else
            say "left $R in place: it is a mount point"
        fi
    fi
    say "uninstalled vsys from $PREFIX"
}

if [ "$UNINSTALL" = 1 ]; then uninstall; exit 0; fi

# --- build if needed ---------------------------------------------------------------------
DIST=$SRC/target/dist/lib
LAUNCHER=$SRC/native/build/vsys-launcher
VIEW=$SRC/native/build/vsys-view
AUTOMAP=$SRC/native/build/vsys-automap

needs_build() {
    [ -f "$DIST/vsys.jar" ] || return 0
    [ -x "$LAUNCHER" ] && [ -x "$VIEW" ] || return 0
    # any source newer than the built jar?
    [ -n "$(find "$SRC/pom.xml" "$SRC/src/main" "$SRC/native" "$SRC/man" \
              -path "$SRC/native/build*" -prune -o -type f -newer "$DIST/vsys.jar" -print 2>/dev/null | head -n 1)" ]
}

if needs_build; then
    command -v mvn >/dev/null || die "maven is not installed (apt-get install maven openjdk-17-jdk-headless)"
    say "building: mvn -B -q -DskipTests package"
    (cd "$SRC" && mvn -B -q -Dstyle.color=never -DskipTests package) || die "build failed (run: mvn -B -DskipTests package)"
fi
# the C programs must be compiled for this root (a no-op when they already are)
make -s -C "$SRC/native" VSYS_ROOT="$R" >/dev/null || die "make -C native VSYS_ROOT=$R failed"
[ -f "$DIST/vsys.jar" ] || die "build produced no $DIST/vsys.jar"
[ -x "$LAUNCHER" ] || die "build produced no $LAUNCHER"
[ -x "$VIEW" ] || die "build produced no $VIEW"
[ -x "$AUTOMAP" ] || die "build produced no $AUTOMAP"
for m in "$SRC"/man/*.[58]; do [ -f "$m" ] || die "no man pages in $SRC/man"; break; done

INSTALLED=()
inst() {   # inst MODE SRC DEST: install a file atomically (temp in the same directory + rename)
    local mode=$1 src=$2 dest=$3 tmp
    install -d -m 0755 "$(dirname "$dest")"
    tmp=$(dirname "$dest")/.$(basename "$dest").tmp.$$
    install -o root -g root -m "$mode" "$src" "$tmp"
    mv -f -T "$tmp" "$dest"
    INSTALLED+=("$dest")
}

# --- PREFIX --------------------------------------------------------------------------------
install -d -m 0755 "$PREFIX/bin" "$LIBDIR" "$LIBEXEC" "$PREFIX/share/man/man5" "$PREFIX/share/man/man8" \
    "$(dirname "$COMPL")"
declare -A want=()
for j in "$DIST"/*.jar; do
    inst 0644 "$j" "$LIBDIR/$(basename "$j")"
    want[$(basename "$j")]=1
done
for j in "$LIBDIR"/*.jar; do   # jars of an older version
    [ -e "$j" ] || continue
    [ -n "${want[$(basename "$j")]:-}" ] || { rm -f -- "$j"; say "removed old $(basename "$j")"; }
done
inst 0755 "$VIEW" "$LIBEXEC/vsys-view"
# the autofs program map of the on-demand systems (R/.auto; vsys-systems.d(5)), compiled for R
inst 0755 "$AUTOMAP" "$LIBEXEC/vsys-automap"
# the front ends other programs load (built by make when their headers are installed); installed,
# never enabled: the admin adds the pam.d / plugstack.conf line (pam_vsys(8), vsys-slurm(8))
for m in "pam_vsys.so $PAMDIR libpam0g-dev" "vsys_spank.so $LIBEXEC libslurm-dev"; do
    set -- $m
    if [ -f "$SRC/native/build/$1" ]; then
        inst 0644 "$SRC/native/build/$1" "$2/$1"
    else
        say "$1 not built ($3 is not installed): not installed"
    fi
done

JVM_FLAGS="-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1 -Dvsys.root=$R -Dvsys.libexec=$LIBEXEC"
# A static class-data archive of the CLI's classes, made for exactly these jars and this JDK
# (remade at every install; after a JDK upgrade run ./install.sh again: a stale archive only
# costs the speed-up). It halves the JVM's start-up share of 'vsys list'; docs/BENCHMARKS.md.
# Training runs: --help (the picocli model of every command), and list and status against a
# sample tree of one record (the picocli model of one command each; the sample makes the record classes
# part of the archive also when this machine has no system yet).
CDS=
rm -f -- "$LIBDIR/vsys.jsa"
cds_sample=$(mktemp -d)
mkdir -p "$cds_sample/etc/systems" "$cds_sample/etc/aliases" "$cds_sample/bin"
printf '%s\n' '# vsys system record; written by vsys, read by the launcher; see vsys.conf(5)' version=1 name=sample \
    state=ready created=2000-01-01T00:00:00Z 'fs=/ dir:/nonexistent/vsys-cds-sample ro' setuid=no users= groups= \
    cwd_fallback=no hostfiles=passwd,group,hosts,resolv.conf,localtime >"$cds_sample/etc/systems/sample"
printf '%s\n' '# vsys alias record; see vsys.conf(5)' version=1 name=sample-alias system=sample \
    >"$cds_sample/etc/aliases/sample-alias"
# An apply plan too (the declaration parser, the plan and create's checks of a dir source).
mkdir -p "$cds_sample/systems.d"
printf '%s\n' "source=dir:$cds_sample/tree" aliases=sample-alias >"$cds_sample/systems.d/sample.conf"
# A snapshot run too (the store's classes and JNA: about 0.1 s of every snapshot): the sample system
# is a tiny tree bound on cds_sample/sample, as a system's root is mounted on R/NAME.
cds_snap=()
mkdir -p "$cds_sample/sample" "$cds_sample/tree/etc" "$cds_sample/tree/usr/bin"
echo 'PRETTY_NAME="vsys CDS sample"' >"$cds_sample/tree/etc/os-release"
ln -s ../../etc/os-release "$cds_sample/tree/usr/bin/os-release"
# Then a pull of that commit from the sample's store into a second sample root (the pull, its checks
# and the store's batches), an HTTP pull that finds no server (the HTTP client) and serve.
if mount --bind "$cds_sample/tree" "$cds_sample/sample" 2>/dev/null; then
    mkdir -p "$cds_sample/p/etc/systems" "$cds_sample/p/etc/aliases" "$cds_sample/p/bin"
    cds_snap=("-Dvsys.root=$cds_sample snapshot sample" "-Dvsys.root=$cds_sample snapshot sample"
        "-Dvsys.root=$cds_sample/p pull sample $cds_sample" "-Dvsys.root=$cds_sample/p pull x http://127.0.0.1:9/"
        "-Dvsys.root=$cds_sample serve")
fi
if JAVA_FLAGS="$JVM_FLAGS" "$SRC/bench/mkcds.sh" "$LIBDIR/vsys.jsa" "$LIBDIR/*" org.vsys.cli.Main --help \
        "-Dvsys.root=$cds_sample list" "-Dvsys.root=$cds_sample status" "${cds_snap[@]}" \
        "-Dvsys.root=$cds_sample apply --dry-run --dir $cds_sample/systems.d" >/dev/null 2>&1; then
    CDS=" -XX:SharedArchiveFile=$LIBDIR/vsys.jsa"
else
    say "no class-data archive: vsys starts slower"
fi
umount "$cds_sample/sample" 2>/dev/null || true
if mountpoint -q "$cds_sample/sample"; then
    say "the CDS sample tree is still mounted at $cds_sample/sample; left in place"
else
    rm -rf --one-file-system -- "$cds_sample"
fi

wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
cat >"$wrapper" <<EOF
#!/bin/sh
# vsys: the admin command (installed by vsys install.sh)
exec java $JVM_FLAGS -Xshare:auto$CDS -cp '$LIBDIR/*' org.vsys.cli.Main "\$@"
EOF
inst 0755 "$wrapper" "$PREFIX/bin/vsys"

for m in "$SRC"/man/*.5; do [ -f "$m" ] && inst 0644 "$m" "$PREFIX/share/man/man5/$(basename "$m")"; done
for m in "$SRC"/man/*.8; do [ -f "$m" ] && inst 0644 "$m" "$PREFIX/share/man/man8/$(basename "$m")"; done
# vsys apply at boot and when the declarations change (systemd reads PREFIX/lib/systemd/system
# for PREFIX=/usr/local; installed, not enabled: systemctl enable vsys-apply.service vsys-apply.path)
for u in vsys-apply.service vsys-apply.path; do
    sed "s|/usr/local/bin/vsys|$PREFIX/bin/vsys|g" "$SRC/OS/lib/systemd/$u" > "$SRC/target/$u"
    inst 0644 "$SRC/target/$u" "$PREFIX/lib/systemd/system/$u"
done

# bash completion from the picocli model of every command (org.vsys.cli.Completion)
compl=$(mktemp)
if java -cp "$LIBDIR/*" org.vsys.cli.Completion >"$compl" 2>"$compl.err" &&
        [ -s "$compl" ]; then
    inst 0644 "$compl" "$COMPL"
else
    cat "$compl.err" >&2
    rm -f "$compl" "$compl.err"
    die "could not generate the bash completion (org.vsys.cli.Completion)"
fi
rm -f "$compl" "$compl.err"

# --- R ---------------------------------------------------------------------------------------
for d in "$R" "$R/bin" "$R/etc" "$R/etc/systems" "$R/etc/aliases"; do
    if [ -L "$d" ]; then die "$d is a symlink: refusing (the launcher requires real root-owned directories)"; fi
    install -d -o root -g root -m 0755 "$d"
    chown root:root "$d"; chmod 0755 "$d"   # also repair an existing directory
done
# the configuration: /etc/vsys/vsys.conf (the launcher reads R/etc/vsys.conf only while it is absent)
if [ -L /etc/vsys ]; then die "/etc/vsys is a symlink: refusing (the launcher requires real root-owned directories)"; fi
install -d -o root -g root -m 0755 /etc/vsys
if [ ! -e "$CONF" ] && [ ! -L "$CONF" ]; then
    tmp=/etc/vsys/.vsys.conf.tmp.$$
    if [ -f "$OLD_CONF" ] && [ ! -L "$OLD_CONF" ]; then
        install -o root -g root -m 0644 "$OLD_CONF" "$tmp"
        mv -T "$tmp" "$CONF"
        rm -f -- "$OLD_CONF"
        say "moved $OLD_CONF to $CONF"
    else
        install -o root -g root -m 0644 "$SRC/OS/etc/vsys.conf" "$tmp"
        mv -T "$tmp" "$CONF"
        say "installed sample $CONF"
    fi
elif [ -e "$OLD_CONF" ]; then
    say "note: $OLD_CONF is ignored while $CONF exists (vsys check says so too)"
fi
# the launcher: temp file in R/bin, then rename (a running launcher is never half-written)
tmp=$R/bin/.bin.tmp.$$
install -o root -g root -m 4755 "$LAUNCHER" "$tmp"
chmod 4755 "$tmp"
mv -f -T "$tmp" "$R/bin/bin"
[ "$(stat -c '%a %U %G' "$R/bin/bin")" = "4755 root root" ] || die "$R/bin/bin has mode $(stat -c '%a %U:%G' "$R/bin/bin"), expected 4755 root:root"

# --- manifest ---------------------------------------------------------------------------------
mtmp=$MANIFEST.tmp.$$
printf '%s\n' "${INSTALLED[@]}" | sort -u >"$mtmp"
mv -f -T "$mtmp" "$MANIFEST"

say "installed vsys to $PREFIX (command $PREFIX/bin/vsys, launcher $R/bin/bin, helper $LIBEXEC/vsys-view)"
