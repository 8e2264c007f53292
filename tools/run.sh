#!/usr/bin/env bash
# `make run`: the main job. With a GPU: `info`, the live MIG profiles against the catalog, then
# the full `bench streams`, `bench timeslice`, `bench mps` and `bench mig` studies, their results documents
# in build/results/. Without one: the GPU parts are skipped with one line saying so, and the
# committed device results are shown instead, through the same table code. Either way it ends
# with the planner's answer to the canonical question: 40 small models on one A100-80GB.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bin=build/gpushare

# The canonical question: which mode for 40 small inference models on one A100-80GB? MIG alone
# cannot (7 instances at most): the plan says so and lists what can. Exit 1 means "does not
# fit", which is the answer here, not a failure.
plan40() {
    echo
    echo "make run: 40 small models on one A100-80GB (tests/fixtures/demands-good-40-models.yaml):"
    "$bin" mig plan tests/fixtures/demands-good-40-models.yaml --gpu A100-80GB || true
}

# MPS for the same 40 models: the daemon's start and stop scripts and systemd unit, with the
# thread percentage the MPS doc advises for 40 clients and what it measured on the GPU of $1;
# and the Kubernetes files that share one GPU 40 ways through the device plugin's MPS.
emit40() {
    echo
    echo "make run: MPS deployment files for 40 clients, from $1:"
    mkdir -p build/deploy
    "$bin" emit mps --out build/deploy/mps --clients 40 --results "$1" --force
    echo
    echo "make run: the same 40 clients through the Kubernetes device plugin's MPS sharing:"
    "$bin" emit k8s --mode mps --replicas 40 --out build/deploy/k8s-mps --force
}

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
    echo "make run: no usable NVIDIA GPU here ($reason): skipped 'gpushare info', 'gpushare mig profiles --live' and 'gpushare bench streams|timeslice|mps|mig'"
    show_saved streams
    show_saved timeslice
    show_saved mps-contention
    show_saved mps
    show_saved mig
    plan40
    emit40 "$(find results -maxdepth 1 -name '*-mps.json' | sort | tail -n 1)"
    exit 0
elif ((status != 0)); then
    cat build/info.err >&2
    exit "$status"
fi
cat build/info.txt
"$bin" mig profiles --live
mkdir -p build/results
stamp=$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)
status=0
for mode in streams timeslice mps mig; do
    out=build/results/$mode-$stamp.json
    "$bin" bench "$mode" -o "$out" || status=$?
    echo "make run: results document in $out"
    ((status == 130)) && break
done
if ((status != 130)); then
    plan40
    emit40 "build/results/mps-$stamp.json"
fi
exit "$status"
