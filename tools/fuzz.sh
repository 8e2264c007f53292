#!/usr/bin/env bash
# Runs one libFuzzer binary for N seconds on a scratch copy of its seed corpus, so the repo's
# corpus stays the few hand-written seeds; crash inputs land in build/fuzz-artifacts/.
#
#   tools/fuzz.sh build/fuzz/fuzz_results 10
set -euo pipefail
cd "$(dirname "$0")/.."

fuzzer=$1
seconds=${2:-10}
name=$(basename "$fuzzer")
seeds=tests/fuzz/corpus_${name#fuzz_}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build/fuzz-artifacts
if [[ -d $seeds ]]; then
    cp -r "$seeds/." "$work/"
fi
log=build/fuzz-artifacts/$name.log
if ASAN_OPTIONS=detect_leaks=1 "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=build/fuzz-artifacts/"$name"- "$work" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "ok   $name: ${runs:-?} inputs in ${seconds}s, no crash"
else
    tail -n 40 "$log"
    echo "FAIL $name: see $log and build/fuzz-artifacts/" >&2
    exit 1
fi
