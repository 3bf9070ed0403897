#!/usr/bin/env bash
# Upgrades (reliability checklist G1, G2, A5), on a throwaway cluster, against the installed build.
#
# sql/released/anomdet--R.sql holds the install script of every released version R, frozen as it
# shipped; sql/anomdet--R--V.sql are the update scripts (cargo pgrx install copies them).
# - G2, the schema gate: if the current version V was already released, a fresh install must
#   define exactly what the frozen script of V defines, so a change to the SQL surface cannot land
#   without a new version and its update script.
# - G1, for every released R older than V: install R, add fixtures (jobs, results, an injection,
#   a registered detector), ALTER EXTENSION UPDATE; the updated database must define exactly what
#   a fresh V defines, keep its data, and still work (revert the injection exactly, evaluate the
#   job). A dump of the updated database restored into a new one must match too.
# - A5: pg_extension_update_paths offers a path from every released version to V.
# Usage: bash tests/upgrade.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
EXT_DIR="$("$PG_CONFIG" --sharedir)/extension"
V=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
failures=0
check() {
    if [ "$2" = "$3" ]; then echo "  ok   $1 ($2)"; else echo "  FAIL $1: got '$2', expected '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
describe() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f tests/upgrade/describe.sql; }
# Compare two databases' definitions; on a difference print it and fail.
same_definitions() {  # what db_a db_b
    local diff_out
    if diff_out=$(diff <(describe "$2") <(describe "$3")); then
        check "$1" "$(describe "$2" | wc -l) facts equal" "$(describe "$3" | wc -l) facts equal"
    else
        echo "$diff_out" | head -40
        check "$1" "definitions differ (above: < $2, > $3)" "equal"
    fi
}
# Files this test puts into the shared extension directory, removed on exit.
placed=()
cleanup() { for f in "${placed[@]}"; do rm -f "$f"; done; cluster_stop; }

[ -f "$EXT_DIR/anomdet--$V.sql" ] || { echo "upgrade: anomdet $V is not installed (run scripts/install.sh)"; exit 1; }
released=()
for f in sql/released/anomdet--*.sql; do
    r=${f#sql/released/anomdet--}
    released+=("${r%.sql}")
done
echo "== upgrades to $V from released versions: ${released[*]}"
cluster_start
trap cleanup EXIT
q postgres "CREATE DATABASE fresh" >/dev/null
q fresh "CREATE EXTENSION anomdet" >/dev/null

for R in "${released[@]}"; do
    if [ "$R" = "$V" ]; then
        # G2: installed under a look-alike version name, since anomdet--V.sql is the build's own.
        cp "sql/released/anomdet--$R.sql" "$EXT_DIR/anomdet--$R-released.sql"
        placed+=("$EXT_DIR/anomdet--$R-released.sql")
        q postgres "CREATE DATABASE released_same" >/dev/null
        q released_same "CREATE EXTENSION anomdet VERSION '$R-released'" >/dev/null
        same_definitions "schema gate: this build defines exactly what released $V defined" released_same fresh
        if [ "$failures" -ne 0 ]; then
            echo "  The SQL surface changed since $V was released: raise the version in Cargo.toml and write"
            echo "  sql/anomdet--$V--<new>.sql; then freeze the new install script as sql/released/ at release."
        fi
        continue
    fi

    # G1: R, with data, updated to V.
    [ -f "$EXT_DIR/anomdet--$R.sql" ] || { cp "sql/released/anomdet--$R.sql" "$EXT_DIR/anomdet--$R.sql"; placed+=("$EXT_DIR/anomdet--$R.sql"); }
    db="from_${R//./_}"
    q postgres "CREATE DATABASE $db" >/dev/null
    q "$db" "CREATE EXTENSION anomdet VERSION '$R'" >/dev/null
    check "A5: an update path $R -> $V" "$(q "$db" "SELECT count(*) FROM pg_extension_update_paths('anomdet') WHERE source = '$R' AND target = '$V' AND path IS NOT NULL")" 1
    # Fixtures as version R made them (tests/upgrade/fixtures-R.sql): a table, an injection
    # into it (inj), a batch job (job) and a registered detector "identity".
    fixtures=tests/upgrade/fixtures-$R.sql
    [ -f "$fixtures" ] || { echo "upgrade: $fixtures is missing"; exit 1; }
    ids=$(psql -X -qAt -v ON_ERROR_STOP=1 -d "$db" -f "$fixtures" -c '\echo :inj :job' | tail -1)
    inj=${ids% *}
    job=${ids#* }
    vus_before=$(q "$db" "SELECT round(value::numeric, 9) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")
    counts="SELECT (SELECT count(*) FROM anomdet.jobs) || ' ' || (SELECT count(*) FROM anomdet.results) || ' ' || \
      (SELECT count(*) FROM anomdet.injection_cells) || ' ' || (SELECT count(*) FROM anomdet.custom_detectors)"
    counts_before=$(q "$db" "$counts")
    # R's own definitions call R's symbols in this library until the update (src/api/released_symbols.rs).
    scored="SELECT count(*) || ' ' || count(*) FILTER (WHERE is_anomaly) || ' ' || round(sum(score)::numeric, 6) FROM anomdet.detect('metrics', 'value', 'zscore', mode => 'online')"
    scored_before=$(q "$db" "$scored")
    check "$R's detectors() runs on this library" "$(q "$db" "SELECT count(*) > 30 FROM anomdet.detectors()")" t

    q "$db" "ALTER EXTENSION anomdet UPDATE TO '$V'" >/dev/null
    check "updated $R -> $V: version" "$(q "$db" "SELECT extversion FROM pg_extension WHERE extname = 'anomdet'")" "$V"
    same_definitions "updated $R -> $V defines exactly what a fresh $V does" "$db" fresh
    check "updated $R -> $V: catalog rows kept" "$(q "$db" "$counts")" "$counts_before"
    check "updated $R -> $V: the job evaluates as before" "$(q "$db" "SELECT round(value::numeric, 9) FROM anomdet.evaluate($job) WHERE metric = 'vus_pr'")" "$vus_before"
    check "updated $R -> $V: detect scores as $R's definition did on this library" "$(q "$db" "$scored")" "$scored_before"
    check "updated $R -> $V: the registered detector runs" "$(q "$db" "SELECT count(*) FROM anomdet.detect('metrics', 'value', 'identity')")" 2000
    check "updated $R -> $V: a new sequence value, no id reuse" "$(q "$db" "SELECT anomdet.run_batch('metrics', 'value', 'zscore') > $job")" t

    # The updated database, dumped and restored into a fresh one.
    restored="restored_${R//./_}"
    dump="$CLUSTER_DIR/updated.dump"  # the cluster's directory: postgres may write there
    as_postgres "$PG_BIN/pg_dump" -h "$PGHOST" -p "$PGPORT" -Fc -f "$dump" "$db"
    q postgres "CREATE DATABASE $restored" >/dev/null
    as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" -d "$restored" "$dump"
    rm -f "$dump"
    same_definitions "restored from the updated $R defines exactly what a fresh $V does" "$restored" fresh
    check "restored: catalog rows kept" "$(q "$restored" "$counts")" "$(q "$db" "$counts")"

    q "$db" "SELECT anomdet.revert_injection($inj)" >/dev/null
    check "updated $R -> $V: the old injection reverts exactly" \
        "$(q "$db" "SELECT count(*) FROM metrics m JOIN metrics_before b USING (ts) WHERE m.value IS DISTINCT FROM b.value")" 0
done

if [ "$failures" -ne 0 ]; then echo "upgrade: $failures check(s) failed"; exit 1; fi
echo "upgrade: all checks passed"
