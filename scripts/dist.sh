#!/usr/bin/env bash
# `make dist`: one self-contained binary and a tarball to copy to a server.
#
#   dist/cognito-fcgi                                       the release binary
#   dist/cognito-fcgi-<version>-linux-<arch>.tar.gz         that binary + deploy/ + docs/DEPLOY.md + README.md
#
# "Self-contained" means the binary needs nothing beyond glibc (and libstdc++/libgcc_s, which every Debian
# has): the Swift runtime and Foundation are linked in (--static-swift-stdlib) and so are libfcgi and
# libargon2, from the libfcgi.a and libargon2.a that Debian's -dev packages ship.
#
# How the two C libraries end up static without touching Package.swift: its .systemLibrary targets get their
# linker flags from pkg-config files (fcgi.pc, libargon2.pc: `-L${libdir} -lfcgi`), and the linker resolves
# `-lNAME` with the first -L folder holding libNAME.so or libNAME.a, preferring the .so within a folder.
# Debian keeps both in /usr/lib/<triplet>, so the .so would win. We give SwiftPM (PKG_CONFIG_PATH) copies of
# the two .pc files whose libdir is a folder holding only symlinks to the two .a files: `-lfcgi` and
# `-largon2` find the archives there. The result is checked with ldd below.
#
# usage: scripts/dist.sh [--scratch-path DIR] [--out DIR]
#   --scratch-path DIR   SwiftPM's build folder (default .build, as in a clean clone)
#   --out DIR            where the binary and tarball go (default dist)
#   VERSION=...          the version in the tarball's name (default: git describe, else "dev")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
if [ -x /opt/swift/usr/bin/swift ]; then PATH="/opt/swift/usr/bin:$PATH"; fi

scratch=".build"
out="dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --scratch-path) scratch="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "usage: $0 [--scratch-path DIR] [--out DIR]" >&2; exit 2 ;;
    esac
done
case "$scratch" in /*) ;; *) scratch="$root/$scratch" ;; esac
case "$out" in /*) ;; *) out="$root/$out" ;; esac

version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
arch="$(uname -m)"
name="cognito-fcgi-$version-linux-$arch"

# The folder of static archives, and pkg-config files pointing at it (see above).
static_libs="$scratch/static-libs"
rm -rf "$static_libs"
mkdir -p "$static_libs/pkgconfig"
for lib in fcgi:libfcgi.a libargon2:libargon2.a; do
    pc="${lib%%:*}"
    archive="${lib#*:}"
    pcdir="$(pkg-config --variable=pcfiledir "$pc" 2>/dev/null || true)"
    libdir="$(pkg-config --variable=libdir "$pc" 2>/dev/null || true)"
    if [ -z "$pcdir" ] || [ -z "$libdir" ] || ! [ -f "$libdir/$archive" ]; then
        echo "dist: $archive not found (pkg-config $pc: libdir ${libdir:-none}); install libfcgi-dev and libargon2-dev (make deps)" >&2
        exit 1
    fi
    ln -s "$libdir/$archive" "$static_libs/$archive"
    sed "s|^libdir=.*|libdir=$static_libs|" "$pcdir/$pc.pc" >"$static_libs/pkgconfig/$pc.pc"
done
export PKG_CONFIG_PATH="$static_libs/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

echo "dist: building release ($name) in $scratch"
swift build -c release --product cognito-fcgi --scratch-path "$scratch" --static-swift-stdlib
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/cognito-fcgi"

# Refuse a binary that still needs the toolchain or the C libraries at run time.
deps="$(ldd "$bin")"
if grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libfcgi|libargon2|/opt/swift|not found' <<<"$deps" >&2; then
    echo "dist: $bin is not self-contained (see the lines above)" >&2
    exit 1
fi

mkdir -p "$out"
install -m 0755 "$bin" "$out/cognito-fcgi.tmp"
mv "$out/cognito-fcgi.tmp" "$out/cognito-fcgi"

# The tarball: one top folder named like the file, owned by root, files in a stable order.
stage="$(mktemp -d "$out/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/docs"
install -m 0755 "$out/cognito-fcgi" "$stage/$name/cognito-fcgi"
cp -R deploy "$stage/$name/deploy"
install -m 0644 docs/DEPLOY.md "$stage/$name/docs/DEPLOY.md"
install -m 0644 README.md "$stage/$name/README.md"
chmod -R u=rwX,go=rX "$stage/$name"
mtime="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -czf "$out/$name.tar.gz.tmp" "$name"
mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"

echo "dist: $out/cognito-fcgi ($(du -h "$out/cognito-fcgi" | cut -f1)), needs only:"
sed 's/^/    /' <<<"$deps"
echo "dist: $out/$name.tar.gz"
