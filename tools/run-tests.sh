#!/usr/bin/env bash
# Runs the cmocka suites given as arguments from the repository root, under ASan and UBSan, and
# ends with one "N passed, N failed" line over all of them. Any failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-protect_shadow_gap=0:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export GPUSHARE_BIN=${GPUSHARE_BIN:-$PWD/build/asan/gpushare}
mkdir -p build/test-out

passed=0 failed=0 failed_suites=()
for t in "$@"; do
    log=build/test-out/$(basename "$t").log
    if "$t" >"$log" 2>&1; then
        status=0
    else
        status=$?
    fi
    n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    passed=$((passed + ${n:-0}))
    failed=$((failed + ${f:-0}))
    if ((status != 0)); then
        cat "$log"
        failed_suites+=("$(basename "$t") (exit $status)")
        ((${f:-0} > 0)) || failed=$((failed + 1)) # a crash counts even with no cmocka line
    else
        echo "ok   $(basename "$t"): ${n:-0} tests"
    fi
done
echo "unit tests: $passed passed, $failed failed"
if ((${#failed_suites[@]} > 0)); then
    echo "failed: ${failed_suites[*]}" >&2
    exit 1
fi
