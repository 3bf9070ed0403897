#!/usr/bin/env bash
# Benchmark (#23 item 6): the same rows on one node and on Citus (a coordinator and 2 workers on
# this machine). HOSTS hosts x ROWS_PER_HOST rows (default 80 x 100,000 = 8,000,000); a cheap
# detector (zscore, batch) and an expensive one (isolation_forest, online), each:
#   - on one node: detect over a plain table on the coordinator;
#   - on the coordinator from a view of the distributed table (every row pulled to the coordinator);
#   - on the coordinator from the distributed table itself (pushed down: each series scored on its worker);
#   - shard by shard on the workers by hand (run_command_on_shards, the shards of each worker in parallel).
# Each the median of RUNS (3) runs, counting flagged rows (the same count is checked on all three).
# Then, on the same places:
#   - a benchmark grid (zscore and mad x spike and step, 1 seed) over the HOSTS series;
#   - a fleet of FLEET hosts x 60 rows (default 10,000): detect of every row (ewma, online), and
#     scheduled detection (score_new_rows): the first run, then runs of one new row per host.
# Usage: bash bench/citus.sh [HOSTS] [ROWS_PER_HOST] [RUNS] [FLEET]
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-80} per_host=${2:-100000} runs=${3:-3} fleet=${4:-10000}
source scripts/citus_cluster.sh
citus_available || exit 0
bash scripts/install.sh >/dev/null
citus_cluster_start 2 "shared_buffers = '1GB'" "work_mem = '64MB'" "citus.max_adaptive_executor_pool_size = 16"
c() { on "$CITUS_COORDINATOR" -c "$1"; }
echo "bench: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), $(nproc) cores, $(c 'SHOW server_version'), Citus $(c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"), $hosts hosts x $per_host rows"

c "CREATE TABLE m (host text NOT NULL, ts timestamptz NOT NULL, value float8)"
c "SELECT create_distributed_table('m', 'host', shard_count => 32)" >/dev/null
c "CREATE TABLE m_local (host text NOT NULL, ts timestamptz NOT NULL, value float8)"
c "INSERT INTO m_local SELECT 'host-' || h, timestamptz '2024-01-01 00:00+00' + i * interval '1 second',
     50 + 10 * sin(i / 500.0 + h) + (hashint4(i * 31 + h) % 1000) / 1000.0 + CASE WHEN i % 25000 = 12500 THEN 15 ELSE 0 END
   FROM generate_series(1, $hosts) h, generate_series(0, $per_host - 1) i"
c "INSERT INTO m SELECT * FROM m_local"
c "CREATE VIEW m_view AS SELECT * FROM m"
c "VACUUM ANALYZE m_local" && c "VACUUM ANALYZE m"

