#!/usr/bin/env bash
# The packages' install test (`make check-package`): lintian on the three packages, then a fresh
# Debian chroot (mmdebstrap, the host's release and apt sources) in which apt installs them with
# their dependencies. In it the test checks what the maintainer scripts made (the starling user,
# the state directories, the conffiles, the agent's private environment file), then runs each
# unit's ExecStart as the unit's user, with a stand-in systemd notification socket: the aggregator
# reports READY, `starling` creates an enrollment token, the agent enrolls with it and reports
# READY, the aggregator lists the device, SIGHUP gives RELOADING then READY, SIGTERM gives STOPPING
# and exit status 0. Last, purging removes the packages and keeps the state.
#
# Usage: packaging/test/install-in-chroot.sh DEB_DIR   (as root: it builds a chroot and mounts /proc)
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "error: the install test builds a chroot and needs root; run it as root or through sudo" >&2
    exit 1
fi
# Everything below runs in a private mount namespace, so no mount outlives the test.
if [ -z "${STARLING_PACKAGE_TEST_NAMESPACE:-}" ]; then
    exec unshare --mount --propagation private env STARLING_PACKAGE_TEST_NAMESPACE=1 "$0" "$@"
fi

debs="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
root="$work/root"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
deadline=60

# fail MESSAGE: says what failed, with the output of every daemon started so far.
fail() {
    echo "FAIL: $1" >&2
    local log
    for log in "$work"/starling-*.log; do
        [ -f "$log" ] && { echo "--- $(basename "$log")" >&2; tail -n 20 "$log" >&2; }
    done
    exit 1
}
ok() { echo "ok: $1"; }

packages=("$debs"/starling_*.deb "$debs"/starling-agent_*.deb "$debs"/starling-aggregator_*.deb)
for deb in "${packages[@]}"; do [ -f "$deb" ] || fail "no package $deb; run make package first"; done

# 1. lintian: no error and no warning.
lintian --fail-on error,warning --display-level '>=warning' "${packages[@]}" || fail "lintian found errors or warnings"
ok "lintian reports no error or warning"

# 2. A fresh chroot of the host's release; apt installs the packages and pulls their dependencies.
codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
sources=()
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$file" ] && sources+=("$file")
done
in_chroot_paths=()
for deb in "${packages[@]}"; do in_chroot_paths+=("/tmp/$(basename "$deb")"); done
mmdebstrap --quiet --variant=minbase \
    --customize-hook="copy-in ${packages[*]} /tmp" \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${in_chroot_paths[*]}" \
    "$codename" "$root" "${sources[@]}" </dev/null >"$work/mmdebstrap.log" 2>&1 \
    || { cat "$work/mmdebstrap.log" >&2; fail "the packages did not install in a fresh $codename chroot"; }
ok "apt installs the three packages and their dependencies in a fresh $codename chroot"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" "$@"; }

# 3. What the maintainer scripts and the packages left.
version="$(in_root starling --version)"
[ "$version" = "$(in_root starling-agent --version)" ] && [ "$version" = "$(in_root starling-aggregator --version)" ] \
    || fail "the three programs report different versions"
[ "$(in_root dpkg-query -W -f='${Version}' starling-aggregator)" = "$version" ] || fail "package version differs from the program's"
IFS=: read -r _ _ uid _ _ home shell < <(in_root getent passwd starling) || fail "no starling user"
[ "$uid" -lt 1000 ] && [ "$home" = /nonexistent ] && [ "$shell" = /usr/sbin/nologin ] \
    || fail "starling is not a system user without a home and a login shell ($uid $home $shell)"
for state in starling-aggregator starling-agent; do
    [ "$(in_root stat -c '%U:%G %a' "/var/lib/$state")" = "starling:starling 700" ] || fail "/var/lib/$state is not starling's alone"
done
[ "$(in_root stat -c '%U %a' /etc/starling/agent.env)" = "root 600" ] || fail "/etc/starling/agent.env is not root's alone"
in_root dpkg-query -W -f='${Conffiles}\n' starling-aggregator | grep -q '/etc/starling/aggregator.yaml' \
    || fail "aggregator.yaml is not a conffile"
in_root dpkg-query -W -f='${Conffiles}\n' starling-agent | grep -q '/etc/starling/agent.yaml' || fail "agent.yaml is not a conffile"
for page in man1/starling.1.gz man8/starling-agent.8.gz man8/starling-aggregator.8.gz; do
    [ -s "$root/usr/share/man/$page" ] || fail "no man page $page"
done
ok "starling user, private state directories and token file, conffiles, man pages, version $version"

