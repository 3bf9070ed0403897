#!/usr/bin/env bash
# Citus (#23): a coordinator and two workers, each a local PostgreSQL on its own port with
# Citus preloaded and anomdet installed, joined by citus_set_coordinator_host / citus_add_node.
# What it checks, on a table distributed by its series column (8 shards, 6 hosts, so some
# shards are empty) against a plain copy of the same rows on the coordinator:
#   - detect (whole, or a time range), run_batch, evaluate, benchmark, scheduled runs (score_new_rows,
#     and pg_cron on the coordinator calling scheduled_detect) and a stream replayed from
#     the distributed table on the coordinator give cell for cell the single-node answer;
#   - a stream from the distributed table writes into a target distributed by its series;
#   - detect, run_batch and benchmark handle each series on the worker holding it (counted by the workers'
#     function statistics), and say so when a table is distributed by another column;
#   - each shard scored where it lives (run_command_on_shards) succeeds, empty shards included,
#     and the shards' flags together are the single-node flags;
#   - an injection into the distributed table (written shard by shard, rows found by time and
#     key) changes only the labelled cells, and its revert is exact (full-table checksums).
# Skips with a message where ../shared/tools/citus.sh is absent. Takes about a minute (most of it
# waiting for pg_cron's minute).
# Usage: bash tests/citus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/citus_cluster.sh
citus_available || exit 0

failures=0
check() {
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}

# pg_cron on every node (Citus first); its jobs run on the coordinator's database.
citus_cluster_start 2 "track_functions = 'all'" "shared_preload_libraries = 'citus,pg_cron'" "cron.database_name = 'postgres'"
coordinator=$CITUS_COORDINATOR worker1=${CITUS_WORKERS[0]} worker2=${CITUS_WORKERS[1]}
c() { on "$coordinator" -c "$1"; }
echo "== Citus $(c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"): a coordinator (port $coordinator) and 2 workers ($worker1, $worker2)"
check "two active workers" "$(c "SELECT count(*) FROM citus_get_active_worker_nodes()")" 2

# 6 hosts x 3,000 rows, one planted spike per host; distributed by host over 8 shards (so at
# least 2 are empty), and the same rows in a plain table on the coordinator.
c "CREATE TABLE m (host text NOT NULL, ts timestamptz NOT NULL, value float8)" >/dev/null
c "SELECT create_distributed_table('m', 'host', shard_count => 8)" >/dev/null
c "INSERT INTO m SELECT 'host-' || h, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute',
     20 + h + 3 * sin(i / 50.0) + (hashint4(i * 7 + h) % 1000) / 1000.0 + CASE WHEN i = 1000 + 300 * h THEN 25 ELSE 0 END
   FROM generate_series(1, 6) h, generate_series(0, 2999) i"
c "CREATE TABLE m_local AS SELECT * FROM m" >/dev/null
check "the distributed table holds every row" "$(c "SELECT count(*) FROM m")" 18000
empty_shards=$(c "SELECT count(*) FROM run_command_on_shards('m', \$\$SELECT count(*) FROM %s\$\$) WHERE result = '0'")
check "some shards are empty" "$([ "$empty_shards" -ge 1 ] && echo yes)" yes

# Detection on the coordinator: the same answer as on one node, cell for cell.
scored() {
    echo "SELECT series, ts, value, score, probability, is_anomaly, expected, lower_bound, upper_bound
          FROM anomdet.detect('$1', 'value', '$2', series_column => 'host', mode => '$3')"
}
for spec in "zscore online" "mad batch" "sentinel online"; do
    set -- $spec
    check "detect $1 ($2) on the distributed table equals the single-node answer" \
        "$(c "SELECT count(*) FROM (($(scored m "$1" "$2")) EXCEPT ALL ($(scored m_local "$1" "$2"))) d")|$(c "SELECT count(*) FROM ($(scored m "$1" "$2")) d")" \
        "0|18000"
done
check "the planted spikes are found, one per host" \
    "$(c "SELECT count(DISTINCT series) FROM anomdet.detect('m', 'value', 'mad', series_column => 'host', only_anomalies => true)")" 6