# Milliseconds of one statement on the coordinator, and what it printed.
timed() {
    local t0 out
    t0=$(date +%s%N)
    out=$(c "$1")
    echo "$(( ($(date +%s%N) - t0) / 1000000 )) $out"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

printf '%-26s %-34s %10s %10s\n' detector where ms flagged
for spec in "zscore batch" "isolation_forest online"; do
    set -- $spec
    detector=$1 mode=$2
    args="'value', '$detector', series_column => 'host', mode => '$mode', only_anomalies => true"
    declare -A sql=(
        [one node]="SELECT count(*) FROM anomdet.detect('m_local', $args)"
        [coordinator pulls (view)]="SELECT count(*) FROM anomdet.detect('m_view', $args)"
        [coordinator, pushed down]="SELECT count(*) FROM anomdet.detect('m', $args)"
        [shards on workers]="SELECT sum(result::bigint) FROM run_command_on_shards('m', \$\$SELECT count(*) FROM anomdet.detect('%s', $args)\$\$)"
    )
    first=""
    for where in "one node" "coordinator pulls (view)" "coordinator, pushed down" "shards on workers"; do
        times=() flagged=""
        for _ in $(seq 1 "$runs"); do
            read -r ms count < <(timed "${sql[$where]}")
            times+=("$ms") flagged=$count
        done
        printf '%-26s %-34s %10s %10s\n' "$detector ($mode)" "$where" "$(printf '%s\n' "${times[@]}" | median)" "$flagged"
        first=${first:-$flagged}
        [ "$flagged" = "$first" ] || { echo "bench: $where flagged $flagged rows, one node $first"; exit 1; }
    done
    unset sql
done

# The median of RUNS runs of each statement, on each place; $1 names the row.
compare() {
    local what=$1; shift
    local where sql_text times ms out
    while [ $# -gt 0 ]; do
        where=$1 sql_text=$2; shift 2
        times=()
        for _ in $(seq 1 "$runs"); do
            read -r ms out < <(timed "$sql_text")
            times+=("$ms")
        done
        printf '%-34s %-34s %10s %10s\n' "$what" "$where" "$(printf '%s\n' "${times[@]}" | median)" "$out"
    done
}

echo
printf '%-34s %-34s %10s %10s\n' what where ms out
grid="'value', detectors => '{zscore,mad}', methods => '{spike,step}', seeds => 1, series_column => 'host'"
compare "benchmark, $hosts series (its id)" \
    "one node" "SELECT anomdet.benchmark('m_local', $grid)" \
    "coordinator pulls (view)" "SELECT anomdet.benchmark('m_view', $grid)" \
    "coordinator, pushed down" "SELECT anomdet.benchmark('m', $grid)"
cells() { c "SELECT count(*) || ' cells, ' || round(avg(f1)::numeric, 6) || ' mean f1' FROM anomdet.benchmark_results r JOIN anomdet.benchmarks b ON b.id = r.benchmark_id WHERE b.source = '$1' AND r.benchmark_id = (SELECT max(id) FROM anomdet.benchmarks WHERE source = '$1')"; }
echo "  the last benchmark of each: one node $(cells public.m_local); pulled $(cells public.m_view); pushed down $(cells public.m)"

# The fleet: many short series, as SRE metrics are.
c "CREATE TABLE f (host text NOT NULL, ts timestamptz NOT NULL, value float8)"
c "SELECT create_distributed_table('f', 'host', shard_count => 32)" >/dev/null
c "CREATE TABLE f_local (host text NOT NULL, ts timestamptz NOT NULL, value float8)"
c "INSERT INTO f_local SELECT 'h' || h, timestamptz '2024-01-01' + i * interval '1 minute', 50 + (hashint4(i * 31 + h) % 1000) / 100.0
   FROM generate_series(1, $fleet) h, generate_series(0, 59) i"
c "INSERT INTO f SELECT * FROM f_local"
c "CREATE INDEX ON f_local (host, ts)" && c "CREATE INDEX ON f (host, ts)"
c "CREATE VIEW f_view AS SELECT * FROM f"
c "VACUUM ANALYZE f_local" && c "VACUUM ANALYZE f"
every_row="'value', 'ewma', series_column => 'host', mode => 'online'"
compare "detect, $fleet series x 60 rows" \
    "one node" "SELECT count(*) FROM anomdet.detect('f_local', $every_row)" \
    "coordinator pulls (view)" "SELECT count(*) FROM anomdet.detect('f_view', $every_row)" \
    "coordinator, pushed down" "SELECT count(*) FROM anomdet.detect('f', $every_row)"
schedule() { echo "SELECT anomdet.score_new_rows('{\"source\": \"$1\", \"value_column\": \"value\", \"series_column\": \"host\", \"detector\": \"ewma\"}')"; }
for table in f_local f; do
    where=$([ "$table" = f ] && echo "coordinator (distributed table)" || echo "one node")
    read -r ms out < <(timed "$(schedule "$table")")
    printf '%-34s %-34s %10s %10s\n' "scheduled, first run" "$where" "$ms" "$out"
    times=()
    for round in $(seq 1 "$runs"); do
        c "INSERT INTO $table SELECT 'h' || h, timestamptz '2024-01-01' + (59 + $round) * interval '1 minute', 50 FROM generate_series(1, $fleet) h"
        read -r ms out < <(timed "$(schedule "$table")")
        times+=("$ms")
    done
    printf '%-34s %-34s %10s %10s\n' "scheduled, one new row a host" "$where" "$(printf '%s\n' "${times[@]}" | median)" "$out"
done
