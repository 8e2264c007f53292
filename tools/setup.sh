#!/usr/bin/env bash
# Installs what `make test` and `make run` need, from Debian's packages and npm only: the C
# test, JSON and YAML libraries, clang for the fuzzers, shellcheck, Node.js for the schema validator.
# As root it installs what is missing; otherwise it names the packages and fails. nvcc is not a
# Debian package here: without it gpushare is built without CUDA and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(make gcc libc6-dev libcmocka-dev libjansson-dev libyaml-dev clang libclang-rt-dev clang-format
    shellcheck python3)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
# Node.js may come from Debian (nodejs + npm) or another source; only the commands matter.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing Debian packages: ${missing[*]}" >&2
        echo "setup: run 'sudo apt-get install ${missing[*]}' or 'make test' as root" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A tree installed before a dependency was added lacks it: install again from the lock file.
if [[ ! -d tools/node_modules/ajv || ! -d tools/node_modules/kubernetes-models ||
    ! -d tools/node_modules/yaml ]]; then
    echo "setup: npm ci in tools/ (ajv for JSON Schema, kubernetes-models and yaml for manifests)" >&2
    npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi

nvcc=${NVCC:-${CUDA_HOME:-/usr/local/cuda}/bin/nvcc}
if [[ ! -x $nvcc ]] && ! command -v nvcc >/dev/null 2>&1; then
    echo "setup: no nvcc at $nvcc: gpushare is built without CUDA (info and bench exit 69)" >&2
fi
