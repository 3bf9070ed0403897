#!/usr/bin/env bash
# Benchmark (#23 item 6): the same rows on one node and on Citus (a coordinator and 2 workers on
# this machine). HOSTS hosts x ROWS_PER_HOST rows (default 80 x 100,000 = 8,000,000); a cheap
# detector (zscore, batch) and an expensive one (isolation_forest, online), each:
#   - on one node: detect over a plain table on the coordinator;
#   - on the coordinator from a view of the distributed table (every row pulled to the coordinator);
#   - on the coordinator from the distributed table itself (pushed down: each series scored on its worker);
#   - shard by shard on the workers by hand (run_command_on_shards, the shards of each worker in parallel).
# Each the median of RUNS (3) runs, counting flagged rows (the same count is checked on all three).
# Usage: bash bench/citus.sh [HOSTS] [ROWS_PER_HOST] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-80} per_host=${2:-100000} runs=${3:-3}
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

printf '%-17s %-34s %10s %10s\n' detector where ms flagged
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
        printf '%-17s %-34s %10s %10s\n' "$detector ($mode)" "$where" "$(printf '%s\n' "${times[@]}" | median)" "$flagged"
        first=${first:-$flagged}
        [ "$flagged" = "$first" ] || { echo "bench: $where flagged $flagged rows, one node $first"; exit 1; }
    done
    unset sql
done
