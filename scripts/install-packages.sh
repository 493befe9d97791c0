#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet (`make deps`,
# `make cross-deps`). As root it calls apt-get directly; otherwise through sudo. The environment
# assignment goes through env(1), so that it is never taken for the command's name when sudo is
# not used.
set -eu

missing=""
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
[ -n "$missing" ] || exit 0

echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "error: the packages$missing are missing; install them as root or install sudo" >&2
    exit 1
fi
# shellcheck disable=SC2086 # word splitting of the package list and of the optional sudo is intended
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
