#!/usr/bin/env bash
# `make run`: the main job. With a GPU: `info`, then the full `bench streams` and `bench
# timeslice` studies, their results documents in build/results/. Without one: the GPU parts are
# skipped with one line saying so, and the committed device results are shown instead, through
# the same table code.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bin=build/gpushare

# The newest committed document of one kind, shown where no GPU can measure it.
show_saved() {
    local saved
    saved=$(find results -maxdepth 1 -name "*-$1.json" | sort | tail -n 1)
    if [ -n "$saved" ]; then
        echo "make run: showing the last committed device results, $saved"
        "$bin" show "$saved"
    fi
}

"$bin" info >build/info.txt 2>build/info.err
status=$?
if ((status == 69)); then
    reason=$(head -n 1 build/info.err | sed 's/^gpushare: no GPU: //')
    echo "make run: no usable NVIDIA GPU here ($reason): skipped 'gpushare info', 'gpushare bench streams' and 'gpushare bench timeslice'"
    show_saved streams
    show_saved timeslice
    exit 0
elif ((status != 0)); then
    cat build/info.err >&2
    exit "$status"
fi
cat build/info.txt
mkdir -p build/results
stamp=$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)
status=0
for mode in streams timeslice; do
    out=build/results/$mode-$stamp.json
    "$bin" bench "$mode" -o "$out" || status=$?
    echo "make run: results document in $out"
    ((status == 130)) && break
done
exit "$status"
