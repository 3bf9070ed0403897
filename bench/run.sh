#!/usr/bin/env bash
# Run the benchmarks on throwaway clusters (a release build of anomdet is installed first), on
# PostgreSQL 15 and then 18 (scripts/servers.sh), so their ratios can be read side by side.
# Usage: bash bench/run.sh [--server 15|18|both] [--rows N] [--fleet-sizes 1000,10000] [detect|inject|versions|hypertable|models|fleet]...
#        (default: both servers, suites detect inject; --rows sizes the detection table, 1,000,000). Prints medians of 5 runs and ratios
# against baselines measured in the same run on the same server. The hypertable and fleet suites
# preload TimescaleDB.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=(15 18) suites=() psql_vars=()
while [ $# -gt 0 ]; do
    case "$1" in
        --server) shift; [ "$1" = both ] && servers=(15 18) || servers=("$1") ;;
        --rows) shift; psql_vars+=(-v "rows=$1") ;;
        --fleet-sizes) shift; psql_vars+=(-v "fleet_sizes=$1") ;;
        *) suites+=("$1") ;;
    esac
    shift
done
[ ${#suites[@]} -eq 0 ] && suites=(detect inject)
bash scripts/setup.sh >/dev/null
source scripts/servers.sh
for server in "${servers[@]}"; do
    (
        use_server "$server"
        bash scripts/install.sh >/dev/null
        source scripts/cluster.sh
        preload=()
        [[ " ${suites[*]} " =~ " "(hypertable|fleet)" " ]] && preload=("shared_preload_libraries = 'timescaledb'" "timescaledb.telemetry_level = off")
        cluster_start "shared_buffers = '512MB'" "work_mem = '64MB'" "${preload[@]}"
        psql -X -q -c "CREATE EXTENSION anomdet"
        echo "bench: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores, $(psql -X -qAt -c 'SHOW server_version')"
        for suite in "${suites[@]}"; do
            psql -X -q -P footer=off "${psql_vars[@]}" -f "bench/$suite.sql"
        done
        cluster_stop
    )
done
