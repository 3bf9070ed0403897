#!/usr/bin/env bash
# Evaluate every online detector on the NAB subset in ../shared/data/nab (skips when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/install.sh >/dev/null
source scripts/cluster.sh
cluster_start
echo "nab_eval: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
python3 bench/nab_eval.py
cluster_stop
