#!/usr/bin/env bash
# pg_upgrade with anomdet's catalog populated (reliability checklist G4; #16): from PostgreSQL
# FROM to TO (majors; default 15 to 18 when 18 is installed, else 15 to a new 15 cluster, the
# same code path: schema dumped and restored in binary-upgrade mode, data files carried over, and
# the reg* check, which allows the regclass columns the catalog uses). anomdet must be installed
# in both servers. The old cluster holds jobs and results, an injection, a registered detector, a
# model, a watermark of scheduled detection and a benchmark; after the upgrade (and ALTER
# EXTENSION UPDATE, a no-op when the versions match) the catalog rows are the same, the job
# evaluates as before, the model scores exactly as before, the next scheduled run scores only
# the new rows, the leaderboard is the same and the injection reverts exactly.
# Takes about 40 s. Usage: bash tests/pg_upgrade.sh [FROM TO]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/servers.sh
FROM=${1:-15}
TO=${2:-$([ -n "$(pg18_config)" ] && echo 18 || echo 15)}
use_server "$FROM"
OLD_BIN=$PG_BIN
source scripts/cluster.sh
failures=0
check() {
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d upgraded -c "$1"; }

echo "== pg_upgrade from PostgreSQL $FROM to $TO with a populated catalog"
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
q "SELECT anomdet.score_new_rows('{\"source\": \"metrics\", \"value_column\": \"value\", \"detector\": \"mad\"}')" >/dev/null
bench=$(q "SELECT anomdet.benchmark('metrics_before', 'value', '{zscore,mad}', '{spike}', seeds => 1)")
board="SELECT string_agg(detector || ':' || round(vus_pr::numeric, 9), ' ' ORDER BY rank, detector) FROM anomdet.leaderboard WHERE benchmark_id = $bench"
leaderboard=$(q "$board")
counts="$counts || ' ' || (SELECT count(*) FROM anomdet.watermarks) || ' ' || (SELECT count(*) FROM anomdet.benchmark_results)"
before=$(q "$counts")
# This machine's Debian PostgreSQL 15.20 stamps every column it creates with an attribute option
# "pg_attver", which PostgreSQL 18.6 refuses ("unrecognized parameter"), so pg_upgrade fails for
# any table, anomdet or not (a one-column table fails the same way). Strip it from the user
# tables of every database first, leaving any other column options alone.
if [ "$TO" != "$FROM" ] && [ "$(q "CREATE TEMP TABLE probe(a int); SELECT count(*) FROM pg_attribute WHERE attrelid = 'probe'::regclass AND attoptions::text LIKE '%pg_attver=%'")" != 0 ]; then
    for db in $(psql -X -qAt -d postgres -c "SELECT datname FROM pg_database WHERE datallowconn"); do
        psql -X -qAt -v ON_ERROR_STOP=1 -d "$db" -c "UPDATE pg_catalog.pg_attribute SET attoptions =
            NULLIF(ARRAY(SELECT o FROM unnest(attoptions) o WHERE o NOT LIKE 'pg_attver=%'), '{}')
            WHERE attrelid >= 16384 AND attoptions::text LIKE '%pg_attver=%'" >/dev/null
    done
    echo "  stripped the pg_attver column option of this 15.20 build (PostgreSQL 18 refuses it)"
fi
as_postgres "$PG_BIN/pg_ctl" -D "$old_dir/data" -m fast -w stop >/dev/null
use_server "$TO"
NEW_BIN=$PG_BIN
echo "  pg_upgrade from $("$OLD_BIN/postgres" --version) to $("$NEW_BIN/postgres" --version)"

new_dir=$(mktemp -d /tmp/anomdet-upgraded.XXXXXX)
chmod 755 "$new_dir"
chown postgres "$new_dir"
trap 'as_postgres "$PG_BIN/pg_ctl" -D "$new_dir/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$new_dir" "$old_dir"' EXIT
# PostgreSQL 18's initdb turns data checksums on; pg_upgrade needs the old cluster's setting.
checksums=$(as_postgres "$OLD_BIN/pg_controldata" "$old_dir/data" | sed -nE 's/^Data page checksum version: *([0-9]+)/\1/p')
no_checksums=(); [ "$checksums" = 0 ] && [ "$TO" -ge 18 ] && no_checksums=(--no-data-checksums)
as_postgres "$PG_BIN/initdb" -D "$new_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 "${no_checksums[@]}" >/dev/null
cp "$old_dir/data/postgresql.conf" "$new_dir/data/postgresql.conf"
sed -i "s|$old_dir|$new_dir|g" "$new_dir/data/postgresql.conf"
chown postgres "$new_dir/data/postgresql.conf"
out=$(cd "$new_dir" && as_postgres "$NEW_BIN/pg_upgrade" -b "$OLD_BIN" -B "$NEW_BIN" -d "$old_dir/data" -D "$new_dir/data" \
    -s "$new_dir" -U postgres 2>&1) || {
    echo "$out" | tail -12
    grep -h -B3 -A3 -E "error|ERROR" "$new_dir"/data/pg_upgrade_output.d/*/log/pg_upgrade_dump_*.log 2>/dev/null | head -40 || true
    echo "pg_upgrade: FAILED"; exit 1; }
check "pg_upgrade: checks passed and the upgrade completed" "$(echo "$out" | grep -c "Upgrade Complete")" 1
export PGHOST=$new_dir
as_postgres "$PG_BIN/pg_ctl" -D "$new_dir/data" -l "$new_dir/server.log" -w start >/dev/null
check "upgraded: the server is PostgreSQL $TO" "$(q "SELECT current_setting('server_version_num')::int / 10000")" "$TO"
q "SET client_min_messages = warning; ALTER EXTENSION anomdet UPDATE" >/dev/null
check "upgraded: catalog rows and their relations kept" "$(q "$counts")" "$before"
check "upgraded: the leaderboard is the same" "$(q "$board")" "$leaderboard"
check "upgraded: the job evaluates as before" "$(q "SELECT round(value::numeric, 9) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")" "$vus"
check "upgraded: the model scores exactly as before" "$(q "$model_scores")" "$scored_with_model"
check "upgraded: the registered detector runs" "$(q "SELECT count(*) FROM anomdet.detect('metrics', 'value', 'identity')")" 3000
q "INSERT INTO metrics SELECT ts + interval '3000 minutes', value FROM metrics ORDER BY ts LIMIT 20" >/dev/null
check "upgraded: the next scheduled run scores only the 20 new rows" \
    "$(q "SELECT anomdet.score_new_rows('{\"source\": \"metrics\", \"value_column\": \"value\", \"detector\": \"mad\"}')")" 20
q "SELECT anomdet.revert_injection($inj)" >/dev/null
check "upgraded: the injection reverts exactly" \
    "$(q "SELECT count(*) FROM metrics m JOIN metrics_before b USING (ts) WHERE m.value IS DISTINCT FROM b.value")" 0

if [ "$failures" -ne 0 ]; then echo "pg_upgrade: $failures check(s) failed"; exit 1; fi
echo "pg_upgrade: all checks passed"
