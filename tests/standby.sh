#!/usr/bin/env bash
# A hot standby (E11): a streaming replica made with pg_basebackup. On it, read-only analysis
# works (detect, evaluate of a replicated job), every call that would write is refused with
# 25006 (never XX000), nothing runs and nothing is logged but those refusals; after promotion
# stream jobs run. Takes about 20 s. Usage: bash tests/standby.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh

failures=0
check() {
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
# On the standby; prints the SQLSTATE of a failing call, or "ok".
sq() { psql -X -qAt -v ON_ERROR_STOP=1 -h "$STANDBY_DIR" -p "$STANDBY_PORT" -c "$1"; }
sqlstate_on_standby() {
    local out
    if out=$(psql -X -qAt -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$STANDBY_DIR" -p "$STANDBY_PORT" -c "$1" 2>&1); then
        echo ok
    else
        echo "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1
    fi
}

echo "== a hot standby"
cluster_start "anomdet.allow_superuser_jobs = on"
q "CREATE EXTENSION anomdet" >/dev/null
q "SELECT anomdet.generate('src', 'sine', length => 3000, period => 100, amplitude => 3, level => 20, noise => 0.2, seed => 3)" >/dev/null
q "SELECT anomdet.inject('src', 'spike', '{value}', '{\"magnitude\": 6}', seed => 4, count => 10)" >/dev/null
job=$(q "SELECT anomdet.run_batch('src', 'value', 'mad')")

STANDBY_DIR=$(mktemp -d /tmp/anomdet-standby.XXXXXX)
chmod 755 "$STANDBY_DIR"
chown postgres "$STANDBY_DIR"
STANDBY_PORT=$(free_port)
stop_standby() {
    as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$STANDBY_DIR"
    cluster_stop
}
trap stop_standby EXIT
as_postgres "$PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$STANDBY_DIR/data" -R -X stream >/dev/null
{
    echo "port = $STANDBY_PORT"
    echo "unix_socket_directories = '$STANDBY_DIR'"
} | as_postgres tee -a "$STANDBY_DIR/data/postgresql.conf" >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR/data" -l "$STANDBY_DIR/server.log" -w start >/dev/null
check "the standby is in recovery" "$(sq "SELECT pg_is_in_recovery()")" t

# Read-only analysis works on the replica and equals the primary's.
check "detect on the standby equals detect on the primary" \
    "$(sq "SELECT md5(string_agg(ts::text || score::text || is_anomaly::text, ',' ORDER BY ts)) FROM anomdet.detect('src', 'value', 'mad')")" \
    "$(q "SELECT md5(string_agg(ts::text || score::text || is_anomaly::text, ',' ORDER BY ts)) FROM anomdet.detect('src', 'value', 'mad')")"
check "evaluate of a replicated job on the standby" \
    "$(sq "SELECT round(value::numeric, 6) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")" \
    "$(q "SELECT round(value::numeric, 6) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")"
check "job lists and labels read on the standby" "$(sq "SELECT (SELECT count(*) FROM anomdet.jobs) || ' ' || (SELECT count(*) FROM anomdet.labels)")" \
    "$(q "SELECT (SELECT count(*) FROM anomdet.jobs) || ' ' || (SELECT count(*) FROM anomdet.labels)")"

# Everything that writes is refused cleanly by the read-only transaction.
check "run_stream on the standby: 25006" "$(sqlstate_on_standby "SELECT anomdet.run_stream('src', 'value', 'live', 'mad')")" 25006
check "run_batch on the standby: 25006" "$(sqlstate_on_standby "SELECT anomdet.run_batch('src', 'value', 'mad')")" 25006
check "inject on the standby: 25006" "$(sqlstate_on_standby "SELECT anomdet.inject('src', 'spike', '{value}', count => 1)")" 25006
check "score_new_rows on the standby: 25006" "$(sqlstate_on_standby "SELECT anomdet.score_new_rows('{\"source\": \"src\", \"value_column\": \"value\"}')")" 25006
check "cancel_job on the standby: 25006" "$(sqlstate_on_standby "SELECT anomdet.cancel_job($job)")" 25006
check "no worker started on the standby" "$(sq "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'anomdet stream'")" 0
sleep 1
check "standby log: nothing but the refusals" \
    "$(grep -E "ERROR|FATAL|PANIC|terminated by signal" "$STANDBY_DIR/server.log" | grep -vc "read-only transaction" || true)" 0

# After promotion, streams run.
as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR/data" -w promote >/dev/null
check "promoted" "$(sq "SELECT pg_is_in_recovery()")" f
job=$(sq "SELECT anomdet.run_stream('src', 'value', 'live', 'mad')")
for _ in $(seq 100); do [ "$(sq "SELECT status FROM anomdet.jobs WHERE id = $job")" = succeeded ] && break; sleep 0.1; done
check "after promotion a stream runs to the end" "$(sq "SELECT status || ' ' || rows_read FROM anomdet.jobs WHERE id = $job")" "succeeded 3000"

if [ "$failures" -ne 0 ]; then echo "standby: $failures check(s) failed"; exit 1; fi
echo "standby: all checks passed"
