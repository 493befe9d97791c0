#!/usr/bin/env bash
# Exercises the package-install path of `make deps`, `cross-deps`, `test-deps` and `package-deps` on any
# machine, including one where every package is already installed: dpkg, apt-get, sudo and id are
# stubbed on PATH so that packages look missing and the user looks like root or not. Each case
# checks what apt-get was asked to do, with which environment, and whether it went through sudo.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
make_bin="$(command -v make)"
failures=0

# Stubs: dpkg reports the packages in $STUB_MISSING as not installed; id -u prints $STUB_UID;
# apt-get and sudo append a line to $STUB_LOG (sudo then runs its command).
stubs="$work/stubs"
mkdir -p "$stubs"
cat >"$stubs/dpkg" <<'STUB'
#!/bin/sh
[ "$1" = "-s" ] || exit 2
case " $STUB_MISSING " in *" $2 "*) exit 1 ;; *) exit 0 ;; esac
STUB
cat >"$stubs/id" <<'STUB'
#!/bin/sh
[ "$1" = "-u" ] && echo "$STUB_UID"
STUB
cat >"$stubs/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-unset} $*" >>"$STUB_LOG"
STUB
cat >"$stubs/sudo" <<'STUB'
#!/bin/sh
echo "sudo" >>"$STUB_LOG"
exec "$@"
STUB
chmod +x "$stubs"/*

fail() { echo "FAIL: $1" >&2; failures=$((failures + 1)); }

# expect NAME EXPECTED_LOG: compares the stub log with the expected lines.
expect_log() {
    local name="$1" expected="$2" actual
    actual="$(cat "$STUB_LOG" 2>/dev/null || true)"
    if [ "$actual" != "$expected" ]; then
        fail "$name: expected
$expected
got
$actual"
    else
        echo "ok: $name"
    fi
}

run_make() {
    PATH="$stubs:$PATH" "$make_bin" --no-print-directory -C "$root" "$@" >"$work/out" 2>&1
}

export STUB_LOG="$work/log"

# As root, with two packages missing: apt-get runs directly, non-interactive, on the missing ones.
rm -f "$STUB_LOG"
STUB_UID=0 STUB_MISSING="libsqlite3-dev libssl-dev" run_make deps || fail "root: make deps exited non-zero: $(cat "$work/out")"
expect_log "root installs the missing packages without sudo" \
"apt-get DEBIAN_FRONTEND=noninteractive update -qq
apt-get DEBIAN_FRONTEND=noninteractive install -y -qq libsqlite3-dev libssl-dev"

# As a user, the cross packages missing: both apt-get calls go through sudo.
rm -f "$STUB_LOG"
STUB_UID=1000 STUB_MISSING="qemu-user libc6-dev-arm64-cross" run_make cross-deps || fail "user: make cross-deps exited non-zero: $(cat "$work/out")"
expect_log "a user installs through sudo" \
"sudo
apt-get DEBIAN_FRONTEND=noninteractive update -qq
sudo
apt-get DEBIAN_FRONTEND=noninteractive install -y -qq libc6-dev-arm64-cross qemu-user"

# As a user, promtool's, the browser's, PostgreSQL's and HAProxy's packages missing: `make test-deps` installs them
# through sudo.
rm -f "$STUB_LOG"
STUB_UID=1000 STUB_MISSING="prometheus chromium chromium-driver postgresql haproxy" run_make test-deps \
    || fail "user: make test-deps exited non-zero: $(cat "$work/out")"
expect_log "the test packages install like the others" \
"sudo
apt-get DEBIAN_FRONTEND=noninteractive update -qq
sudo
apt-get DEBIAN_FRONTEND=noninteractive install -y -qq prometheus chromium chromium-driver postgresql haproxy"

# As root, the packaging tools missing: `make package-deps` installs the one that lacks.
rm -f "$STUB_LOG"
STUB_UID=0 STUB_MISSING="mmdebstrap" run_make package-deps \
    || fail "root: make package-deps exited non-zero: $(cat "$work/out")"
expect_log "the packaging tools install like the others" \
"apt-get DEBIAN_FRONTEND=noninteractive update -qq
apt-get DEBIAN_FRONTEND=noninteractive install -y -qq mmdebstrap"

# Everything installed: apt-get is never called.
rm -f "$STUB_LOG"
STUB_UID=1000 STUB_MISSING="" run_make deps || fail "installed: make deps exited non-zero: $(cat "$work/out")"
expect_log "nothing is installed when nothing is missing" ""

# A user without sudo: one sentence and a non-zero exit, apt-get untouched. PATH holds only the
# stubs (minus sudo): the script needs nothing else before it decides.
rm -f "$STUB_LOG"
nosudo="$work/nosudo"
mkdir -p "$nosudo"
cp "$stubs/dpkg" "$stubs/id" "$stubs/apt-get" "$nosudo/"
if STUB_UID=1000 STUB_MISSING="libssl-dev" PATH="$nosudo" /bin/sh "$root/scripts/install-packages.sh" libssl-dev \
    >"$work/out" 2>&1; then
    fail "a user without sudo: the install succeeded"
elif ! grep -q "install them as root or install sudo" "$work/out"; then
    fail "a user without sudo: no clear error: $(cat "$work/out")"
fi
expect_log "a user without sudo gets an error and no apt-get call" ""

if [ "$failures" -ne 0 ]; then
    echo "$failures install-path check(s) failed" >&2
    exit 1
fi
echo "install path: all checks passed"
