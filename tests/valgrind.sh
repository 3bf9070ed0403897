#!/usr/bin/env bash
# Memory errors (reliability checklist F6) under valgrind memcheck: a single-user backend runs
# every detector (batch, and online where it has one), every multivariate detector, decompose,
# every injection method with its revert, evaluate, benchmark, report, generate, a series long
# enough to be scored a chunk ahead on a helper thread (pipeline::ahead) and a
# registered SQL detector. Any error
# whose stack passes through anomdet fails the test. (Debian's PostgreSQL is not built with
# USE_VALGRIND, so palloc'd chunks are not tracked one by one; Rust's own heap, which is
# malloc, is. Errors entirely inside PostgreSQL, such as the WAL padding it writes
# uninitialised, are PostgreSQL's known false positives and are only counted.)
# Takes about a minute. Usage: bash tests/valgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
if ! command -v valgrind >/dev/null; then echo "valgrind: not installed (apt install valgrind)"; exit 1; fi

dir=$(mktemp -d /tmp/anomdet-valgrind.XXXXXX)
chmod 755 "$dir"
chown postgres "$dir"
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Single-user mode: one statement per line.
cat >"$dir/calls.sql" <<'SQL'
CREATE EXTENSION anomdet;
SELECT anomdet.generate('m', 'sine', length => 1500, period => 50, noise => 0.3, seed => 1);
CREATE TABLE keyed AS SELECT ts, value, (extract(epoch FROM ts)::bigint % 3)::text AS host FROM m;
DO $$ DECLARE d record; BEGIN FOR d IN SELECT name FROM anomdet.detectors() LOOP PERFORM count(*) FROM anomdet.detect('m', 'value', d.name); END LOOP; END $$;
DO $$ DECLARE d record; BEGIN FOR d IN SELECT name FROM anomdet.detectors() WHERE online LOOP PERFORM count(*) FROM anomdet.detect('m', 'value', d.name, mode => 'online'); END LOOP; END $$;
SELECT count(*) FROM (SELECT * FROM anomdet.detect('m', 'value', 'ewma', mode => 'online') LIMIT 20) d WHERE score IS NOT NULL;
SET anomdet.stream_functions = off;
SELECT count(*) FROM anomdet.detect('m', 'value', 'ewma', mode => 'online');
RESET anomdet.stream_functions;
SELECT anomdet.generate('long', 'sine', length => 25000, period => 50, noise => 0.3, seed => 2);
SELECT count(*) FROM anomdet.detect('long', 'value', 'mad', mode => 'online');
SELECT count(*) FROM (SELECT * FROM anomdet.detect('long', 'value', 'spot', mode => 'online') LIMIT 15000) d WHERE score IS NOT NULL;
SET anomdet.stream_functions = off;
SELECT count(*) FROM anomdet.detect('long', 'value', 'mad', mode => 'online', only_anomalies => true);
RESET anomdet.stream_functions;
DO $$ DECLARE d record; BEGIN FOR d IN SELECT name FROM anomdet.detectors() WHERE online LOOP PERFORM count(*) FROM anomdet.detect('keyed', 'value', d.name, series_column => 'host', mode => 'online'); END LOOP; END $$;
SELECT count(*) FROM anomdet.decompose('keyed', 'value', series_column => 'host');
CREATE TABLE m2 AS SELECT ts, value, value * value + (extract(epoch FROM ts)::bigint % 13) AS v2, cos(extract(epoch FROM ts) / 600) AS v3 FROM m;
SELECT count(contributions) FROM anomdet.multivariate_detectors() d, anomdet.detect_columns('m2', ARRAY['value', 'v2', 'v3'], d.name, explain => 'all');
DO $$ DECLARE i record; j bigint; BEGIN FOR i IN SELECT name FROM anomdet.injectors() LOOP j := anomdet.inject('m', i.name, '{value}', seed => 3, count => 2, length => 40); PERFORM anomdet.revert_injection(j); END LOOP; END $$;
SELECT anomdet.inject('m', 'spike', '{value}', '{"magnitude": 5}', seed => 4, count => 6, target => 'm_injected');
SELECT count(*) FROM anomdet.evaluate(anomdet.run_batch('m_injected', 'value', 'ensemble'));
SELECT length(anomdet.report(anomdet.run_batch('m_injected', 'value', 'stl')));
SELECT anomdet.benchmark('m', 'value', '{mad,shesd,ensemble}', '{spike,step,noise}', seeds => 1);
CREATE FUNCTION public.flat(v float8[]) RETURNS float8[] LANGUAGE sql AS 'SELECT array_fill(0::float8, ARRAY[cardinality(v)])';
SELECT anomdet.register_detector('flat', 'public.flat(float8[])');
SELECT count(*) FROM anomdet.detect('m', 'value', 'flat');
SELECT count(*) FROM anomdet.evaluate_arrays(ARRAY(SELECT i % 97 = 0 FROM generate_series(1, 2000) i), ARRAY(SELECT (i % 89)::float8 FROM generate_series(1, 2000) i));
SQL
echo "== valgrind memcheck on a single-user backend"
start=$(date +%s)
as_postgres valgrind --quiet --error-limit=no --num-callers=40 --log-file="$dir/valgrind.log" \
    "$PG_BIN/postgres" --single -D "$dir/data" -c search_path=public postgres <"$dir/calls.sql" >"$dir/out.log" 2>&1
errors_in_output=$(grep -c "ERROR:" "$dir/out.log" || true)
python3 - "$dir/valgrind.log" "$errors_in_output" "$(( $(date +%s) - start ))" <<'PY'
import re, sys
log, sql_errors, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3]
blocks, current = [], []
for line in open(log):
    body = re.sub(r"^==\d+== ?", "", line.rstrip("\n"))
    if body == "":
        if current:
            blocks.append(current)
        current = []
    else:
        current.append(body)
if current:
    blocks.append(current)
ours = [b for b in blocks if any("anomdet" in l for l in b)]
print(f"  ..   {len(blocks)} valgrind reports in {seconds} s, {len(ours)} through anomdet; {sql_errors} SQL errors")
for b in ours[:5]:
    print("\n".join("       " + l for l in b[:25]))
ok = not ours and sql_errors == 0
print("valgrind: all checks passed" if ok else "valgrind: FAILED")
sys.exit(0 if ok else 1)
PY
