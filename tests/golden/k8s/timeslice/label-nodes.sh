#!/usr/bin/env bash
# Labels every node named as an argument to use the NVIDIA device-plugin config
# 'gpushare-timeslice'. The plugin's config-manager reloads the plugin.
# Written by gpushare, which never runs it. Usage: gpushare-timeslice.sh NODE...
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 NODE..." >&2
    exit 2
fi
for NODE in "$@"; do
    kubectl label node "$NODE" nvidia.com/device-plugin.config=gpushare-timeslice --overwrite
done
