# Throwaway PostgreSQL clusters, run as the postgres user (PostgreSQL refuses root).
# Source this file, then: cluster_start [extra postgresql.conf lines...]; ...; cluster_stop
# Exports PGHOST, PGPORT, PGUSER, PGDATABASE so psql just works.

# The server is PG_BIN's, else PG_CONFIG's, else Debian's 15 (scripts/servers.sh: use_server 18).
PG_BIN=${PG_BIN:-$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else sudo -u postgres -- "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cluster_start() {
    CLUSTER_DIR=$(mktemp -d /tmp/anomdet-cluster.XXXXXX)
    chmod 755 "$CLUSTER_DIR"
    chown postgres "$CLUSTER_DIR" 2>/dev/null || true
    export PGPORT=$(free_port)
    export PGHOST=$CLUSTER_DIR
    export PGUSER=postgres
    export PGDATABASE=postgres
    as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 \
        || { cat "$CLUSTER_DIR/initdb.log"; return 1; }
    {
        echo "port = $PGPORT"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$CLUSTER_DIR'"
        echo "fsync = off"
        echo "jit = off"
        # Throwaway lab clusters run everything as the postgres superuser, stream jobs included;
        # production leaves this off (docs/security.md, B8). Tests that check the default SET it off.
        echo "anomdet.allow_superuser_jobs = on"
        for line in "$@"; do echo "$line"; done
    } | as_postgres tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null \
        || { cat "$CLUSTER_DIR/server.log"; return 1; }
    trap cluster_stop EXIT
}

cluster_stop() {
    if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$CLUSTER_DIR"
    fi
    CLUSTER_DIR=""
}
