#!/usr/bin/env bash
# Run the benchmarks on a throwaway cluster (a release build of anomdet is installed first).
# Usage: bash bench/run.sh [detect|inject|hypertable|models]...   (default: detect inject). Prints
# medians of 5 runs and ratios against baselines measured in the same run. The hypertable
# suite preloads TimescaleDB.
set -euo pipefail
cd "$(dirname "$0")/.."
suites=("$@"); [ ${#suites[@]} -eq 0 ] && suites=(detect inject)
bash scripts/setup.sh >/dev/null
bash scripts/install.sh >/dev/null
source scripts/cluster.sh
preload=()
[[ " ${suites[*]} " == *" hypertable "* ]] && preload=("shared_preload_libraries = 'timescaledb'" "timescaledb.telemetry_level = off")
cluster_start "shared_buffers = '512MB'" "work_mem = '64MB'" "${preload[@]}"
psql -X -q -c "CREATE EXTENSION anomdet"
echo "bench: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores"
for suite in "${suites[@]}"; do
    psql -X -q -P footer=off -f "bench/$suite.sql"
done
cluster_stop
