#!/usr/bin/env bash
# `make run`: the main job. With a GPU: `info`, then the full `bench streams` study, its results
# document in build/results/. Without one: the GPU parts are skipped with one line saying so,
# and the committed device results are shown instead, through the same table code.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bin=build/gpushare

"$bin" info >build/info.txt 2>build/info.err
status=$?
if ((status == 69)); then
    reason=$(head -n 1 build/info.err | sed 's/^gpushare: no GPU: //')
    echo "make run: no usable NVIDIA GPU here ($reason): skipped 'gpushare info' and 'gpushare bench streams'"
    shopt -s nullglob
    saved=(results/*streams*.json)
    if ((${#saved[@]} > 0)); then
        latest=${saved[-1]}
        echo "make run: showing the last committed device results, $latest"
        "$bin" show "$latest"
    fi
    exit 0
elif ((status != 0)); then
    cat build/info.err >&2
    exit "$status"
fi
cat build/info.txt
mkdir -p build/results
out=build/results/streams-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ).json
"$bin" bench streams -o "$out"
status=$?
echo "make run: results document in $out"
exit "$status"
