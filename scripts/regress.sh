#!/usr/bin/env bash
# Run the golden SQL tests (tests/regress, pg_regress) or, with --isolation, the concurrency specs
# (tests/isolation, PostgreSQL's isolation tester) against the cluster in PGHOST/PGPORT.
# --accept copies the results over the expected files (review the diff before committing!).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGXS_TEST="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test"
runner="$PGXS_TEST/regress/pg_regress" dir=tests/regress inputs=sql ext=sql db=anomdet_regress extra=()
accept=no
for arg in "$@"; do
    case "$arg" in
        --accept) accept=yes ;;
        --isolation)
            runner="$PGXS_TEST/isolation/pg_isolation_regress" dir=tests/isolation inputs=specs ext=spec db=anomdet_isolation
            extra=(--load-extension=anomdet) ;;
        *) echo "usage: $0 [--isolation] [--accept]"; exit 2 ;;
    esac
done
out=$(mktemp -d /tmp/anomdet-regress.XXXXXX)
tests=$(cd "$dir/$inputs" && ls *."$ext" | sed "s/\.$ext\$//" | sort)
status=0
"$runner" --host="$PGHOST" --port="$PGPORT" --user="${PGUSER:-postgres}" --dbname="$db" "${extra[@]}" \
    --inputdir="$dir" --outputdir="$out" $tests || status=$?
if [ "$accept" = yes ]; then
    cp "$out"/results/*.out "$dir/expected/"
    echo "regress: accepted results into $dir/expected"
    status=0
elif [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
rm -rf "$out"
exit $status