# 4. The units' commands, as the units run them.
# unit_value UNIT KEY: the unit's setting.
unit_value() { sed -n "s/^$2=//p" "$root/lib/systemd/system/$1.service"; }
# start_listener NAME VARIABLE: a notification socket at /run/NAME.notify in the chroot, whose lines
# can be read from the file descriptor VARIABLE names.
start_listener() {
    local descriptor
    mkfifo "$work/$1.fifo"
    python3 "$here/notify-listen.py" "$root/run/$1.notify" >"$work/$1.fifo" 2>/dev/null &
    pids+=("$!")
    exec {descriptor}<"$work/$1.fifo"
    printf -v "$2" '%s' "$descriptor"
}
# await FD TEXT: reads notification lines from FD until one holds TEXT, within the deadline.
await() {
    local fd="$1" text="$2" line end=$((SECONDS + deadline))
    while [ "$SECONDS" -lt "$end" ]; do
        IFS= read -r -t "$((end - SECONDS))" line <&"$fd" || break
        [[ "$line" == *"$text"* ]] && return 0
    done
    fail "no $text within ${deadline}s"
}
# run_unit UNIT EXTRA...: the unit's ExecStart as its User, with its environment file and the
# stand-in notification socket, plus the test's loopback listeners.
run_unit() {
    local unit="$1" user
    shift
    user="$(unit_value "$unit" User)"
    local environment=()
    local file
    file="$(unit_value "$unit" EnvironmentFile)"
    file="${file#-}"
    if [ -n "$file" ] && [ -f "$root$file" ]; then
        mapfile -t environment < <(grep -E '^[A-Z_]+=' "$root$file")
    fi
    # shellcheck disable=SC2046 # the unit's command line is split into words as systemd does
    chroot --userspec="$user:$user" "$root" env "${environment[@]}" NOTIFY_SOCKET="/run/${unit#starling-}.notify" \
        $(unit_value "$unit" ExecStart) "$@" >"$work/$unit.log" 2>&1 &
    pids+=("$!")
}

start_listener aggregator aggregator_notify
await "$aggregator_notify" LISTENING
run_unit starling-aggregator --listen 127.0.0.1:0 --device-listen 127.0.0.1:0
aggregator_pid="$!"
await "$aggregator_notify" READY=1
ok "the aggregator's unit command reports READY=1"

state="/var/lib/starling-aggregator"
url="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$root$state/aggregator.json")"
token="$(in_root starling enroll-token create --aggregator-dir "$state")"
install -m 0644 "$root$state/pki/ca.crt" "$root/etc/starling/ca.crt"
echo "aggregator: $url" >>"$root/etc/starling/agent.yaml"
sed -i "s|^STARLING_ENROLL_TOKEN=.*|STARLING_ENROLL_TOKEN=$token|" "$root/etc/starling/agent.env"

start_listener agent agent_notify
await "$agent_notify" LISTENING
run_unit starling-agent --api 127.0.0.1:0
agent_pid="$!"
await "$agent_notify" READY=1
devices="$(in_root starling devices list --aggregator-dir "$state" --json)"
[ "$(python3 -c 'import json, sys; print(len(json.loads(sys.argv[1])["devices"]))' "$devices")" = 1 ] \
    || fail "the aggregator does not list the enrolled agent: $devices"
ok "the agent's unit command enrolls with a token from starling and reports READY=1"

kill -HUP "$aggregator_pid"
await "$aggregator_notify" RELOADING=1
await "$aggregator_notify" READY=1
ok "SIGHUP (ExecReload) reloads the aggregator: RELOADING=1, then READY=1"

kill -TERM "$agent_pid" "$aggregator_pid"
await "$agent_notify" STOPPING=1
await "$aggregator_notify" STOPPING=1
wait "$agent_pid" || fail "the agent exited with status $?: $(cat "$work/starling-agent.log")"
wait "$aggregator_pid" || fail "the aggregator exited with status $?: $(cat "$work/starling-aggregator.log")"
ok "SIGTERM stops both with STOPPING=1 and exit status 0"

# 5. Purge: the packages and the token file go; the state and the user stay.
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q starling starling-agent starling-aggregator >"$work/purge.log" 2>&1 \
    || { cat "$work/purge.log" >&2; fail "purge failed"; }
[ ! -e "$root/usr/bin/starling-aggregator" ] && [ ! -e "$root/etc/starling/agent.env" ] \
    && [ ! -e "$root/etc/starling/aggregator.yaml" ] || fail "purge left package files behind"
[ -f "$root$state/pki/ca.crt" ] && in_root getent passwd starling >/dev/null || fail "purge removed the state or the user"
ok "purge removes the packages, their conffiles and the token file, and keeps the state and the user"
