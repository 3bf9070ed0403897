#!/usr/bin/env bash
# Stream jobs and their faults, tested from client connections on throwaway clusters (a
# worker's commits are invisible inside a #[pg_test]'s rolled-back transaction). Covers:
# a full replay and its results; live progress; NOTIFY alerts; cancel within 1 s; target and
# source dropped mid-run; DROP EXTENSION mid-run; pg_terminate_backend and pg_cancel_backend on the
# worker; databases dropped or renamed under it; worker slots exhausted; SIGKILL of the worker; fast shutdown within
# 5 s; and the same replay with the library preloaded. Usage: bash tests/stream.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh

failures=0
pass() { echo "  ok   $1"; }
fail() { echo "  FAIL $1"; failures=$((failures + 1)); }
check() {  # check "what" "$actual" "$expected"
    if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', expected '$3'"; fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d stream_test -c "$1"; }
now() { date +%s.%N; }
elapsed_ms() { python3 -c "print(int((float('$2') - float('$1')) * 1000))"; }
# Poll `sql` (a boolean) every 0.1 s until true or `seconds` pass; echoes the wait in ms.
wait_for() {
    local sql=$1 seconds=$2 t0
    t0=$(now)
    while [ "$(q "$sql")" != t ]; do
        if [ "$(elapsed_ms "$t0" "$(now)")" -gt $((seconds * 1000)) ]; then echo timeout; return 0; fi
        sleep 0.1
    done
    elapsed_ms "$t0" "$(now)"
}
new_db() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -c "DROP DATABASE IF EXISTS stream_test" -c "CREATE DATABASE stream_test" >/dev/null
    q "CREATE EXTENSION anomdet" >/dev/null
    # 20,000 rows a minute apart with 40 labelled spikes, and a slow 3,000-row series.
    q "SELECT anomdet.generate('src', 'sine', length => 20000, period => 200, amplitude => 3, level => 20, noise => 0.2, seed => 1)" >/dev/null
    q "SELECT anomdet.inject('src', 'spike', '{value}', '{\"magnitude\": 5}', seed => 2, count => 40)" >/dev/null
    q "SELECT anomdet.generate('slow', 'sine', length => 3000, period => 100, amplitude => 3, level => 20, noise => 0.2, seed => 3)" >/dev/null
}
status_of() { q "SELECT status FROM anomdet.jobs WHERE id = $1"; }

full_replay() {  # $1: label
    local job waited
    job=$(q "SELECT anomdet.run_stream('src', 'value', 'replayed', 'zscore')")
    waited=$(wait_for "SELECT status <> 'running' AND status <> 'queued' FROM anomdet.jobs WHERE id = $job" 60)
    check "$1: full-speed replay ends succeeded" "$(status_of "$job")" succeeded
    check "$1: every row replayed into the target" "$(q "SELECT count(*) FROM replayed")" 20000
    check "$1: every row carries its score in the target" "$(q "SELECT count(score) FROM replayed")" 19970
    check "$1: job_results() reads the target's scores" "$(q "SELECT count(*) FROM anomdet.job_results($job)")" 20000
    check "$1: results keep the flagged rows and the row ending each event" "$(q "SELECT count(*) FILTER (WHERE is_anomaly) = (SELECT anomalies FROM anomdet.jobs WHERE id = $job) AND count(*) FILTER (WHERE NOT is_anomaly) BETWEEN (SELECT count(*) - 1 FROM anomdet.events WHERE job_id = $job) AND (SELECT count(*) FROM anomdet.events WHERE job_id = $job) FROM anomdet.results WHERE job_id = $job")" t
    check "$1: each event ends where the target's run of flags ends" "$(q "SELECT count(*) FROM anomdet.events e WHERE e.job_id = $job AND (SELECT count(*) FROM replayed t WHERE t.ts BETWEEN e.start_ts AND e.end_ts AND t.is_anomaly) <> e.rows")" 0
    check "$1: progress counts match" "$(q "SELECT rows_read = 20000 AND anomalies > 0 AND latency_p50_ms >= 0 AND latency_p99_ms >= latency_p50_ms FROM anomdet.jobs WHERE id = $job")" t
    check "$1: flagged rows carry latency, expected value and bounds" "$(q "SELECT bool_and(latency_ms >= 0 AND expected IS NOT NULL AND lower_bound < upper_bound) FROM anomdet.results WHERE job_id = $job")" t
    check "$1: scores equal the online detect() of the source" "$(q "SELECT count(*) FROM anomdet.job_results($job) r FULL JOIN anomdet.detect('src', 'value', 'zscore', mode => 'online') d USING (ts) WHERE r.score IS DISTINCT FROM d.score OR r.is_anomaly IS DISTINCT FROM d.is_anomaly")" 0
    check "$1: evaluate() works on the stream job" "$(q "SELECT value > 0.5 FROM anomdet.evaluate($job) WHERE metric = 'event_recall'")" t
    echo "  ..   $1: 20,000 rows replayed in ${waited} ms ($(q "SELECT round(rows_per_second) FROM anomdet.jobs WHERE id = $job") rows/s, p50 $(q "SELECT round(latency_p50_ms::numeric, 3) FROM anomdet.jobs WHERE id = $job") ms, p99 $(q "SELECT round(latency_p99_ms::numeric, 3) FROM anomdet.jobs WHERE id = $job") ms)"
}

