#!/usr/bin/env bash
# The TimescaleDB tier, on a cluster of its own with timescaledb preloaded:
#  - tests/timescale.py: every write path against hypertables (compressed chunks, drop_chunks,
#    retention), continuous aggregates as sources, add_job under TimescaleDB's own scheduler,
#    stream targets compressed while written, time ranges that read only their chunks;
#  - the doc pages marked for TimescaleDB;
#  - the golden SQL tests and every doc page's examples again, with their tables as
#    hypertables, every other chunk compressed;
#  - tests/integrity.py, the integrity property test on plain, partitioned and hypertable
#    sources (INTEGRITY_SECONDS, default 240).
# Without TimescaleDB installed the property test runs on plain and partitioned sources and the
# rest is skipped, saying why.
# Usage: bash tests/timescaledb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
PY="${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}/bin/python"
if [ -f "$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --sharedir)/extension/timescaledb.control" ]; then
    cluster_start "shared_preload_libraries = 'timescaledb'" "timescaledb.telemetry_level = off" \
        "max_worker_processes = 24" "timescaledb.max_background_workers = 8" "log_error_verbosity = verbose"
    echo "== TimescaleDB $(psql -X -qAt -c "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'") preloaded"
    "$PY" tests/timescale.py
    python3 tests/doctest.py --timescaledb
    echo "== the golden SQL tests again, the fixture tables as hypertables with every other chunk compressed"
    bash scripts/regress.sh --hypertables
    echo "== every doc page again, its tables turned into hypertables with every other chunk compressed"
    python3 tests/doctest.py --as-hypertables
else
    echo "== TimescaleDB is not installed (scripts/setup.sh installs it from ../shared when that is there):"
    echo "   hypertable, compression, continuous aggregate, add_job and doc-page tests SKIPPED"
    cluster_start "log_error_verbosity = verbose"
fi
"$PY" tests/integrity.py --seconds "${INTEGRITY_SECONDS:-240}"
bad=$(grep -cE "ERROR:  XX000|terminated by signal|PANIC" "$CLUSTER_DIR/server.log" || true)
if [ "$bad" != 0 ]; then grep -E -B2 "ERROR:  XX000|terminated by signal|PANIC" "$CLUSTER_DIR/server.log" | head -40; exit 1; fi
cluster_stop
