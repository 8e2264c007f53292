#!/usr/bin/env bash
# Unpacks Debian's jansson (headers and static library) into .deps/ so the device machine,
# which has nvcc but no package registry, can build gpushare. Run here, carry .deps there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.deps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download libjansson-dev libjansson4 >/dev/null)
rm -rf "$dest"
mkdir -p "$dest"
for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$tmp/root"
done
mkdir -p "$dest/include" "$dest/lib"
cp "$tmp"/root/usr/include/jansson*.h "$dest/include/"
cp "$tmp"/root/usr/lib/x86_64-linux-gnu/libjansson.a "$dest/lib/"
echo "vendor-deps: jansson headers and libjansson.a in $dest"