# Where the scoring ran: every series on the worker that holds it, none on the coordinator.
calls() { on "$1" -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = '${2:-_scored_series}'"; }
worker_calls() { echo $(( $(calls "$worker1" "$@") + $(calls "$worker2" "$@") )); }
# Calls (of _scored_series, or of function $2) since the start, once the workers' statistics
# show that many (an idle backend reports them within a second or two), or what they show after 10 s.
calls_reach() {
    local n
    for _ in $(seq 1 50); do
        n=$(( $(worker_calls "${@:2}") - ${before_calls_of:-$before_calls} ))
        [ "$n" -ge "$1" ] && break
        sleep 0.2
    done
    echo "$n"
}
before_calls=$(worker_calls)
c "SELECT count(*) FROM anomdet.detect('m', 'value', 'mad', series_column => 'host')" >/dev/null
check "detect scored the 6 series on the workers" "$(calls_reach 6)|$(calls "$coordinator")" "6|0"
# Distributed by another column: pulled to the coordinator, with a notice that says why.
c "CREATE TABLE m_by_ts AS SELECT * FROM m_local" >/dev/null
c "SELECT create_distributed_table('m_by_ts', 'ts', shard_count => 4)" >/dev/null 2>&1
notice=$(on "$coordinator" -c "SELECT count(*) FROM anomdet.detect('m_by_ts', 'value', 'mad', series_column => 'host')" 2>&1 >/dev/null)
check "a table distributed by another column says it is scored on the coordinator" \
    "$(echo "$notice" | grep -c 'scored on the coordinator: it is distributed by ts, not by the series_column')" 1
check "and gives the single-node answer" \
    "$(c "SELECT count(*) FROM (($(scored m_by_ts mad batch)) EXCEPT ALL ($(scored m_local mad batch))) d" 2>/dev/null)" 0

# A batch job from the distributed table: its results and evaluation equal the local one's.
job=$(c "SELECT anomdet.run_batch('m', 'value', 'mad', series_column => 'host')")
local_job=$(c "SELECT anomdet.run_batch('m_local', 'value', 'mad', series_column => 'host')")
check "run_batch scored its series on the workers" "$(calls_reach 12)" 12
check "run_batch on the distributed table" "$(c "SELECT status || ' ' || rows_scored || ' ' || series_count FROM anomdet.jobs WHERE id = $job")" "succeeded 18000 6"
check "its results equal the single-node job's" \
    "$(c "SELECT count(*) FROM ((SELECT series, ts, score, is_anomaly FROM anomdet.results WHERE job_id = $job)
           EXCEPT ALL (SELECT series, ts, score, is_anomaly FROM anomdet.results WHERE job_id = $local_job)) d")" 0

# A time range, with the warm-up rows before it, is scored on the workers too (both queries
# below: 12 more calls), with the single-node answer.
ranged() {
    echo "SELECT series, ts, value, score, probability, is_anomaly FROM anomdet.detect('$1', 'value', 'ewma', series_column => 'host',
          mode => 'online', start_time => '2024-01-01 20:00+00', end_time => '2024-01-02 10:00+00', lookback => 100)"
}
check "detect of a time range on the distributed table equals the single-node answer" \
    "$(c "SELECT count(*) FROM (($(ranged m)) EXCEPT ALL ($(ranged m_local))) d")|$(c "SELECT count(*) FROM ($(ranged m)) d")" "0|5040"
check "and was scored on the workers" "$(calls_reach 24)" 24

# A benchmark of the distributed table: each worker runs the grid on the series of its shards,
# and every cell equals the single-node benchmark's (6 series x 2 methods x 2 seeds x 3 detectors).
before_calls_of=$(worker_calls _benchmark_series)
bench() { c "SELECT anomdet.benchmark('$1', 'value', detectors => '{zscore,mad,isolation_forest}', methods => '{spike,step}', seeds => 2, series_column => 'host')"; }
bench_id=$(bench m)
local_bench_id=$(bench m_local)
cells() {
    echo "SELECT dataset, detector, method, seed, precision, recall, f1, pa_f1, event_f1, range_f1, roc_auc, pr_auc_ap, pr_auc_trapezoid,
            best_f1, mean_delay_rows, rows, labelled_rows, vus_pr, vus_roc, nab_standard, affiliation_f1
          FROM anomdet.benchmark_results WHERE benchmark_id = $1"
}
check "a benchmark of the distributed table equals the single-node one, cell for cell" \
    "$(c "SELECT count(*) FROM (($(cells "$bench_id")) EXCEPT ALL ($(cells "$local_bench_id"))) d")|$(c "SELECT count(*) FROM ($(cells "$bench_id")) d")" \
    "0|72"
check "its series ran on the workers" "$(calls_reach 6 _benchmark_series)|$(calls "$coordinator" _benchmark_series)" "6|0"
unset before_calls_of

