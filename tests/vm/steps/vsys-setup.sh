# tests/vm/steps/vsys-setup.sh: sourced by the guest steps that drive the installed vsys (after lib.sh, with
# R set): the vs/expect_vs helpers, and once per guest a copy of the installed vsys bound over it, a fresh
# tmpfs R with the setuid launcher and vsys.conf, and an unprivileged test user $U with home $UHOME.
# Idempotent: a later step finds the copy and the tmpfs in place and reuses them.
# ---------------------------------------------------------------- helpers
VS_OUT=/run/vs.out
vs() {   # vs ARGS...: run vsys bounded; output indented; sets VS_RC VS_TIME
  local t0; t0=$(ts)
  timeout -k 5 "${VS_TIMEOUT:-120}" vsys "$@" > $VS_OUT 2>&1; VS_RC=$?
  VS_TIME=$(el "$t0")
  echo "    \$ vsys $* -> rc=$VS_RC (${VS_TIME}s)"; sed 's/^/    | /' $VS_OUT | head -n 30
  return $VS_RC
}
expect_vs() {   # expect_vs "what" RC ARGS...
  local d=$1 want=$2; shift 2
  vs "$@"
  if [ "$VS_RC" = "$want" ]; then ok "$d"; else nok "$d: vsys $* exited $VS_RC, wanted $want: $(tail -n 1 $VS_OUT)"; fi
  [ "$VS_RC" = "$want" ]
}
mnt_opts() { awk -v m="$1" '$2 == m {o=$4; t=$3; s=$1} END {if (t) print s, t, o; else exit 1}' /proc/mounts; }
inside() { (cd "$UHOME" && runuser -u "$U" -- "$R/bin/$SYS" "$@"); }

# ---------------------------------------------------------------- setup
if ! command -v vsys >/dev/null; then
  if [ ! -f target/dist/lib/vsys.jar ] || [ ! -x native/build/vsys-launcher ]; then
    nok "vsys is neither installed nor built on the host (run ./install.sh on the host first)"; finish; exit; fi
  echo "# vsys not installed on the host: ./install.sh in the guest overlay, with the host's current build"
  # never build in the guest (TCG: minutes): make the existing build look newer than the sources (overlay only)
  touch target/dist/lib/*.jar; find native/build -type f -exec touch {} +
  t=$(ts)
  if timeout 300 ./install.sh > /run/install.out 2>&1; then ok "./install.sh in the guest ($(el "$t")s)"
  else nok "./install.sh in the guest failed: $(tail -n 3 /run/install.out | tr '\n' ' ')"; finish; exit; fi
fi
check "vsys is installed" command -v vsys || { finish; exit; }
# The guest reads the host's installation over 9p with cache=loose: an ./install.sh on the host during the run
# (other work on the machine) deletes and rewrites the jars under the guest's feet (seen: NoClassDefFoundError in
# the middle of the step). So the step runs on a copy, taken once, bound over the installed paths.
# The suite tests the tree it runs from: where the installed files differ from this tree's build (another
# ./install.sh on the machine meanwhile), the copy gets the tree's (its jars, vsys-view, vsys-automap). Equal
# files are left as installed, so the installed class-data archive stays valid (CI installs from the tree).
tree_build() {   # tree_build INSTALLED_DIR COPY
  local f n
  for f in target/dist/lib/*.jar native/build/vsys-view native/build/vsys-automap; do
    [ -f "$f" ] || continue
    n=$(basename "$f")
    case $1 in */lib/vsys) case $n in *.jar) continue;; esac;; *) case $n in *.jar) ;; *) continue;; esac;; esac
    cmp -s "$f" "$2/$n" && continue
    cp "$f" "$2/$n" && echo "# $1/$n differs from this tree's build (another install meanwhile?): the tree's is used"
  done
}
snapshot_install() {
  local bin lib d c i a
  bin=$(command -v vsys); lib=$(sed -n "s/.*-cp '\([^']*\)\/\*'.*/\1/p" "$bin" | head -n 1)
  for d in "$lib" "$(sed -n 's/.*-Dvsys.libexec=\([^ ]*\).*/\1/p' "$bin" | head -n 1)"; do
    [ -d "$d" ] || continue
    c=/run/vsys-install$d
    for i in 1 2 3; do   # the listing (names, sizes, times) the same before and after the copy: no install in between
      a=$(ls -l --time-style=+%s.%N "$d"); rm -rf "$c"; mkdir -p "$c"; cp -a "$d/." "$c/" && [ "$a" = "$(ls -l --time-style=+%s.%N "$d")" ] && break
      sleep 5
    done
    tree_build "$d" "$c"
    mount --bind "$c" "$d" || return 1
  done
  cp -a "$bin" /run/vsys-install.bin && mount --bind /run/vsys-install.bin "$bin"
}
if [ -e /run/vsys-install.bin ]; then echo "# the copy of the installed vsys of an earlier step is bound in place"
else check "a copy of the installed vsys, bound over it" snapshot_install; fi
# the class-data-sharing archive run-suite.sh made of the host's vsys (about 2x faster JVM start under TCG)
if [ -s "$VM_OUT/vsys-cds" ] && [ -s "$(cat "$VM_OUT/vsys-cds")" ]; then
  export JAVA_TOOL_OPTIONS="-XX:SharedArchiveFile=$(cat "$VM_OUT/vsys-cds")"; echo "# JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS"
fi
# The host's /OS holds the host's systems (records whose mounts do not exist here) and, under /OS/.root, host
# mount points that the 9p+overlay root cannot take new directories in (mkdir: ESTALE). So the guest gets a fresh
# /OS: a tmpfs with what install.sh puts there (directories 0755, the setuid launcher, vsys.conf).
if [ "$(stat -f -c %T $R 2>/dev/null)" != tmpfs ]; then
  cp -a "$R/bin/bin" /run/vsys-launcher
  cp -a /etc/vsys/vsys.conf /run/vsys.conf 2>/dev/null || cp -a "$R/etc/vsys.conf" /run/vsys.conf 2>/dev/null ||
    cp OS/etc/vsys.conf /run/vsys.conf
  # the guest's configuration is the fresh R's (read while /etc/vsys/vsys.conf is absent; the
  # guest's / is an overlay: the host's file stays)
  rm -f /etc/vsys/vsys.conf
  mount -t tmpfs -o mode=0755 vsys-guest-os "$R"
  install -d -m 0755 "$R/bin" "$R/etc" "$R/etc/systems" "$R/etc/aliases"
  install -m 4755 /run/vsys-launcher "$R/bin/bin"; install -m 0644 /run/vsys.conf "$R/etc/vsys.conf"
  echo "# guest: fresh $R (tmpfs) with the host's launcher and vsys.conf"
fi
check "the launcher $R/bin/bin is setuid root" sh -c "[ \"\$(stat -c %u:%a $R/bin/bin)\" = 0:4755 ]"
U=${VSYS_IT_USER:-vsys-it}
id -u "$U" >/dev/null 2>&1 || { U=vsys-vm; id -u $U >/dev/null 2>&1 || useradd -m -s /bin/bash $U; }
UHOME=$(getent passwd "$U" | cut -d: -f6); mkdir -p "$UHOME"; chown "$U:" "$UHOME"
echo "# test user $U ($UHOME)"