echo "== stream jobs without shared_preload_libraries"
cluster_start "max_worker_processes = 6"
new_db
full_replay "plain"

# Alerts: a client LISTENing receives one JSON notification per anomaly event, at its first row.
psql -X -d stream_test -c "LISTEN anomdet_alerts" -c "SELECT pg_sleep(4)" -c "SELECT 1" >"$CLUSTER_DIR/listen.out" 2>&1 &
listener=$!
sleep 0.5
job=$(q "SELECT anomdet.run_stream('src', 'value', 'alerted', 'zscore')")
wait_for "SELECT status = 'succeeded' FROM anomdet.jobs WHERE id = $job" 30 >/dev/null
wait $listener
check "NOTIFY: one alert per anomaly event" "$(grep -c 'Asynchronous notification "anomdet_alerts"' "$CLUSTER_DIR/listen.out")" "$(q "SELECT count(*) FROM anomdet.events WHERE job_id = $job")"
check "events: their rows add up to the flagged rows" "$(q "SELECT (SELECT sum(rows) FROM anomdet.events WHERE job_id = $job) = anomalies FROM anomdet.jobs WHERE id = $job")" t
check "NOTIFY: the payload is JSON naming the job" "$(grep -m1 -o "\"job_id\" : $job" "$CLUSTER_DIR/listen.out" | head -1)" "\"job_id\" : $job"
# A batch job with notify => true and a scheduled run (notify is on by default) announce theirs too.
psql -X -d stream_test -c "LISTEN anomdet_alerts" -c "SELECT pg_sleep(3)" -c "SELECT 1" >"$CLUSTER_DIR/listen2.out" 2>&1 &
listener=$!
sleep 0.5
batch=$(q "SELECT anomdet.run_batch('src', 'value', 'zscore', notify => true)")
quiet=$(q "SELECT anomdet.run_batch('src', 'value', 'zscore')")
q "SELECT anomdet.score_new_rows('{\"source\": \"src\", \"value_column\": \"value\"}')" >/dev/null
wait $listener
check "NOTIFY: run_batch(notify => true) announces each event" "$(grep -c "\"job_id\" : $batch," "$CLUSTER_DIR/listen2.out")" "$(q "SELECT count(*) FROM anomdet.events WHERE job_id = $batch")"
check "NOTIFY: run_batch is quiet by default" "$(grep -c "\"job_id\" : $quiet," "$CLUSTER_DIR/listen2.out" || true)" 0
scheduled=$(q "SELECT job_id FROM anomdet.watermarks")
check "NOTIFY: score_new_rows announces each event" "$(grep -c "\"job_id\" : $scheduled," "$CLUSTER_DIR/listen2.out")" "$(q "SELECT count(*) FROM anomdet.events WHERE job_id = $scheduled")"

