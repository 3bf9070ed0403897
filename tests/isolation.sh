#!/usr/bin/env bash
# Concurrency specs (tests/isolation/specs) run by PostgreSQL's isolation tester against the
# cluster in PGHOST/PGPORT. --accept copies the results over the expected files (review them).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
ISOLATION="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/isolation/pg_isolation_regress"
out=$(mktemp -d /tmp/anomdet-isolation.XXXXXX)
specs=$(cd tests/isolation/specs && ls *.spec | sed 's/\.spec$//' | sort)
status=0
"$ISOLATION" --host="$PGHOST" --port="$PGPORT" --user="${PGUSER:-postgres}" --dbname=anomdet_isolation \
    --load-extension=anomdet --inputdir=tests/isolation --outputdir="$out" $specs || status=$?
if [ "${1:-}" = "--accept" ]; then
    cp "$out"/results/*.out tests/isolation/expected/
    echo "isolation: accepted results into tests/isolation/expected"
    status=0
elif [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
rm -rf "$out"
exit $status
