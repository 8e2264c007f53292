#!/usr/bin/env bash
# The GPU acceptance run, for a machine with an NVIDIA GPU (the device machine): `info`, the MIG
# profiles against nvidia-smi's, and `bench streams`. Reads the card, changes none of its
# settings. Writes everything to $OUT when set (the device machine's return folder), else to
# build/gpu-test/. Commit what it measured under results/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build/gpu-test}
mkdir -p "$out"
bin=build/gpushare

echo "== environment"
nvidia-smi --query-gpu=name,driver_version,pci.bus_id,compute_mode,mig.mode.current \
    --format=csv,noheader || true
"$bin" version
if "$bin" version | grep -q 'commit unknown'; then
    echo "gpu-test: warning: no commit recorded; run as GIT_COMMIT=\$(git rev-parse HEAD) make gpu-test" >&2
fi

echo "== gpushare info"
"$bin" info | tee "$out/info.txt"
"$bin" info --json > "$out/info.json"

echo "== MIG profiles: gpushare against nvidia-smi mig -lgip / -lgipp"
nvidia-smi mig -lgip > "$out/lgip.txt" 2>&1 || true
nvidia-smi mig -lgipp > "$out/lgipp.txt" 2>&1 || true
status=0
python3 tools/compare_mig.py "$out/info.json" "$out/lgip.txt" "$out/lgipp.txt" \
    | tee "$out/mig-compare.txt" || status=1

echo "== gpushare bench streams"
"$bin" bench streams -o "$out/streams.json" "$@" | tee "$out/streams.txt" || status=1
echo "gpu-test: done (status $status); results in $out"
exit "$status"
