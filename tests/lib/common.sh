# tests/lib/common.sh: shell helpers shared by test.sh, demo.sh and the test scripts.
# Source it; it sets nothing but functions and a few read-only defaults.

VSYS_R=${VSYS_R:-/OS}
VSYS_PREFIX=${VSYS_PREFIX:-/usr/local}
VSYS_IT_USER=${VSYS_IT_USER:-vsys-it}
VSYS_IT_USER2=${VSYS_IT_USER2:-vsys-it2}
VSYS_IT_GROUP=${VSYS_IT_GROUP:-vsys-itg}
VSYS_IT_REMOTE=${VSYS_IT_REMOTE:-it}

# a timestamp in seconds with decimals
now() { date +%s.%N; }
# elapsed seconds since $1, one decimal
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# print a command like a walkthrough, then run it
show() {
    printf '\n\033[1m# %s\033[0m\n' "$*" >&2
    "$@"
}

is_root() { [ "$(id -u)" = 0 ]; }

# wait until apt/dpkg are free (another installer may be running)
wait_for_apt() {
    local i=0
    while pgrep -x apt-get >/dev/null 2>&1 || pgrep -x dpkg >/dev/null 2>&1; do
        [ $i -eq 0 ] && echo "waiting for another apt-get/dpkg to finish..." >&2
        i=$((i + 1)); sleep 5
    done
}

# install Debian packages that are missing (apt-get update only when something is missing)
apt_ensure() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    wait_for_apt
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# the unprivileged test users: vsys-it (in group vsys-itg) and vsys-it2 (not in it)
make_test_users() {
    getent group "$VSYS_IT_GROUP" >/dev/null || groupadd "$VSYS_IT_GROUP"
    local u
    for u in "$VSYS_IT_USER" "$VSYS_IT_USER2"; do
        id -u "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
        [ -d "/home/$u" ] || { mkdir -p "/home/$u"; chown "$u:$u" "/home/$u"; }
    done
    id -nG "$VSYS_IT_USER" | tr ' ' '\n' | grep -qx "$VSYS_IT_GROUP" || usermod -aG "$VSYS_IT_GROUP" "$VSYS_IT_USER"
}

# names of the systems (records) that exist now
vsys_systems() {
    [ -d "$VSYS_R/etc/systems" ] || return 0
    find "$VSYS_R/etc/systems" -mindepth 1 -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sort
}
