# Sourced by tools/matrix: creates, enters and cleans up the Debian chroots under
# build/matrix/<release>/. Needs root (debootstrap, mount, chroot).

# The mirror apt on this machine uses, so that the chroots come from the same archive.
matrix_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '$2 ~ /\/debian\/?$/ {print $2; exit}')
    [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '$2 ~ /\/debian\/?$/ {print $2; exit}')
    echo "${uri:-http://deb.debian.org/debian}"
}

# Mount points to undo on exit, newest first.
matrix_mounts=""

matrix_mount_proc() {
    mountpoint -q "$1/proc" && return 0
    mount -t proc proc "$1/proc"
    matrix_mounts="$1/proc $matrix_mounts"
}

# Kills what a test run left running inside the chroot $1 (only processes whose root is
# that chroot: servers a crashed test did not stop), then unmounts its /proc.
matrix_leave() {
    local root proc point
    root=$(realpath "$1")
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -9 "${proc#/proc/}" 2>/dev/null
    done
    if mountpoint -q "$root/proc"; then
        umount "$root/proc" || umount -l "$root/proc"
    fi
    return 0
}

matrix_cleanup() {
    local point
    for point in $matrix_mounts; do
        matrix_leave "${point%/proc}"
    done
    matrix_mounts=""
}

# Runs a shell command line inside chroot $1 with a clean environment (plus $2 extra
# NAME=value words), as root.
matrix_in() {
    local dir=$1
    shift
    chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

# The files a chroot needs before apt runs in it: name resolution, no services started
# by package scripts, and no Valid-Until check (sid's and experimental's Release files
# on a snapshot mirror are past it).
matrix_configure() {
    local dir=$1
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > "$dir/etc/hosts"
    cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    cat > "$dir/etc/apt/apt.conf.d/99matrix" <<'EOF'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
}

# Removes chroot $1, never through a mounted /proc.
matrix_remove() {
    matrix_leave "$1"
    mountpoint -q "$1/proc" && { echo "matrix: $1/proc is still mounted" >&2; return 1; }
    rm -rf "$1"
}

# Whether package $2 has an install candidate in chroot $1.
matrix_has_package() {
    local candidate
    candidate=$(matrix_in "$1" apt-cache policy "$2" 2>/dev/null | awk '/Candidate:/ {print $2}')
    [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

# "name version" for each package (installed or candidate version), "name -" when absent.
matrix_versions() {
    local dir=$1
    shift
    local package version
    for package; do
        version=$(matrix_in "$dir" dpkg-query -W -f='${Version}' "$package" 2>/dev/null) ||
            version=$(matrix_in "$dir" apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ {print $2}')
        [ -n "$version" ] && [ "$version" != "(none)" ] || version=-
        echo "$package $version"
    done
}
