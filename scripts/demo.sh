#!/usr/bin/env bash
# The main job, end to end, on a throwaway PostgreSQL 15 cluster:
# install what is missing, build and install anomdet, start a cluster as the postgres user,
# CREATE EXTENSION, then run the numbered steps in demo/*.sql in order, and stop the cluster.
# New capabilities add a step file; nothing here needs to change.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
echo "demo: building and installing anomdet (release)"
bash scripts/install.sh >/dev/null
source scripts/cluster.sh
cluster_start
echo "demo: throwaway cluster on port $PGPORT under $CLUSTER_DIR"
export PGTZ=UTC PGDATESTYLE=ISO
mkdir -p demo-output && chmod 777 demo-output
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE anomdet_demo"
psql -X -q -v ON_ERROR_STOP=1 -d anomdet_demo -c "CREATE EXTENSION anomdet"
for step in demo/[0-9]*.sql; do
    echo
    echo "== $(head -1 "$step" | sed 's/^-- //')"
    psql -X -q -v ON_ERROR_STOP=1 -P footer=off -d anomdet_demo -f "$step"
done
cluster_stop
echo
echo "demo: done; the cluster is stopped and removed"
