#!/usr/bin/env bash
# Run every test tier: lint, core unit tests, golden SQL tests, doc tests, the bad-input sweep,
# cancellation of long calls, dump and restore, upgrades, rendered reports, stream-job fault tests,
# a hot standby, pg_cron scheduling and the README's demo.
# Installs what is missing first. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== 0/10 lint (rustfmt, clippy -D warnings)"
cargo fmt --all --check
cargo clippy -q --all-targets -p anomdet-core -- -D warnings
cargo clippy -q -p anomdet -- -D warnings

echo "== 1/10 core unit tests (cargo test -p anomdet-core)"
cargo test -q -p anomdet-core 2>&1 | grep -E "^test result|FAILED|panicked" || true
cargo test -q -p anomdet-core >/dev/null 2>&1 || { cargo test -p anomdet-core; exit 1; }

echo "== building and installing the extension"
bash scripts/install.sh
echo "== pgspot on the install and upgrade scripts"
bash scripts/pgspot.sh
echo "== upgrades: the schema gate against the released version, and updates from older ones"
bash tests/upgrade.sh
bash tests/pg_upgrade.sh

source scripts/cluster.sh
# Verbose error logging puts each error's SQLSTATE in the server log, scanned after the tiers.
cluster_start "log_error_verbosity = verbose"
echo "== 2/10 golden SQL tests (pg_regress, cluster on port $PGPORT)"
bash scripts/regress.sh
echo "== concurrency specs (PostgreSQL's isolation tester), then 20 more times for flakes"
bash scripts/regress.sh --isolation
for run in $(seq 20); do
    bash scripts/regress.sh --isolation >/dev/null 2>&1 || { echo "isolation specs failed on repeat $run"; bash scripts/regress.sh --isolation; exit 1; }
done
echo "== 3/10 doc tests (docs/**/*.md)"
python3 tests/doctest.py
echo "== 4/10 bad-input sweep: every function, every argument, every edge value and column kind"
"${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}/bin/python" tests/bad_input.py
echo "== 5/10 long calls stop within 1 s of statement_timeout or pg_cancel_backend"
"${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}/bin/python" tests/cancel.py
echo "== evaluation cost: 1M values with 10,000 events in seconds, and no worse than n log n"
"${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}/bin/python" tests/evaluate_cost.py
echo "== memory soak: a backend's 3,000 calls and a worker's 10,000 batches do not grow its memory"
"${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}/bin/python" tests/memory.py
echo "== valgrind memcheck: every detector, injection method and report on a single-user backend"
bash tests/valgrind.sh
echo "== SQLsmith: 3,000 random queries; no crash, no internal error from anomdet"
bash tests/sqlsmith.sh
echo "== 6/10 pg_dump and pg_restore keep the catalog; the restored ledger reverts exactly"
bash tests/dump_restore.sh
echo "== 7/10 reports rendered in headless Chromium"
bash tests/render_report.sh
echo "== the server log of tiers 2-7: no internal error (XX000), no crashed process"
bad=$(grep -cE "ERROR:  XX000|terminated by signal|PANIC" "$CLUSTER_DIR/server.log" || true)
if [ "$bad" != 0 ]; then grep -E -B2 "ERROR:  XX000|terminated by signal|PANIC" "$CLUSTER_DIR/server.log" | head -40; exit 1; fi
echo "server log: $(grep -c "ERROR:" "$CLUSTER_DIR/server.log") errors logged, none internal, no process crashed"
cluster_stop
echo "== 8/10 stream jobs and their faults, injections under crashes, a hot standby (own clusters)"
bash tests/stream.sh
bash tests/faults.sh
bash tests/standby.sh
echo "== TimescaleDB: hypertables, compression, continuous aggregates, add_job, and the integrity property test (own cluster)"
bash tests/timescaledb.sh
echo "== 9/10 scheduled detection under pg_cron (own cluster, about two minutes)"
bash tests/schedule.sh
echo "== 10/10 the README's demo, end to end (own cluster)"
bash scripts/demo.sh >/dev/null
echo "== all tests passed"
