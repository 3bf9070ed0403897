# A Citus cluster on one machine for tests and benchmarks: a coordinator and N workers, each a
# throwaway PostgreSQL (scripts/cluster.sh) on its own port with Citus preloaded and anomdet
# created, joined by citus_set_coordinator_host / citus_add_node. Citus is built first by
# ../shared/tools/citus.sh (idempotent). Source this file, then:
#   citus_available || exit 0       (says why when ../shared is absent)
#   citus_cluster_start 2 [extra postgresql.conf lines...]
#   on "$CITUS_COORDINATOR" -c "SELECT ..."      # stopped and removed at exit
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
CITUS_TOOL="$(dirname "${BASH_SOURCE[0]}")/../../shared/tools/citus.sh"

citus_available() {
    if [ ! -f "$CITUS_TOOL" ]; then
        echo "citus: ../shared/tools/citus.sh is absent here; skipped"
        return 1
    fi
    bash "$CITUS_TOOL" "${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" | tail -1
}

CITUS_NODES=()
citus_cluster_stop() {
    for dir in "${CITUS_NODES[@]}"; do
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    done
    CITUS_NODES=()
}

# psql on the node at port $1 (the rest are psql's arguments), unaligned, stopping on errors.
on() { local port=$1; shift; psql -X -qAt -v ON_ERROR_STOP=1 -h localhost -p "$port" "$@"; }

citus_cluster_start() {
    local workers=$1; shift
    local ports=()
    for _ in $(seq 0 "$workers"); do
        # Citus nodes reach each other over TCP on localhost (trust, as every throwaway cluster).
        cluster_start "shared_preload_libraries = 'citus'" "listen_addresses = 'localhost'" \
            "citus.node_conninfo = 'sslmode=prefer'" "max_worker_processes = 16" "$@"
        CITUS_NODES+=("$CLUSTER_DIR")
        CLUSTER_DIR=""
        trap citus_cluster_stop EXIT
        ports+=("$PGPORT")
    done
    CITUS_COORDINATOR=${ports[0]}
    CITUS_WORKERS=("${ports[@]:1}")
    for port in "${ports[@]}"; do
        on "$port" -c "CREATE EXTENSION citus" -c "CREATE EXTENSION anomdet"
    done
    on "$CITUS_COORDINATOR" -c "SELECT citus_set_coordinator_host('localhost', $CITUS_COORDINATOR)" >/dev/null
    for port in "${CITUS_WORKERS[@]}"; do
        on "$CITUS_COORDINATOR" -c "SELECT citus_add_node('localhost', $port)" >/dev/null
    done
}