# A stream scored with a stored model: every row as detect() scores it with that model.
q "SELECT anomdet.train('src_ewma', 'src', 'value', 'ewma', end_time => (SELECT min(ts) + interval '2000 minutes' FROM src))" >/dev/null
job=$(q "SELECT anomdet.run_stream('src', 'value', 'modelled', model => 'src_ewma')")
wait_for "SELECT status = 'succeeded' FROM anomdet.jobs WHERE id = $job" 30 >/dev/null
check "model: the stream job records its model" "$(q "SELECT detector || ' ' || model FROM anomdet.jobs WHERE id = $job")" "ewma src_ewma"
check "model: the stream scores as detect() with the model" "$(q "SELECT count(*) FROM anomdet.job_results($job) r FULL JOIN anomdet.detect('src', 'value', model => 'src_ewma') d USING (ts) WHERE r.score IS DISTINCT FROM d.score OR r.is_anomaly IS DISTINCT FROM d.is_anomaly")" 0

# A batch-only detector's model streams too: each row judged by the window it completes.
q "SELECT anomdet.train('src_knn', 'src', 'value', 'knn', end_time => (SELECT min(ts) + interval '2000 minutes' FROM src))" >/dev/null
job=$(q "SELECT anomdet.run_stream('src', 'value', 'modelled_knn', model => 'src_knn')")
wait_for "SELECT status = 'succeeded' FROM anomdet.jobs WHERE id = $job" 60 >/dev/null
check "model: a batch-only detector's model streams as detect() scores with it" "$(q "SELECT count(*) FROM anomdet.job_results($job) r FULL JOIN anomdet.detect('src', 'value', model => 'src_knn') d USING (ts) WHERE r.score IS DISTINCT FROM d.score OR r.is_anomaly IS DISTINCT FROM d.is_anomaly")" 0

# A multivariate model streams its columns: every row as detect_columns scores it with the
# model, the flagged ones kept in anomdet.results with their columns' shares.
q "CREATE TABLE msrc AS SELECT timestamptz '2024-06-01 00:00+00' + i * interval '1 minute' AS ts, x AS cpu,
     2 * x + ((i * 13) % 7) / 10.0 + CASE WHEN i IN (1500, 1700) THEN -15 ELSE 0 END AS load, ((i * 11) % 50) / 10.0 AS disk
   FROM generate_series(0, 1999) AS i, LATERAL (SELECT ((i * 37) % 100) / 10.0 AS x) v" >/dev/null
q "SELECT anomdet.train_columns('msrc_pca', 'msrc', ARRAY['cpu', 'load', 'disk'], 'pca', end_time => '2024-06-01 20:00+00')" >/dev/null
job=$(q "SELECT anomdet.run_stream('msrc', 'cpu', 'mstream', model => 'msrc_pca')")
wait_for "SELECT status = 'succeeded' FROM anomdet.jobs WHERE id = $job" 60 >/dev/null
check "model: a multivariate model's stream records it" "$(q "SELECT detector || ' ' || model || ' ' || rows_read FROM anomdet.jobs WHERE id = $job")" "pca msrc_pca 2000"
check "model: a multivariate model's stream scores as detect_columns with it" "$(q "SELECT count(*) FROM mstream t FULL JOIN anomdet.detect_columns('msrc', ARRAY['cpu', 'load', 'disk'], model => 'msrc_pca') d USING (ts) WHERE t.score IS DISTINCT FROM d.score OR t.is_anomaly IS DISTINCT FROM d.is_anomaly")" 0
check "model: the stream's flagged rows carry their columns' shares" "$(q "SELECT string_agg(to_char(ts AT TIME ZONE 'UTC', 'HH24:MI') || ' ' || (SELECT key FROM jsonb_each_text(contributions) ORDER BY value::float8 DESC LIMIT 1), ', ' ORDER BY ts) FROM anomdet.results WHERE job_id = $job AND is_anomaly")" "01:00 load, 04:20 load"

