#!/usr/bin/env bash
# Run every test tier: lint, core unit tests, golden SQL tests, doc tests, the bad-input sweep,
# rendered reports, stream-job fault tests and pg_cron scheduling.
# Installs what is missing first. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== 0/7 lint (rustfmt, clippy -D warnings)"
cargo fmt --all --check
cargo clippy -q --all-targets -p anomdet-core -- -D warnings
cargo clippy -q -p anomdet -- -D warnings

echo "== 1/7 core unit tests (cargo test -p anomdet-core)"
cargo test -q -p anomdet-core 2>&1 | grep -E "^test result|FAILED|panicked" || true
cargo test -q -p anomdet-core >/dev/null 2>&1 || { cargo test -p anomdet-core; exit 1; }

echo "== building and installing the extension"
bash scripts/install.sh
echo "== pgspot on the install and upgrade scripts"
bash scripts/pgspot.sh

source scripts/cluster.sh
cluster_start
echo "== 2/7 golden SQL tests (pg_regress, cluster on port $PGPORT)"
bash scripts/regress.sh
echo "== 3/7 doc tests (docs/**/*.md)"
python3 tests/doctest.py
echo "== 4/7 bad-input sweep: every function, every argument, every edge value and column kind"
"${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}/bin/python" tests/bad_input.py
echo "== 5/7 reports rendered in headless Chromium"
bash tests/render_report.sh
cluster_stop
echo "== 6/7 stream jobs and their faults, from client connections (own clusters)"
bash tests/stream.sh
echo "== 7/7 scheduled detection under pg_cron (own cluster, about two minutes)"
bash tests/schedule.sh
echo "== all tests passed"
