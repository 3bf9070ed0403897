#!/usr/bin/env bash
# Run the benchmarks on a throwaway cluster (a release build of anomdet is installed first).
# Usage: bash bench/run.sh        Prints medians of 5 runs and ratios against in-run baselines.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/install.sh >/dev/null
source scripts/cluster.sh
cluster_start "shared_buffers = '512MB'" "work_mem = '64MB'"
psql -X -q -c "CREATE EXTENSION anomdet"
echo "bench: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores"
psql -X -q -P footer=off -f bench/detect.sql
cluster_stop
