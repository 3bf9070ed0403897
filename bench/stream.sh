#!/usr/bin/env bash
# Stream replay throughput and detection latency (issue: stream jobs).
# Baseline, same run and same kind of target: INSERT ... SELECT of the same rows into a new
# table. Measured: run_stream at full speed, from the call until the job has succeeded, with
# an online detector (zscore). Then p50/p99 detection latency at speed-up 1000.
# Usage: bash bench/stream.sh [rows] [runs]   (defaults 1000000 and 3; medians printed)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${2:-3}
bash scripts/install.sh >/dev/null
source scripts/cluster.sh
cluster_start "shared_buffers = '512MB'" "work_mem = '64MB'" "max_wal_size = '4GB'"
q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
q "CREATE EXTENSION anomdet" >/dev/null
q "SELECT anomdet.generate('src', 'sine', length => $rows, period => 500, amplitude => 3, level => 20, noise => 0.3, seed => 1)" >/dev/null
q "SELECT anomdet.generate('paced_src', 'sine', length => 20000, every => '1 second', period => 500, amplitude => 3, level => 20, noise => 0.3, seed => 2)" >/dev/null
q "SELECT anomdet.inject('paced_src', 'spike', '{value}', '{\"magnitude\": 4}', seed => 3, count => 200)" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "bench: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores, $rows rows, median of $runs"
ms() { python3 -c "import time; print(time.time() * 1000)"; }
median() { python3 -c "import sys, statistics; print(round(statistics.median(map(float, sys.argv[1:])), 1))" "$@"; }
plain=(); stream=()
for r in $(seq "$runs"); do
    q "DROP TABLE IF EXISTS plain_copy, replayed; DELETE FROM anomdet.jobs; CHECKPOINT" >/dev/null
    t0=$(ms)
    q "CREATE TABLE plain_copy (ts timestamptz NOT NULL, value double precision); INSERT INTO plain_copy SELECT ts, value FROM src"
    plain+=("$(python3 -c "print($(ms) - $t0)")")
    q "CHECKPOINT" >/dev/null
    t0=$(ms)
    job=$(q "SELECT anomdet.run_stream('src', 'value', 'replayed', 'zscore')")
    until [ "$(q "SELECT status <> 'queued' AND status <> 'running' FROM anomdet.jobs WHERE id = $job")" = t ]; do sleep 0.02; done
    stream+=("$(python3 -c "print($(ms) - $t0)")")
    [ "$(q "SELECT status FROM anomdet.jobs WHERE id = $job")" = succeeded ] || { q "SELECT error FROM anomdet.jobs WHERE id = $job"; exit 1; }
done
p=$(median "${plain[@]}"); s=$(median "${stream[@]}")
echo "INSERT ... SELECT (baseline):   ${p} ms   runs: ${plain[*]}"
echo "run_stream, full speed, zscore: ${s} ms   runs: ${stream[*]}"
python3 -c "print(f'throughput ratio stream/plain: {$p / $s:.2f} (target >= 0.5); stream {int($rows / $s * 1000)} rows/s')"
job=$(q "SELECT anomdet.run_stream('paced_src', 'value', 'paced', 'zscore', speedup => 1000)")
until [ "$(q "SELECT status <> 'queued' AND status <> 'running' FROM anomdet.jobs WHERE id = $job")" = t ]; do sleep 0.5; done
q "SELECT 'speed-up 1000, 20000 rows a second apart: ' || anomalies || ' flagged, detection latency p50 ' || round(latency_p50_ms::numeric, 3) || ' ms, p99 ' || round(latency_p99_ms::numeric, 3) || ' ms, lag behind schedule at the end ' || round(lag_ms::numeric, 1) || ' ms' FROM anomdet.jobs WHERE id = $job"
cluster_stop