# Anomalies planted as rows pass: labelled on the target like anomdet.inject, evaluated, undone.
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'planted', 'zscore', inject => '{\"method\": \"spike\", \"params\": {\"magnitude\": 6}, \"count\": 8, \"seed\": 4}')")
wait_for "SELECT status = 'succeeded' FROM anomdet.jobs WHERE id = $job" 30 >/dev/null
check "inject: 8 labelled rows on the target" "$(q "SELECT count(*) FROM anomdet.labels WHERE relid = 'planted'::regclass")" 8
check "inject: exactly the labelled rows differ from the source" "$(q "SELECT count(*) FILTER (WHERE p.value IS DISTINCT FROM s.value) = 8 AND bool_and((p.value IS DISTINCT FROM s.value) = (l.ts IS NOT NULL)) FROM planted p JOIN slow s USING (ts) LEFT JOIN anomdet.labels l ON l.relid = 'planted'::regclass AND l.ts = p.ts")" t
check "inject: evaluate() uses the planted labels" "$(q "SELECT value FROM anomdet.evaluate($job) WHERE metric = 'labelled_ranges'")" 8
check "inject: revert_injection restores the replayed values" "$(q "SELECT anomdet.revert_injection((SELECT injection_id FROM anomdet.labels WHERE relid = 'planted'::regclass LIMIT 1))")" 8
check "inject: after revert the target equals the source" "$(q "SELECT count(*) FROM planted p JOIN slow s USING (ts) WHERE p.value IS DISTINCT FROM s.value")" 0

# Live progress at speed-up 6000 (a minute of recorded time per 10 ms): ~100 rows a second.
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'paced', 'ewma', speedup => 6000)")
sleep 1.5
first=$(q "SELECT rows_read FROM anomdet.running_jobs WHERE id = $job")
check "progress: shown in running_jobs, written within the last second" "$(q "SELECT progress_at > clock_timestamp() - interval '1 second' AND stream_time IS NOT NULL AND rows_per_second > 0 FROM anomdet.running_jobs WHERE id = $job")" t
check "progress: the pace follows the speed-up (80..130 rows/s)" "$(q "SELECT rows_per_second BETWEEN 80 AND 130 FROM anomdet.jobs WHERE id = $job")" t
sleep 1
check "progress: rows_read grows" "$(q "SELECT rows_read > $first FROM anomdet.jobs WHERE id = $job")" t
check "results since a timestamp while it runs" "$(q "SELECT count(*) > 0 FROM anomdet.job_results($job, '2024-01-01 00:30+00')")" t

# Cancel: the status is cancelled at once, the worker is gone and writing stops within 1 s.
t0=$(now)
q "SELECT anomdet.cancel_job($job)" >/dev/null
gone=$(wait_for "SELECT NOT anomdet._stream_alive($job, (SELECT pid FROM pg_stat_activity WHERE application_name = 'anomdet job $job'))" 5)
check "cancel: status cancelled" "$(status_of "$job")" cancelled
check "cancel: worker exits within 1 s" "$([ "$gone" != timeout ] && [ "$gone" -le 1000 ] && echo yes || echo "no ($gone ms)")" yes
rows=$(q "SELECT count(*) FROM paced")
sleep 0.5
check "cancel: rows already written stay, no more arrive" "$(q "SELECT count(*) FROM paced")" "$rows"
check "cancel: rows were written before the cancel" "$([ "$rows" -gt 0 ] && echo yes)" yes

# The target dropped mid-run, then the source dropped mid-run: failed, with a message.
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'doomed', 'zscore', speedup => 6000)")
sleep 0.5
q "DROP TABLE doomed"
wait_for "SELECT status = 'failed' FROM anomdet.jobs WHERE id = $job" 5 >/dev/null
check "target dropped: job failed" "$(status_of "$job")" failed
check "target dropped: the error says so" "$(q "SELECT error LIKE '%doomed%' FROM anomdet.jobs WHERE id = $job")" t
q "CREATE TABLE slow_copy AS SELECT * FROM slow" >/dev/null
job=$(q "SELECT anomdet.run_stream('slow_copy', 'value', 'orphan', 'zscore', speedup => 6000)")
sleep 0.5
q "DROP TABLE slow_copy"
wait_for "SELECT status = 'failed' FROM anomdet.jobs WHERE id = $job" 5 >/dev/null
check "source dropped: job failed" "$(status_of "$job")" failed
check "source dropped: the error says so" "$(q "SELECT error LIKE '%source table was dropped%' FROM anomdet.jobs WHERE id = $job")" t

