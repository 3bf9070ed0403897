#!/usr/bin/env bash
# Build anomdet in release mode and install it into the server that PG_CONFIG names.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
cargo pgrx install --release --pg-config "$PG_CONFIG" 2>&1 | grep -E "Installing|Finished|error|warning: unused" || true
test -f "$("$PG_CONFIG" --sharedir)/extension/anomdet.control" || { echo "install: anomdet.control missing" >&2; exit 1; }
