#!/usr/bin/env bash
# pgspot (static security checks for extension scripts) on the installed install script and on
# every upgrade script in sql/; fails on any error or warning.
# One documented exception: anomdet.scheduled_detect has no SET search_path on purpose, so the
# table named in its config resolves as the caller's own session would resolve it; its body
# calls only the schema-qualified anomdet.score_new_rows(jsonb), and no role but the extension's
# owner can create objects in schema anomdet.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
TOOLS=${ANOMDET_TOOLS:-$HOME/.cache/anomdet-tools}
scripts=("$("$PG_CONFIG" --sharedir)"/extension/anomdet--*.sql)
status=0
for f in "${scripts[@]}"; do
    out=$("$TOOLS/bin/pgspot" --proc-without-search-path 'anomdet.scheduled_detect(job_id integer,config jsonb)' "$f" 2>&1) || true
    summary=$(printf '%s\n' "$out" | grep -E "Errors: [0-9]+ Warnings: [0-9]+" || echo "no summary")
    echo "pgspot $(basename "$f"): $summary"
    if ! printf '%s\n' "$summary" | grep -qE "Errors: 0 Warnings: 0 Unknown: 0"; then
        printf '%s\n' "$out"
        status=1
    fi
done
exit $status