# Scheduled detection (what pg_cron or add_job calls on the coordinator): two runs with new
# rows in between score each row once, with the same scores as on one node.
schedule() { echo "{\"source\": \"$1\", \"value_column\": \"value\", \"series_column\": \"host\", \"detector\": \"ewma\"}"; }
first=$(c "SELECT anomdet.score_new_rows('$(schedule m)')")
c "SELECT anomdet.score_new_rows('$(schedule m_local)')" >/dev/null
for table in m m_local; do
    c "INSERT INTO $table SELECT 'host-' || h, timestamptz '2024-01-01 00:00+00' + (3000 + i) * interval '1 minute', 20 + h + (hashint4(i + h) % 1000) / 1000.0
       FROM generate_series(1, 6) h, generate_series(0, 9) i"
done
second=$(c "SELECT anomdet.score_new_rows('$(schedule m)')")
c "SELECT anomdet.score_new_rows('$(schedule m_local)')" >/dev/null
check "scheduled runs on the distributed table score each row once" "$first + $second" "18000 + 60"
scheduled() { echo "SELECT r.series, r.ts, r.score, r.is_anomaly FROM anomdet.results r JOIN anomdet.watermarks w USING (job_id) WHERE w.source_relid = '$1'::regclass"; }
check "with the single-node scores" "$(c "SELECT count(*) FROM (($(scheduled m)) EXCEPT ALL ($(scheduled m_local))) d")" 0
# pg_cron on the coordinator, as a user schedules it (pg_cron 1.4 here: every minute at the
# least): a job calling scheduled_detect over the distributed table scores every row once, with
# the scores the same schedule gives on one node. It stays scheduled while the stream below runs.
c "CREATE EXTENSION pg_cron" >/dev/null
cron_config() { echo "{\"source\": \"$1\", \"value_column\": \"value\", \"series_column\": \"host\", \"detector\": \"zscore\"}"; }
cron_job=$(c "SELECT cron.schedule('anomdet-m', '* * * * *', \$\$CALL anomdet.scheduled_detect(0, '$(cron_config m)')\$\$)")
cron_runs() { c "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' ' || count(*) FILTER (WHERE status = 'failed') FROM cron.job_run_details WHERE jobid = $cron_job"; }
for _ in $(seq 1 150); do
    [ "$(cron_runs | cut -d' ' -f1)" -ge 1 ] && break
    sleep 0.5
done
c "SELECT anomdet.score_new_rows('$(cron_config m_local)')" >/dev/null
check "pg_cron on the coordinator ran scheduled_detect over the distributed table" "$(cron_runs | awk '{print ($1 >= 1) " " $2}')" "1 0"
zscored() { echo "SELECT r.series, r.ts, r.score, r.is_anomaly FROM anomdet.results r JOIN anomdet.watermarks w USING (job_id) WHERE w.source_relid = '$1'::regclass AND w.detector = 'zscore'"; }
check "every row once, with the single-node scores" \
    "$(c "SELECT count(*) FROM ($(zscored m)) s")|$(c "SELECT count(*) FROM (($(zscored m)) EXCEPT ALL ($(zscored m_local))) d")" "18060|0"
c "DELETE FROM m WHERE ts >= timestamptz '2024-01-01 00:00+00' + 3000 * interval '1 minute'" >/dev/null
c "DELETE FROM m_local WHERE ts >= timestamptz '2024-01-01 00:00+00' + 3000 * interval '1 minute'" >/dev/null

# A stream replayed from the distributed table by a background worker on the coordinator:
# its target holds every row with the scores an online detect gives.
stream=$(c "SELECT anomdet.run_stream('m', 'value', 'm_live', 'zscore', series_column => 'host')")
for _ in $(seq 1 1200); do
    seen=$(c "SELECT status FROM anomdet.jobs WHERE id = $stream")
    [ "$seen" = running ] || [ "$seen" = queued ] || break
    sleep 0.1
done
if [ "$(c "SELECT status FROM anomdet.jobs WHERE id = $stream")" != succeeded ]; then
    echo "  the stream has not finished (last seen: '$seen'); what the coordinator's sessions wait for:"
    c "SELECT pid, backend_type, state, wait_event_type || ':' || wait_event, left(query, 100) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname IS NOT NULL"
    c "SELECT locktype, relation::regclass, mode, pid FROM pg_locks WHERE NOT granted"
fi
check "a stream from the distributed table" "$(c "SELECT status || ' ' || rows_read || ' ' || (SELECT count(*) FROM m_live) FROM anomdet.jobs WHERE id = $stream")" "succeeded 18000 18000"
check "its target holds the online scores" \
    "$(c "SELECT count(*) FROM ((SELECT series, ts, score, is_anomaly FROM m_live)
           EXCEPT ALL (SELECT series, ts, score, is_anomaly FROM anomdet.detect('m', 'value', 'zscore', series_column => 'host', mode => 'online'))) d")" 0
