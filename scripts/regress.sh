#!/usr/bin/env bash
# Run the golden SQL tests (tests/regress) against the running cluster in PGHOST/PGPORT.
# --accept copies the results over the expected files (review the diff before committing!).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_REGRESS="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress"
out=$(mktemp -d /tmp/anomdet-regress.XXXXXX)
tests=$(cd tests/regress/sql && ls *.sql | sed 's/\.sql$//' | sort)
status=0
"$PG_REGRESS" --host="$PGHOST" --port="$PGPORT" --user="${PGUSER:-postgres}" --dbname=anomdet_regress \
    --inputdir=tests/regress --outputdir="$out" $tests || status=$?
if [ "${1:-}" = "--accept" ]; then
    cp "$out"/results/*.out tests/regress/expected/
    echo "regress: accepted results into tests/regress/expected"
    status=0
elif [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
rm -rf "$out"
exit $status
