#!/usr/bin/env bash
# `make run`: the main job. First the answer to the canonical question (40 small models on one
# A100-80GB: which sharing mode, and what breaks with the others), from the device results
# committed under results/; then, with a GPU, `info`, the live MIG profiles and the full
# `bench streams`, `bench timeslice`, `bench mps` and `bench mig` studies (results documents in
# build/results/) and the answer again from this run's figures; without one, one line saying
# what was skipped and the committed device results. It ends by writing the artifacts of the
# answer to build/deploy/40-models/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bin=build/gpushare
log=build/make-run.log
example=40-models-a100-80gb

# Set-up and build go to a log, so the answer is the first thing on the screen.
mkdir -p build
if ! { tools/setup.sh && make --no-print-directory -s "$bin"; } >"$log" 2>&1; then
    echo "make run: set-up or build failed; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
fi

# The canonical answer, and its artifacts. $1: more plan options (--results FILE...).
answer() {
    "$bin" plan --example "$example" "$@"
}
artifacts() {
    echo
    echo "make run: the artifacts of that answer:"
    "$bin" plan --example "$example" "$@" --emit build/deploy/40-models --force --table >/dev/null &&
        find build/deploy/40-models -type f | sort | sed 's/^/  /'
}

# The newest committed document of one kind, shown where no GPU can measure it.
show_saved() {
    local saved
    saved=$(find results -maxdepth 1 -name "*-$1.json" | sort | tail -n 1)
    if [ -n "$saved" ]; then
        echo
        echo "make run: the last committed device results, $saved:"
        "$bin" show "$saved"
    fi
}

answer
"$bin" info >build/info.txt 2>build/info.err
status=$?
if ((status == 69)); then
    reason=$(head -n 1 build/info.err | sed 's/^gpushare: no GPU: //')
    echo
    echo "make run: no usable NVIDIA GPU here ($reason): skipped 'gpushare info', 'gpushare mig profiles --live' and 'gpushare bench streams|timeslice|mps|mig'; the answer above uses the committed device results"
    artifacts
    for kind in streams timeslice mps-contention mps mig; do
        show_saved "$kind"
    done
    exit 0
elif ((status != 0)); then
    cat build/info.err >&2
    exit "$status"
fi
echo
cat build/info.txt
"$bin" mig profiles --live
mkdir -p build/results
stamp=$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)
status=0
docs=()
for mode in streams timeslice mps mig; do
    out=build/results/$mode-$stamp.json
    "$bin" bench "$mode" -o "$out" || status=$?
    echo "make run: results document in $out"
    docs+=(--results "$out")
    ((status == 130)) && exit 130
done
echo
echo "make run: the answer again, from this run's figures where this GPU is an A100-80GB:"
answer "${docs[@]}" | head -n 4
artifacts "${docs[@]}"
exit "$status"
