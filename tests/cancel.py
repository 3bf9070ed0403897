#!/usr/bin/env python3
"""Long calls stop promptly (reliability checklist C3, F5): every function that loops over many
rows or array elements is started on a large input, then stopped by statement_timeout (1 s) and,
separately, by pg_cancel_backend from a second session after 1 s. Each must end with 57014
within 1 s of the stop, leave the connection usable, and write nothing (the tables it would
write are checked). Usage: python tests/cancel.py (PGHOST/PGPORT set)."""
import sys
import threading

from pgtest import drop_database, fresh_database, stopped

DB = "anomdet_cancel"
ROWS = 3_000_000

FIXTURES = f"""
CREATE EXTENSION anomdet;
CREATE TABLE big AS SELECT timestamptz '2024-01-01' + i * interval '1 second' AS ts,
       sin(i / 500.0) + (i % 97) / 97.0 AS value, cos(i / 300.0) AS value2, (i % 4)::text AS host
FROM generate_series(1, {ROWS}) AS i;
CREATE TABLE big_copy AS SELECT * FROM big;
-- Labels and scores of every shape evaluation meets, built once so that a call's time is spent
-- inside the evaluation rather than in array_agg.
CREATE TABLE shapes AS
SELECT 'many short events, distinct scores' AS shape,
       array_agg(i % 100 = 0 ORDER BY i) AS labels, array_agg(random() ORDER BY i) AS scores
FROM generate_series(1, {ROWS}) AS i
UNION ALL
SELECT 'many short events, tied scores', array_agg(i % 100 = 0 ORDER BY i), array_agg(round(random() * 10) ORDER BY i)
FROM generate_series(1, {ROWS}) AS i
UNION ALL
SELECT 'few long events, distinct scores', array_agg(i % 300000 < 30000 ORDER BY i), array_agg(random() ORDER BY i)
FROM generate_series(1, {ROWS}) AS i
UNION ALL
SELECT 'every other row labelled', array_agg(i % 2 = 0 ORDER BY i), array_agg(random() ORDER BY i)
FROM generate_series(1, {ROWS}) AS i;
"""

def evaluate_shape(shape, threshold="oracle"):
    return (f"SELECT (SELECT count(*) FROM anomdet.evaluate_arrays(labels, scores, threshold => '{threshold}')) "
            f"FROM shapes WHERE shape = '{shape}'")

# Evaluation on every shape: each may finish before the stop (then it must finish within the
# slack), but none may run on past it.
EVALUATIONS = {
    "evaluate short/distinct": evaluate_shape("many short events, distinct scores"),
    "evaluate short/tied": evaluate_shape("many short events, tied scores"),
    # A fixed threshold in the middle flags about 900,000 short runs inside ten zones.
    "evaluate long/distinct": evaluate_shape("few long events, distinct scores", "score:0.5"),
    "evaluate alternating": evaluate_shape("every other row labelled", "score:0.5"),
}

# Calls that take well over a second on this input when nothing stops them.
LONG_CALLS = {
    "detect stl": "SELECT count(*) FROM anomdet.detect('big', 'value', 'stl')",
    # Two threads: the helper must stop too, and only the backend's thread reacts to the cancel.
    "detect matrix_profile": "SELECT count(*) FROM anomdet.detect('big', 'value', 'matrix_profile', '{\"window\": 100}')",
    # Windows of 16: 3M windows of the period found (512) would pass the 4 GiB memory limit.
    "detect knn": "SELECT count(*) FROM anomdet.detect('big', 'value', 'knn', '{\"window\": 16}')",
    "detect_columns isolation_forest": "SELECT count(*) FROM anomdet.detect_columns('big', ARRAY['value', 'value2'])",
    "detect online keyed": "SELECT count(*) FROM anomdet.detect('big', 'value', 'mad', series_column => 'host', mode => 'online')",
    "run_batch shesd": "SELECT anomdet.run_batch('big', 'value', 'shesd')",
    "decompose": "SELECT count(*) FROM anomdet.decompose('big', 'value', period => 3142)",
    "benchmark": "SELECT anomdet.benchmark('big', 'value', '{stl,ensemble}', '{spike,mean}', seeds => 3)",
    "inject in place": "SELECT anomdet.inject('big_copy', 'noise', '{value}', seed => 1, percent => 90)",
    "generate": "SELECT anomdet.generate('gen_big', length => 50000000)",
    "evaluate_arrays": "SELECT count(*) FROM anomdet.evaluate_arrays("
                       "(SELECT array_agg(i % 100 = 0) FROM generate_series(1, 3000000) i), "
                       "(SELECT array_agg(random()) FROM generate_series(1, 3000000) i))",
    "score_new_rows": "SELECT anomdet.score_new_rows('{\"source\": \"big\", \"value_column\": \"value\", \"detector\": \"ensemble\", \"series_column\": \"host\"}')",
}
SLACK = 1.0  # seconds allowed after the stop


def checksum(conn):
    return conn.execute(
        "SELECT (SELECT md5(string_agg(value::text, ',' ORDER BY ts)) FROM big_copy), "
        "(SELECT count(*) FROM anomdet.job_records), (SELECT count(*) FROM anomdet.injections), "
        "(SELECT count(*) FROM anomdet.benchmark_results), to_regclass('gen_big') IS NULL").fetchone()


def stopped_by_timeout(conn, sql):
    conn.execute("SET statement_timeout = '1s'")
    try:
        return stopped(conn, sql, 1.0)
    finally:
        conn.execute("RESET statement_timeout")


def stopped_by_cancel(conn, admin, sql):
    pid = conn.info.backend_pid
    timer = threading.Timer(1.0, lambda: admin.execute("SELECT pg_cancel_backend(%s)", [pid]))
    timer.start()
    try:
        return stopped(conn, sql, 1.0)
    finally:
        timer.join()


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    before = checksum(conn)
    failures = []
    for name, sql in {**LONG_CALLS, **EVALUATIONS}.items():
        for how in ("statement_timeout", "pg_cancel_backend"):
            if how == "statement_timeout":
                state, late = stopped_by_timeout(conn, sql)
            else:
                state, late = stopped_by_cancel(conn, admin, sql)
            may_finish = name in EVALUATIONS and state is None and late <= 1.0 + SLACK
            ok = (state == "57014" and late <= SLACK) or may_finish
            print(f"  {'ok' if ok else 'FAIL':4} {name:<31} {how:<18} {state or 'finished'} "
                  f"{'after' if state else 'in'} {late:.2f} s{' past the stop' if state else ''}")
            if not ok:
                failures.append((name, how))
            conn.execute("SELECT 1")  # the session is still usable
    after = checksum(conn)
    if after != before:
        failures.append(("stopped calls wrote something", f"{before} -> {after}"))
        print(f"  FAIL something was written: {before} -> {after}")
    conn.close()
    drop_database(admin, DB)
    print(f"cancel: {2 * (len(LONG_CALLS) + len(EVALUATIONS))} stops, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
