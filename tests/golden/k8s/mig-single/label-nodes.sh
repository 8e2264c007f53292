#!/usr/bin/env bash
# Labels every node named as an argument to use the NVIDIA device-plugin config
# 'gpushare-mig-single' and the mig-parted config 'gpushare-1g.10gbx7'. The plugin's config-manager reloads the plugin;
# mig-manager repartitions the GPUs first, pausing the node's GPU pods (watch the label
# nvidia.com/mig.config.state).
# Written by gpushare, which never runs it. Usage: gpushare-mig-single.sh NODE...
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 NODE..." >&2
    exit 2
fi
for NODE in "$@"; do
    kubectl label node "$NODE" nvidia.com/device-plugin.config=gpushare-mig-single \
        nvidia.com/mig.config=gpushare-1g.10gbx7 --overwrite
done