check "the target is distributed by series, as the source is by host" \
    "$(c "SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition WHERE logicalrelid = 'm_live'::regclass")|$(c "SELECT count(*) > 1 FROM run_command_on_shards('m_live', 'SELECT count(*) FROM %s') WHERE result::int > 0")" \
    "series|t"

c "SELECT cron.unschedule($cron_job)" >/dev/null

# Each shard scored where it lives: no shard fails, empty ones included, and together the
# shards flag exactly what one node flags (the series never straddle shards).
per_shard=$(c "SELECT string_agg(success::text, ',') FROM run_command_on_shards('m',
    \$\$SELECT count(*) FROM anomdet.detect('%s', 'value', 'mad', series_column => 'host', only_anomalies => true)\$\$)")
check "every shard scores on its worker, empty ones too" "$(echo "$per_shard" | tr ',' '\n' | sort -u | tr '\n' ' ')" "true "
check "the shards' flags add up to the single-node flags" \
    "$(c "SELECT sum(result::int) FROM run_command_on_shards('m',
        \$\$SELECT count(*) FROM anomdet.detect('%s', 'value', 'mad', series_column => 'host', only_anomalies => true)\$\$)")" \
    "$(c "SELECT count(*) FROM anomdet.detect('m_local', 'value', 'mad', series_column => 'host', only_anomalies => true)")"

# Injection into a distributed table: only the labelled cells change and the revert is exact
# (full-table checksums); were it refused, nothing may have changed.
checksum() { c "SELECT md5(string_agg(host || ts::text || value::text, ',' ORDER BY host, ts)) FROM m"; }
before=$(checksum)
inject_err=$(mktemp)
if injection=$(c "SELECT anomdet.inject('m', 'spike', '{value}', '{\"magnitude\": 8}', seed => 1, count => 3, series_column => 'host')" 2>"$inject_err"); then
    changed="SELECT host, ts FROM m JOIN m_local l USING (host, ts) WHERE m.value IS DISTINCT FROM l.value"
    labelled="SELECT series, ts FROM anomdet.labels WHERE injection_id = $injection"
    check "only the labelled cells changed, every labelled cell did" \
        "$(c "SELECT count(*) FROM (($changed) EXCEPT ($labelled)) a")|$(c "SELECT count(*) FROM (($labelled) EXCEPT ($changed)) b")|$(c "SELECT count(*) FROM ($labelled) l")" \
        "0|0|18"
    # The same injection on the single-node copy: the evaluations agree.
    local_injection=$(c "SELECT anomdet.inject('m_local', 'spike', '{value}', '{\"magnitude\": 8}', seed => 1, count => 3, series_column => 'host')")
    evaluation() { c "SELECT string_agg(metric || '=' || round(value::numeric, 6), ' ' ORDER BY metric) FROM anomdet.evaluate(anomdet.run_batch('$1', 'value', 'mad', series_column => 'host')) WHERE metric IN ('vus_pr', 'roc_auc', 'f1')"; }
    check "evaluate on the distributed table equals the single-node evaluation" "$(evaluation m)" "$(evaluation m_local)"
    c "SELECT anomdet.revert_injection($local_injection)" >/dev/null
    c "SELECT anomdet.revert_injection($injection)" >/dev/null
    check "the revert is exact" "$(checksum)" "$before"
else
    check "an injection into the distributed table" "refused: $(head -1 "$inject_err")" "done"
    check "a refused injection leaves the distributed table as it was" "$(checksum)" "$before"
fi
rm -f "$inject_err"

# Into a copy on the coordinator (what docs/scaling.md suggests for a benchmark): the copy
# gets the labelled values, the distributed table none.
copied=$(c "SELECT anomdet.inject('m', 'spike', '{value}', '{\"magnitude\": 8}', seed => 2, count => 3, series_column => 'host', target => 'm_copy')")
check "an injection into a copy of the distributed table labels the copy" \
    "$(c "SELECT count(*) FROM m_copy JOIN m USING (host, ts) WHERE m_copy.value IS DISTINCT FROM m.value")" \
    "$(c "SELECT count(*) FROM anomdet.labels WHERE injection_id = $copied")"
check "and leaves the distributed table as it was" "$(checksum)" "$before"

if [ "$failures" -gt 0 ]; then
    echo "citus: $failures check(s) failed"
    for dir in "${CITUS_NODES[@]}"; do tail -20 "$dir/server.log"; done
    exit 1
fi
echo "citus: all checks passed"
