#!/usr/bin/env bash
# Unpacks Debian's jansson and libyaml (headers and static libraries) into .deps/ so the device machine,
# which has nvcc but no package registry, can build gpushare. Run here, carry .deps there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.deps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download libjansson-dev libjansson4 libyaml-dev >/dev/null)
rm -rf "$dest"
mkdir -p "$dest"
for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$tmp/root"
done
mkdir -p "$dest/include" "$dest/lib"
cp "$tmp"/root/usr/include/jansson*.h "$tmp"/root/usr/include/yaml.h "$dest/include/"
cp "$tmp"/root/usr/lib/x86_64-linux-gnu/libjansson.a "$tmp"/root/usr/lib/x86_64-linux-gnu/libyaml.a \
    "$dest/lib/"
echo "vendor-deps: jansson and libyaml headers and static libraries in $dest"
