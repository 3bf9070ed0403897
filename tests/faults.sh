#!/usr/bin/env bash
# Injection under a crash (reliability checklist D6): a large in-place injection is killed with
# SIGKILL mid-statement, and separately interrupted by an immediate shutdown; after recovery
# the table equals its pre-injection checksum and the ledger holds no trace of the injection.
# Runs on a throwaway cluster of its own. Usage: bash tests/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
failures=0
check() {  # check "what" "$actual" "$expected"
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d faults -c "$1"; }
ready_count() { grep -c "database system is ready to accept connections" "$CLUSTER_DIR/server.log" || true; }
# Wait until the server has restarted after a crash: one more "ready" line in its log than
# `$1` (a query right after the kill can still reach the server before it notices the crash).
wait_restarted() {
    for _ in $(seq 150); do
        [ "$(ready_count)" -gt "$1" ] && q "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "  FAIL the server did not come back"; exit 1
}
# Start an injection of 90% of 2M rows in the background; echo its backend pid once it runs.
start_injection() {
    psql -X -qAt -d faults -c "SELECT anomdet.inject('big', 'noise', '{value}', seed => $1, percent => 90)" \
        >/dev/null 2>&1 &
    for _ in $(seq 100); do
        pid=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT anomdet.inject(%' AND state = 'active'")
        [ -n "$pid" ] && { sleep 1.5; echo "$pid"; return 0; }
        sleep 0.1
    done
    echo "  FAIL the injection did not start"; exit 1
}
state() { q "SELECT md5(string_agg(value::text, ',' ORDER BY ts)) || ' ' || (SELECT count(*) FROM anomdet.injections) || ' ' || (SELECT count(*) FROM anomdet.injection_cells) FROM big"; }

echo "== injections interrupted by crashes"
cluster_start
psql -X -q -c "CREATE DATABASE faults"
q "CREATE EXTENSION anomdet"
q "CREATE TABLE big AS SELECT timestamptz '2024-01-01' + i * interval '1 second' AS ts, sin(i / 300.0) AS value
   FROM generate_series(1, 2000000) AS i"
before=$(state)

pid=$(start_injection 1)
readies=$(ready_count)
kill -9 "$pid"
wait || true
wait_restarted "$readies"
check "SIGKILL mid-injection: table and ledger as before" "$(state)" "$before"

pid=$(start_injection 2)
readies=$(ready_count)
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null
wait || true
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null
wait_restarted "$readies"
check "immediate shutdown mid-injection: table and ledger as before" "$(state)" "$before"

# And the table still takes an injection and its exact revert afterwards.
id=$(q "SELECT anomdet.inject('big', 'spike', '{value}', seed => 3, count => 5)")
q "SELECT anomdet.revert_injection($id)" >/dev/null
check "after recovery: inject and revert are exact" "$(q "SELECT md5(string_agg(value::text, ',' ORDER BY ts)) FROM big")" "${before%% *}"
cluster_stop
if [ "$failures" -gt 0 ]; then echo "faults: $failures check(s) failed"; exit 1; fi
echo "faults: all checks passed"
