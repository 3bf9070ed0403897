#!/usr/bin/env bash
# SQLsmith (reliability checklist C5, the CI sample): 3,000 random queries, seeded, against a
# database holding anomdet with a job, an injection and its catalog rows. SQLsmith draws from
# every function and relation, PostgreSQL's included, and also writes (INSERT, UPDATE, DELETE,
# MERGE on our catalog too). Must hold: no process terminated by a signal, no PANIC, and no
# internal error (XX000) raised by anomdet's code (PostgreSQL's own XX000s for odd casts are
# counted, not failed). Takes about 30 s. Usage: bash tests/sqlsmith.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
if ! command -v sqlsmith >/dev/null; then echo "sqlsmith: not installed (apt install sqlsmith)"; exit 1; fi
QUERIES=${SQLSMITH_QUERIES:-3000}

cluster_start "log_error_verbosity = verbose" "statement_timeout = '5s'"
psql -X -q -c "CREATE DATABASE smith"
psql -X -q -d smith -c "CREATE EXTENSION anomdet" \
    -c "SELECT anomdet.generate('m', 'sine', length => 500, period => 50, seed => 1)" \
    -c "SELECT anomdet.inject('m', 'spike', '{value}', seed => 2, count => 3)" \
    -c "SELECT anomdet.run_batch('m', 'value', 'mad')" >/dev/null
start=$(date +%s)
timeout 600 sqlsmith --target="host=$PGHOST port=$PGPORT dbname=smith user=postgres" --seed=1 \
    --max-queries="$QUERIES" >"$CLUSTER_DIR/sqlsmith.out" 2>&1 || true
log=$CLUSTER_DIR/server.log
crashes=$(grep -cE "terminated by signal|PANIC" "$log" || true)
# An XX000 is ours when its LOCATION is a Rust file.
ours=$(grep -A1 "ERROR:  XX000" "$log" | grep -c "LOCATION:.*\.rs" || true)
theirs=$(grep -c "ERROR:  XX000" "$log" || true)
echo "  ..   $QUERIES queries in $(( $(date +%s) - start )) s: $(grep -c "ERROR:" "$log" || true) errors logged," \
     "$theirs internal errors ($ours from anomdet), $crashes crashes"
if [ "$crashes" -ne 0 ] || [ "$ours" -ne 0 ]; then
    grep -E -B2 -A6 "terminated by signal|PANIC|LOCATION:.*\.rs" "$log" | head -60
    echo "sqlsmith: FAILED"; exit 1
fi
echo "sqlsmith: all checks passed"
