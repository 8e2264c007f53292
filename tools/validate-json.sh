#!/usr/bin/env bash
# Validates every results document in the tree against docs/results.schema.json and every plan
# document against docs/plan.schema.json with ajv (an implementation independent of our C
# checkers): results/*.json, the documents the unit tests leave in build/test-out/, and the
# fixtures. Known-bad fixtures must be rejected, so a validator that accepts everything fails
# here instead of passing silently.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

validator=tools/validate-json.mjs

if ! command -v node >/dev/null 2>&1; then
    echo "validate-json: error: node is not installed (tools/setup.sh installs it)" >&2
    exit 1
fi
if [[ ! -d tools/node_modules ]]; then
    npm ci --prefix tools --no-audit --no-fund
fi

shopt -s nullglob

# validate SCHEMA KIND GOOD_GLOB... -- BAD...: every bad fixture rejected (status 1, an error
# naming a JSON path; status 2 means the validator could not run, which proves nothing), then
# every good document valid.
validate() {
    local schema=$1 kind=$2 f status out
    shift 2
    local good=() bad=()
    while (($# > 0)) && [[ $1 != -- ]]; do good+=("$1"); shift; done
    shift
    bad=("$@")
    if ((${#bad[@]} == 0)); then
        echo "validate-json: error: no known-bad $kind fixtures" >&2
        exit 1
    fi
    for f in "${bad[@]}"; do
        status=0
        out=$(node "$validator" "$schema" "$f" 2>&1) || status=$?
        if ((status != 1)) || ! grep -q "^$f: /" <<<"$out"; then
            echo "validate-json: error: '$f' is known to be bad but was not rejected (status $status)" >&2
            printf '%s\n' "$out" >&2
            exit 1
        fi
    done
    echo "validate-json: ${#bad[@]} known-bad $kind fixtures rejected"
    if ((${#good[@]} == 0)); then
        echo "validate-json: error: no $kind documents to validate" >&2
        exit 1
    fi
    node "$validator" "$schema" "${good[@]}" >/dev/null
    echo "validate-json: ${#good[@]} $kind documents valid against $schema"
}

# Results documents: committed, left by the unit tests, and the fixtures.
validate docs/results.schema.json results tests/fixtures/results-good-*.json results/*.json \
    build/test-out/*.json -- tests/fixtures/results-bad-*.json
# Plan documents: the ones test_plan_cli writes (every shipped example among them).
validate docs/plan.schema.json plan build/test-out/plans/*.json -- tests/fixtures/plan-bad-*.json
