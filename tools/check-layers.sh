#!/bin/sh
# Fails when an include in src/ points up the layers. A module may include its own layer and
# the layers before it in this order (README.md, "Layout"):
#   core  gpu  results  mig  fleet  bench  plan  emit  report  cli
# main.c sits above cli. tools/check-layers.sh DIR checks DIR in place of src (make test also
# runs it on tests/fixtures/layers-bad, which it must refuse).
set -eu
cd "$(dirname "$0")/.."
SRC=${1:-src}
LAYERS="core gpu results mig fleet bench plan emit report cli"

rank() {
    i=0
    for l in $LAYERS; do
        [ "$l" = "$1" ] && { echo "$i"; return; }
        i=$((i + 1))
    done
    echo 99
}

bad=0
files=0
for f in "$SRC"/*/*.c "$SRC"/*/*.h "$SRC"/*/*.cu; do
    [ -e "$f" ] || continue
    files=$((files + 1))
    from=$(basename "$(dirname "$f")")
    rf=$(rank "$from")
    if [ "$rf" = 99 ]; then
        echo "check-layers: $f: '$from' is no layer: add it to tools/check-layers.sh" >&2
        bad=1
        continue
    fi
    # '#include "layer/file.h"' lines, with their line numbers
    grep -n '^#include "[a-z_]*/' "$f" | while IFS= read -r line; do
        n=${line%%:*}
        to=${line#*\"}
        to=${to%%/*}
        rt=$(rank "$to")
        if [ "$rt" -gt "$rf" ]; then
            echo "check-layers: $f:$n: $from/ includes $to/, a layer above it ($LAYERS)"
        fi
    done
done >"${TMPDIR:-/tmp}/gpushare-layers.$$"
if [ -s "${TMPDIR:-/tmp}/gpushare-layers.$$" ]; then
    cat "${TMPDIR:-/tmp}/gpushare-layers.$$" >&2
    bad=1
fi
rm -f "${TMPDIR:-/tmp}/gpushare-layers.$$"
[ "$bad" = 0 ] || exit 1
echo "ok   layers: $files files include only their own layer and those below"
