#!/usr/bin/env bash
# Scheduled detection for real, with pg_cron (Debian's postgresql-15-cron, minute resolution):
# a non-superuser schedules anomdet.scheduled_detect every minute; rows inserted after a run
# are scored by the next run, and no row is scored twice. Also: two concurrent runs share the
# work without overlap. Takes about two minutes. Usage: bash tests/schedule.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
if [ ! -f /usr/share/postgresql/15/extension/pg_cron.control ]; then
    echo "schedule: pg_cron is not installed (apt install postgresql-15-cron); skipping"
    exit 0
fi
failures=0
check() {
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -U "${AS:-postgres}" -d postgres -c "$1"; }
wait_runs() {  # wait until the watermark has seen $1 runs, at most 80 s
    for _ in $(seq 160); do
        [ "$(q "SELECT coalesce(max(runs), 0) >= $1 FROM anomdet.watermarks")" = t ] && return 0
        sleep 0.5
    done
    echo "  ..   timed out waiting for run $1"
}

cluster_start "shared_preload_libraries = 'pg_cron'" "cron.database_name = 'postgres'" \
    "cron.use_background_workers = on" "max_worker_processes = 16"
q "CREATE EXTENSION pg_cron; CREATE EXTENSION anomdet; CREATE ROLE alice LOGIN; GRANT USAGE ON SCHEMA cron TO alice; \
   GRANT CREATE ON SCHEMA public TO alice" >/dev/null
export AS=alice
q "SELECT anomdet.generate('live', 'sine', length => 1000, period => 100, amplitude => 3, level => 20, noise => 0.2, seed => 1)" >/dev/null
q "SELECT cron.schedule('anomdet-live', '* * * * *', \$\$CALL anomdet.scheduled_detect(0, '{\"source\": \"live\", \"value_column\": \"value\"}')\$\$)" >/dev/null
echo "== waiting for pg_cron's first run (up to a minute)"
wait_runs 1
check "first run scored the 1000 rows there were" "$(q "SELECT count(*) FROM anomdet.results")" 1000
check "the schedule runs as its owner, not a superuser" "$(q "SELECT owner FROM anomdet.watermarks")" alice
q "INSERT INTO live SELECT ts + interval '1000 minutes', value + CASE WHEN ts = '2024-01-01 01:00+00' THEN 30 ELSE 0 END FROM live ORDER BY ts LIMIT 200"
echo "== waiting for the next run"
wait_runs 2
check "the next run scored exactly the 200 new rows" "$(q "SELECT count(*) FROM anomdet.results")" 1200
check "no row scored twice" "$(q "SELECT count(DISTINCT ts) FROM anomdet.results")" 1200
check "the spike in the new rows is flagged" "$(q "SELECT is_anomaly FROM anomdet.results WHERE ts = '2024-01-01 17:40+00'")" t
check "scores equal one online pass over all rows" "$(q "SELECT count(*) FROM anomdet.job_results((SELECT job_id FROM anomdet.watermarks)) r FULL JOIN anomdet.detect('live', 'value', 'zscore', mode => 'online') d USING (ts) WHERE r.score IS DISTINCT FROM d.score")" 0
check "pg_cron recorded its runs as succeeded" "$(q "SELECT count(*) >= 2 AND bool_and(status = 'succeeded') FROM cron.job_run_details")" t
q "SELECT cron.unschedule('anomdet-live')" >/dev/null

# Two runs at once on new rows: the watermark lock makes one wait for the other.
q "INSERT INTO live SELECT ts + interval '2000 minutes', value FROM live WHERE ts < '2024-01-01 16:40+00' ORDER BY ts LIMIT 500"
config='{"source": "live", "value_column": "value"}'
q "SELECT anomdet.score_new_rows('$config'), pg_sleep(0.5)" >"$CLUSTER_DIR/a.out" &
q "SELECT anomdet.score_new_rows('$config'), pg_sleep(0.5)" >"$CLUSTER_DIR/b.out" &
wait
check "concurrent runs split the 500 new rows without overlap" "$(cat "$CLUSTER_DIR/a.out" "$CLUSTER_DIR/b.out" | cut -d'|' -f1 | sort -n | tr '\n' ' ')" "0 500 "
check "still no row scored twice" "$(q "SELECT count(*) = count(DISTINCT ts) FROM anomdet.results")" t
unset AS
cluster_stop
if [ "$failures" -gt 0 ]; then echo "schedule: $failures check(s) failed"; exit 1; fi
echo "schedule: all checks passed"