# DROP EXTENSION while a stream runs (E7): the worker stops, nothing crashes, and after CREATE
# EXTENSION a new stream runs to the end.
crashes_before=$(grep -c "terminated by signal" "$CLUSTER_DIR/server.log" || true)
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'unhooked', 'zscore', speedup => 600)")
sleep 0.5
q "DROP EXTENSION anomdet CASCADE" >/dev/null
gone=$(wait_for "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'anomdet job $job'" 5)
check "DROP EXTENSION mid-run: the worker exits within 2 s" "$([ "$gone" != timeout ] && [ "$gone" -le 2000 ] && echo yes || echo "no ($gone ms)")" yes
check "DROP EXTENSION mid-run: no process crashed" "$(grep -c "terminated by signal" "$CLUSTER_DIR/server.log" || true)" "$crashes_before"
check "DROP EXTENSION mid-run: rows written before it stay" "$(q "SELECT count(*) > 0 FROM unhooked")" t
q "CREATE EXTENSION anomdet" >/dev/null
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'rehooked', 'zscore')")
wait_for "SELECT status = 'succeeded' FROM anomdet.jobs WHERE id = $job" 10 >/dev/null
check "CREATE EXTENSION again: a new stream runs to the end" "$(q "SELECT status || ' ' || rows_read FROM anomdet.jobs WHERE id = $job")" "succeeded 3000"

# pg_terminate_backend and pg_cancel_backend on the worker (E2): it leaves within 2 s and the job
# records why (failed on SIGTERM, which a shutdown also sends; cancelled on a cancel).
for sig in terminate cancel; do
    job=$(q "SELECT anomdet.run_stream('slow', 'value', 'signalled_$sig', 'zscore', speedup => 600)")
    wait_for "SELECT status = 'running' AND rows_read > 0 FROM anomdet.jobs WHERE id = $job" 5 >/dev/null
    pid=$(q "SELECT backend_pid FROM anomdet.jobs WHERE id = $job")
    q "SELECT pg_${sig}_backend($pid)" >/dev/null
    gone=$(wait_for "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid" 5)
    check "pg_${sig}_backend: the worker exits within 2 s" "$([ "$gone" != timeout ] && [ "$gone" -le 2000 ] && echo yes || echo "no ($gone ms)")" yes
    expected=$([ $sig = terminate ] && echo "failed: the worker was stopped by SIGTERM" || echo "cancelled: the worker was sent a cancel")
    check "pg_${sig}_backend: the job records why" "$(q "SELECT status || ': ' || error FROM anomdet.job_records WHERE id = $job" | cut -c1-${#expected})" "$expected"
done

# Databases changing under running workers (E6): dropping another database is not held up by
# them; renaming theirs fails at once (PostgreSQL's rule while anyone is connected); dropping
# theirs WITH (FORCE) stops them promptly.
q "CREATE DATABASE other_db" >/dev/null
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'bystander', 'zscore', speedup => 300)")
t0=$(now)
q "DROP DATABASE other_db" >/dev/null
check "DROP DATABASE of another database with a worker running: within 2 s" "$([ "$(elapsed_ms "$t0" "$(now)")" -le 2000 ] && echo yes)" yes
check "DROP DATABASE of another database: the stream runs on" "$(status_of "$job")" running
q "SELECT anomdet.cancel_job($job)" >/dev/null
psql -X -q -c "CREATE DATABASE doomed_db" >/dev/null
psql -X -qAt -d doomed_db -c "CREATE EXTENSION anomdet" -c "SELECT anomdet.generate('s', 'sine', length => 3000, period => 100, seed => 3)" >/dev/null
psql -X -qAt -d doomed_db -c "SELECT anomdet.run_stream('s', 'value', 't', 'zscore', speedup => 300)" >/dev/null
wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'doomed_db' AND backend_type = 'anomdet stream'" 5 >/dev/null
t0=$(now)
out=$(psql -X -qAt -v VERBOSITY=verbose -c "ALTER DATABASE doomed_db RENAME TO renamed_db" 2>&1 || true)
# (PostgreSQL itself waits up to 5 s for other sessions to leave before refusing.)
check "ALTER DATABASE RENAME under a worker: 55006 after PostgreSQL's 5 s wait" "$(echo "$out" | grep -q 55006 && [ "$(elapsed_ms "$t0" "$(now)")" -le 6000 ] && echo yes || echo "$out")" yes
t0=$(now)
psql -X -q -c "DROP DATABASE doomed_db WITH (FORCE)"
check "DROP DATABASE WITH (FORCE) under a worker: within 5 s" "$([ "$(elapsed_ms "$t0" "$(now)")" -le 5000 ] && echo yes)" yes
check "DROP DATABASE WITH (FORCE): the worker is gone" "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = 'doomed_db'")" 0

