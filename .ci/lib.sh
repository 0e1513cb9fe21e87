# Shared by .ci/start and .ci/test: install missing Debian packages, configure and build a tree.

# Debian 12 packages credd builds with (DESIGN.md, "Dependencies").
build_packages=(
    g++ meson ninja-build pkg-config scdoc
    libboost1.81-dev libboost-json1.81-dev libssl-dev liblmdb-dev
    libsecret-1-dev libspdlog-dev libgtest-dev
    libqrencode-dev
)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# install_missing PKG… — apt-get only what is not installed yet, updating the index once.
install_missing() {
    local missing=()
    local p
    for p in "$@"; do
        is_installed "$p" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "ci: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Logs of set-up and builds; build-*/ is ignored by git.
log_dir=build-logs

# configure DIR [meson options…] — set up a build tree, or reconfigure an existing one;
# a tree that will not reconfigure (from another meson, half-written) is wiped.
configure() {
    local dir=$1
    shift
    local log="$log_dir/$dir.setup.log"
    mkdir -p "$log_dir"
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >"$log" 2>&1 && return 0
        echo "ci: $dir does not reconfigure; starting it afresh" >&2
        rm -rf "$dir"
    elif [ -e "$dir" ]; then
        rm -rf "$dir"
    fi
    meson setup "$dir" "$@" >"$log" 2>&1 || {
        cat "$log" >&2
        return 1
    }
}
