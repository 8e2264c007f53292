#!/usr/bin/env bash
# Validates the Kubernetes manifests gpushare writes against the Kubernetes OpenAPI schemas
# (tools/validate-k8s.mjs, through the kubernetes-models package): the golden files of every
# `gpushare emit k8s` case, which tests/test_emit_k8s.c keeps byte-equal to what the binary
# writes, and those `gpushare plan --emit` wrote for the canonical example in tests/test_plan_cli.c.
# Known-bad manifests must be refused, so a validator that accepts everything fails
# here instead of passing silently.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

shopt -s nullglob
good=(tests/golden/k8s/*/manifests/*.yaml build/test-out/plan-emit/k8s/manifests/*.yaml)
bad=(tests/fixtures/k8s-bad-*.yaml)
if ((${#good[@]} == 0 || ${#bad[@]} == 0)); then
    echo "validate-k8s: error: no golden manifests or no known-bad fixtures" >&2
    exit 1
fi
for f in "${bad[@]}"; do
    if node tools/validate-k8s.mjs "$f" >/dev/null 2>&1; then
        echo "validate-k8s: error: the known-bad $f was accepted" >&2
        exit 1
    fi
done
echo "validate-k8s: ${#bad[@]} known-bad manifests refused"
node tools/validate-k8s.mjs "${good[@]}"
echo "validate-k8s: ${#good[@]} manifests valid"
