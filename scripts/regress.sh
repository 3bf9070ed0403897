#!/usr/bin/env bash
# Run the golden SQL tests (tests/regress, pg_regress) or, with --isolation, the concurrency specs
# (tests/isolation, PostgreSQL's isolation tester) against the cluster in PGHOST/PGPORT.
# --accept copies the results over the expected files (review the diff before committing!).
# --hypertables (TimescaleDB preloaded) runs the golden tests again with the fixture tables
# turned into hypertables, half their chunks compressed (tests/regress/hypertables): the
# expected outputs are the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGXS_TEST="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test"
runner="$PGXS_TEST/regress/pg_regress" dir=tests/regress inputs=sql ext=sql db=anomdet_regress extra=()
accept=no hypertables=no
for arg in "$@"; do
    case "$arg" in
        --accept) accept=yes ;;
        --hypertables) hypertables=yes ;;
        --isolation)
            runner="$PGXS_TEST/isolation/pg_isolation_regress" dir=tests/isolation inputs=specs ext=spec db=anomdet_isolation
            extra=(--load-extension=anomdet) ;;
        *) echo "usage: $0 [--isolation | --hypertables] [--accept]"; exit 2 ;;
    esac
done
out=$(mktemp -d /tmp/anomdet-regress.XXXXXX)
if [ "$hypertables" = yes ]; then
    # The same tests and expected files, plus the step that converts the fixtures.
    mkdir -p "$out/input"
    cp -r "$dir/sql" "$dir/expected" "$out/input/"
    cp tests/regress/hypertables/*.sql "$out/input/sql/"
    cp tests/regress/hypertables/*.out "$out/input/expected/" 2>/dev/null || true
    dir="$out/input"
fi
tests=$(cd "$dir/$inputs" && ls *."$ext" | sed "s/\.$ext\$//" | sort)
status=0
# Progress notices of long calls carry timings: none in the expected output.
export PGOPTIONS="${PGOPTIONS:-} -c anomdet.progress_every=0"
# --bindir: psql of this server (a relocated build, like the PyPI one, has its build path compiled in).
"$runner" --host="$PGHOST" --port="$PGPORT" --user="${PGUSER:-postgres}" --dbname="$db" "${extra[@]}" \
    --bindir="$("$PG_CONFIG" --bindir)" \
    --inputdir="$dir" --outputdir="$out" $tests || status=$?
if [ "$accept" = yes ] && [ "$hypertables" = yes ]; then
    cp "$out"/results/00_zz_hypertables.out tests/regress/hypertables/
    echo "regress: accepted the conversion step's output into tests/regress/hypertables"
    status=0
elif [ "$accept" = yes ]; then
    cp "$out"/results/*.out "$dir/expected/"
    echo "regress: accepted results into $dir/expected"
    status=0
elif [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
rm -rf "$out"
exit $status