# Worker slots exhausted: a clear 53400 at start, and nothing left behind by the failed call.
for i in 1 2 3 4 5 6; do
    out=$(psql -X -qAt -v VERBOSITY=verbose -d stream_test -c "SELECT anomdet.run_stream('slow', 'value', 'busy_$i', 'zscore', speedup => 60)" 2>&1 || true)
    case "$out" in *"no background worker slot"*) break ;; esac
done
check "slots exhausted: clear 53400 error naming max_worker_processes" "$(echo "$out" | grep -q '53400: run_stream: no background worker slot is free (max_worker_processes)' && echo yes || echo "$out")" yes
check "slots exhausted: the failed call left no table" "$(q "SELECT to_regclass('busy_$i') IS NULL")" t
q "SELECT anomdet.cancel_job(id) FROM anomdet.running_jobs" >/dev/null
# Cancelled workers leave within a second; their slots are free again after that.
freed=$(wait_for "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'anomdet stream'" 5)
check "slots exhausted: cancelling frees the slots within 1 s" "$([ "$freed" != timeout ] && [ "$freed" -le 1000 ] && echo yes || echo "no ($freed ms)")" yes
check "slots exhausted: no job row for the failed call" "$(q "SELECT count(*) FROM anomdet.jobs WHERE target LIKE '%busy_$i'")" 0

# SIGKILL of the worker: the postmaster restarts every backend; the job is not shown as
# running, and the next job call marks it failed with the reason.
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'killed', 'zscore', speedup => 600)")
sleep 0.5
pid=$(q "SELECT backend_pid FROM anomdet.jobs WHERE id = $job")
kill -9 "$pid"
for _ in $(seq 50); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && q "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
check "SIGKILL: not shown in running_jobs" "$(q "SELECT count(*) FROM anomdet.running_jobs WHERE id = $job")" 0
check "SIGKILL: the job list shows it failed, with the reason, at once" "$(q "SELECT status || ': ' || error FROM anomdet.jobs WHERE id = $job" | cut -c1-41)" "failed: no worker is running this job any"
q "SELECT anomdet._reap_lost_jobs()" >/dev/null
check "SIGKILL: the next job call records it" "$(q "SELECT status FROM anomdet.job_records WHERE id = $job")" failed

# Immediate shutdown (a crash) and restart: the same.
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'crashed', 'zscore', speedup => 600)")
sleep 0.5
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null
check "server crash and restart: the job shows failed, with the reason" "$(q "SELECT status || ': ' || error FROM anomdet.jobs WHERE id = $job" | cut -c1-41)" "failed: no worker is running this job any"
check "server crash and restart: not in running_jobs" "$(q "SELECT count(*) FROM anomdet.running_jobs")" 0

# Fast shutdown while a stream runs: stops within 5 s; after restart the job is failed.
job=$(q "SELECT anomdet.run_stream('slow', 'value', 'interrupted', 'zscore', speedup => 600)")
sleep 0.5
t0=$(now)
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
stop_ms=$(elapsed_ms "$t0" "$(now)")
check "fast shutdown within 5 s" "$([ "$stop_ms" -le 5000 ] && echo yes || echo "no ($stop_ms ms)")" yes
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null
check "shutdown: the job ended failed, with the reason" "$(q "SELECT status || ': ' || error FROM anomdet.jobs WHERE id = $job")" "failed: the worker was stopped by SIGTERM (pg_terminate_backend, or the server shutting down)"
cluster_stop

echo "== stream jobs with shared_preload_libraries = 'anomdet'"
cluster_start "shared_preload_libraries = 'anomdet'"
new_db
full_replay "preloaded"
cluster_stop

if [ "$failures" -gt 0 ]; then
    echo "stream: $failures check(s) failed"
    exit 1
fi
echo "stream: all checks passed"
