#!/usr/bin/env bash
# Validates every results document in the tree against docs/results.schema.json with ajv
# (an implementation independent of our C checker): results/*.json, the documents the unit
# tests leave in build/test-out/, and the fixtures. Known-bad fixtures must be rejected, so a
# validator that accepts everything fails here instead of passing silently.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

schema=docs/results.schema.json
validator=tools/validate-json.mjs

if ! command -v node >/dev/null 2>&1; then
    echo "validate-json: error: node is not installed (tools/setup.sh installs it)" >&2
    exit 1
fi
if [[ ! -d tools/node_modules ]]; then
    npm ci --prefix tools --no-audit --no-fund
fi

shopt -s nullglob
good=(tests/fixtures/results-good-*.json results/*.json build/test-out/*.json)
bad=(tests/fixtures/results-bad-*.json)

if ((${#bad[@]} == 0)); then
    echo "validate-json: error: no known-bad fixtures (tests/fixtures/results-bad-*.json)" >&2
    exit 1
fi

# Self-check: each bad fixture must be rejected as invalid (status 1), with an error that
# names a JSON path; status 2 means the validator could not run, which proves nothing.
for f in "${bad[@]}"; do
    status=0
    out=$(node "$validator" "$schema" "$f" 2>&1) || status=$?
    if ((status != 1)) || ! grep -q "^$f: /" <<<"$out"; then
        echo "validate-json: error: '$f' is known to be bad but was not rejected (status $status)" >&2
        printf '%s\n' "$out" >&2
        exit 1
    fi
done
echo "validate-json: ${#bad[@]} known-bad fixtures rejected"

node "$validator" "$schema" "${good[@]}"
echo "validate-json: ${#good[@]} documents valid"
