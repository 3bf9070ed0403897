#!/usr/bin/env bash
# pgspot (static security checks for extension scripts) on the installed install script, and on
# every update script appended to the released install script it starts from (checklist A2);
# plus the checklist's grep rules for hand-written update scripts (A3). Fails on any finding.
# One documented exception: anomdet.scheduled_detect has no SET search_path on purpose, so the
# table named in its config resolves as the caller's own session would resolve it; its body
# calls only the schema-qualified anomdet.score_new_rows(jsonb), and no role but the extension's
# owner can create objects in schema anomdet.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
TOOLS=${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}
V=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
status=0
spot() {  # label, files...
    local label=$1 out summary
    shift
    out=$("$TOOLS/bin/pgspot" --append --proc-without-search-path 'anomdet.scheduled_detect(job_id integer,config jsonb)' "$@" 2>&1) || true
    summary=$(printf '%s\n' "$out" | grep -E "Errors: [0-9]+ Warnings: [0-9]+" | tail -1 || echo "no summary")
    echo "pgspot $label: $summary"
    if ! printf '%s\n' "$summary" | grep -qE "Errors: 0 Warnings: 0 Unknown: 0"; then
        printf '%s\n' "$out"
        status=1
    fi
}
spot "anomdet--$V.sql" "$("$PG_CONFIG" --sharedir)/extension/anomdet--$V.sql"
for f in sql/anomdet--*--*.sql; do
    [ -e "$f" ] || continue
    from=$(basename "$f" .sql | sed 's/^anomdet--\(.*\)--.*$/\1/')
    spot "released $from + $(basename "$f")" "sql/released/anomdet--$from.sql" "$f"
    # A3: a hand-written script locks its path first, and creates nothing "if not exists".
    if [ "$(grep -v '^\s*--' "$f" | grep -v '^\s*$' | head -1)" != "SET LOCAL search_path TO pg_catalog, pg_temp;" ]; then
        echo "$f: the first statement must be SET LOCAL search_path TO pg_catalog, pg_temp;"
        status=1
    fi
    if grep -qiE "if not exists|'[^']*@extschema@[^']*'" "$f"; then
        echo "$f: IF NOT EXISTS, or @extschema@ inside quotes"
        status=1
    fi
done
exit $status
