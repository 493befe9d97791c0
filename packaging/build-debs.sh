#!/usr/bin/env bash
# Builds the Debian packages starling, starling-agent and starling-aggregator from the binaries in
# BIN_DIR into OUT_DIR (`make package`). Each package gets its stripped binary, a man page made
# from the binary's own help, the copyright and changelog; the daemons also get their systemd
# unit, their configuration file under /etc/starling (a conffile) and maintainer scripts that
# create the starling user and the state directory. Dependencies come from dpkg-shlibdeps; each
# package's lintian-overrides says why a tag does not apply.
#
# Usage: packaging/build-debs.sh BIN_DIR OUT_DIR
set -euo pipefail
umask 022

bin="$(cd "$1" && pwd)"
mkdir -p "$2"
out="$(cd "$2" && pwd)"
packaging="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$packaging")"
maintainer="${DEB_MAINTAINER:-Starling maintainers <maintainers@starling.example.org>}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

version="$("$bin/starling" --version)"
arch="$(dpkg --print-architecture)"
# Reproducible dates: the last commit's, else now.
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH="$epoch"
day="$(date -u -d "@$epoch" +%Y-%m-%d)"

# dpkg-shlibdeps needs a source tree's debian/control naming the packages.
mkdir -p "$work/source/debian"
printf 'Source: starling\n\nPackage: starling\nArchitecture: any\n' >"$work/source/debian/control"

# substitute FILE KEY VALUE...: replaces each @KEY@ line or word in FILE (in place); a value may
# hold several lines.
substitute() {
    local file="$1"
    shift
    while [ "$#" -gt 0 ]; do
        KEY="@$1@" VALUE="$2" perl -0pi -e 's/\Q$ENV{KEY}\E/$ENV{VALUE}/g' "$file"
        shift 2
    done
}

# fragment PACKAGE NAME DEFAULT: the package's maintainer-script fragment, or DEFAULT without one.
fragment() {
    local file="$packaging/debian/$1/$2"
    if [ -f "$file" ]; then cat "$file"; else printf '%s' "$3"; fi
}

# build PACKAGE MAN_SECTION [CONFIG_NAME]: one package; CONFIG_NAME marks a daemon with
# /etc/starling/CONFIG_NAME.yaml and a unit.
build() {
    local package="$1" section="$2" config="${3:-}"
    local tree="$work/$package"
    local doc="$tree/usr/share/doc/$package"
    mkdir -p "$tree/DEBIAN" "$tree/usr/bin" "$doc" "$tree/usr/share/man/man$section"

    install -m 0755 "$bin/$package" "$tree/usr/bin/$package"
    strip --remove-section=.comment --remove-section=.note "$tree/usr/bin/$package"
    python3 "$packaging/manpage.py" "$bin/$package" "$section" "$version" "$day" \
        | gzip -9n >"$tree/usr/share/man/man$section/$package.$section.gz"
    install -m 0644 "$packaging/debian/copyright" "$doc/copyright"
    if [ -f "$packaging/debian/$package/lintian-overrides" ]; then
        install -D -m 0644 "$packaging/debian/$package/lintian-overrides" "$tree/usr/share/lintian/overrides/$package"
    fi
    {
        printf 'starling (%s) unstable; urgency=medium\n\n' "$version"
        printf '  * Release %s; what it holds is in the project'"'"'s CHANGELOG.md.\n\n' "$version"
        printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$epoch")"
    } | gzip -9n >"$doc/changelog.gz"

    if [ -n "$config" ]; then
        install -D -m 0644 "$packaging/systemd/$package.service" "$tree/lib/systemd/system/$package.service"
        install -D -m 0644 "$packaging/config/$config.yaml" "$tree/etc/starling/$config.yaml"
        echo "/etc/starling/$config.yaml" >"$tree/DEBIAN/conffiles"
        local script
        for script in postinst prerm postrm; do
            install -m 0755 "$packaging/debian/daemon/$script" "$tree/DEBIAN/$script"
            substitute "$tree/DEBIAN/$script" \
                CONFIGURE "$(fragment "$package" postinst.configure "    :")" \
                START_WHEN "$(fragment "$package" postinst.start-when true)" \
                PURGE "$(fragment "$package" postrm.purge "    :")" \
                PACKAGE "$package"
        done
    fi

    local depends
    depends="$(cd "$work/source" && dpkg-shlibdeps -O -e"$tree/usr/bin/$package" | sed -n 's/^shlibs:Depends=//p')"
    install -m 0644 "$packaging/debian/$package/control" "$tree/DEBIAN/control"
    substitute "$tree/DEBIAN/control" \
        VERSION "$version" ARCH "$arch" MAINTAINER "$maintainer" DEPENDS "$depends" \
        SIZE "$(du -sk --apparent-size --exclude=DEBIAN "$tree" | cut -f1)"
    (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
    chmod 0644 "$tree/DEBIAN/md5sums"
    find "$tree" -exec touch --no-dereference -d "@$epoch" {} +
    dpkg-deb --root-owner-group -Zxz --build "$tree" "$out/${package}_${version}_${arch}.deb" >/dev/null
    echo "$out/${package}_${version}_${arch}.deb"
}

build starling 1
build starling-agent 8 agent
build starling-aggregator 8 aggregator
