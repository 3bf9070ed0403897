#!/usr/bin/env bash
# Build anomdet in release mode and install it into the PostgreSQL server that PG_CONFIG names,
# first installing what the build needs when it is missing: the server's headers and clang
# (apt), Rust (rustup, only where no cargo exists), cargo-pgrx 0.18.1 and its `init` for this
# server. The Docker image (docker/Dockerfile) runs this very script; so does the test command.
#   bash scripts/install.sh                   build and install
#   bash scripts/install.sh --prerequisites   only make sure the build can run
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGRX_VERSION=0.18.1
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Debian's layout names the major version; a fresh machine may not have pg_config there yet.
major=$(echo "$PG_CONFIG" | sed -nE 's|.*/postgresql/([0-9]+)/bin/pg_config$|\1|p')
[ -x "$PG_CONFIG" ] && major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

need_apt=()
for pkg in "postgresql-server-dev-$major" libclang-dev clang pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
# A server that is not Debian's (a wheel, a source build) brings its own headers.
if [ -x "$PG_CONFIG" ] && [ -f "$("$PG_CONFIG" --includedir-server)/postgres.h" ]; then
    need_apt=($(printf '%s\n' "${need_apt[@]}" | grep -v "^postgresql-server-dev" || true))
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install: installing ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
    echo "install: installing Rust (rustup, minimal profile)"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
    echo "install: installing cargo-pgrx $PGRX_VERSION (about 8 minutes on 2 cores)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
fi
# `cargo pgrx init` rewrites the whole list of servers: keep the others it knows.
PGRX_CONFIG="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
if ! grep -q "pg$major = \"$PG_CONFIG\"" "$PGRX_CONFIG" 2>/dev/null; then
    known=()
    if [ -f "$PGRX_CONFIG" ]; then
        while read -r v path; do
            [ "$v" != "$major" ] && [ -x "$path" ] && known+=("--pg$v" "$path")
        done < <(sed -nE 's/^pg([0-9]+) = "(.*)"$/\1 \2/p' "$PGRX_CONFIG")
    fi
    cargo pgrx init "${known[@]}" "--pg$major" "$PG_CONFIG" >/dev/null
fi
[ "${1:-}" = "--prerequisites" ] && exit 0

cargo pgrx install --release --pg-config "$PG_CONFIG" --no-default-features --features "pg$major" 2>&1 \
    | grep -E "Installing|Finished|error|warning: unused" || true
test -f "$("$PG_CONFIG" --sharedir)/extension/anomdet.control" || { echo "install: anomdet.control missing" >&2; exit 1; }
