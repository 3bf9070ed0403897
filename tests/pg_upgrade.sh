#!/usr/bin/env bash
# pg_upgrade with anomdet's catalog populated (reliability checklist G4). Only PostgreSQL 15 is
# installable here, so this upgrades 15 to a new 15 cluster: the same code path pg_upgrade takes
# between majors (schema dumped and restored in binary-upgrade mode, data files carried over),
# and the same reg* check, which allows the regclass columns the catalog uses. After the upgrade:
# the catalog rows, an injection's exact revert, an evaluation, a registered detector and a model.
# Takes about 30 s. Usage: bash tests/pg_upgrade.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
failures=0
check() {
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d upgraded -c "$1"; }

echo "== pg_upgrade with a populated catalog"
cluster_start
old_dir=$CLUSTER_DIR
psql -X -q -c "CREATE DATABASE upgraded"
q "CREATE EXTENSION anomdet" >/dev/null
q "SELECT anomdet.generate('metrics', 'sine', length => 3000, period => 100, noise => 0.2, seed => 1)" >/dev/null
q "CREATE TABLE metrics_before AS SELECT * FROM metrics" >/dev/null
inj=$(q "SELECT anomdet.inject('metrics', 'spike', '{value}', '{\"magnitude\": 6}', seed => 2, count => 8)")
job=$(q "SELECT anomdet.run_batch('metrics', 'value', 'mad')")
q "CREATE FUNCTION public.scores_of(v float8[]) RETURNS float8[] LANGUAGE sql AS 'SELECT v'" >/dev/null
q "SELECT anomdet.register_detector('identity', 'public.scores_of(float8[])', threshold => 1e9)" >/dev/null
vus=$(q "SELECT round(value::numeric, 9) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")
q "SELECT anomdet.train('m_hst', 'metrics', 'value', 'half_space_trees', end_time => (SELECT min(ts) + interval '2000 minutes' FROM metrics))" >/dev/null
model_scores="SELECT md5(string_agg(coalesce(score::text, '-'), ',' ORDER BY ts)) FROM anomdet.detect('metrics', 'value', model => 'm_hst')"
scored_with_model=$(q "$model_scores")
counts="SELECT (SELECT count(*) FROM anomdet.jobs) || ' ' || (SELECT count(*) FROM anomdet.results) || ' ' || \
  (SELECT count(*) FROM anomdet.injection_cells) || ' ' || (SELECT count(*) FROM anomdet.custom_detectors) || ' ' || \
  (SELECT string_agg(DISTINCT source_relid::text, ',') FROM anomdet.jobs)"
before=$(q "$counts")
as_postgres "$PG_BIN/pg_ctl" -D "$old_dir/data" -m fast -w stop >/dev/null

new_dir=$(mktemp -d /tmp/anomdet-upgraded.XXXXXX)
chmod 755 "$new_dir"
chown postgres "$new_dir"
trap 'as_postgres "$PG_BIN/pg_ctl" -D "$new_dir/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$new_dir" "$old_dir"' EXIT
as_postgres "$PG_BIN/initdb" -D "$new_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cp "$old_dir/data/postgresql.conf" "$new_dir/data/postgresql.conf"
sed -i "s|$old_dir|$new_dir|g" "$new_dir/data/postgresql.conf"
chown postgres "$new_dir/data/postgresql.conf"
out=$(cd "$new_dir" && as_postgres "$PG_BIN/pg_upgrade" -b "$PG_BIN" -B "$PG_BIN" -d "$old_dir/data" -D "$new_dir/data" \
    -s "$new_dir" -U postgres 2>&1) || { echo "$out" | tail -30; echo "pg_upgrade: FAILED"; exit 1; }
check "pg_upgrade: checks passed and the upgrade completed" "$(echo "$out" | grep -c "Upgrade Complete")" 1
export PGHOST=$new_dir
as_postgres "$PG_BIN/pg_ctl" -D "$new_dir/data" -l "$new_dir/server.log" -w start >/dev/null
check "upgraded: catalog rows and their relations kept" "$(q "$counts")" "$before"
check "upgraded: the job evaluates as before" "$(q "SELECT round(value::numeric, 9) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")" "$vus"
check "upgraded: the model scores exactly as before" "$(q "$model_scores")" "$scored_with_model"
check "upgraded: the registered detector runs" "$(q "SELECT count(*) FROM anomdet.detect('metrics', 'value', 'identity')")" 3000
q "SELECT anomdet.revert_injection($inj)" >/dev/null
check "upgraded: the injection reverts exactly" \
    "$(q "SELECT count(*) FROM metrics m JOIN metrics_before b USING (ts) WHERE m.value IS DISTINCT FROM b.value")" 0

if [ "$failures" -ne 0 ]; then echo "pg_upgrade: $failures check(s) failed"; exit 1; fi
echo "pg_upgrade: all checks passed"
