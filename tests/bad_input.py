#!/usr/bin/env python3
"""The bad-input sweep (reliability checklist C1, C4): every SQL function of schema anomdet is
called with a valid baseline, then with each argument in turn replaced by each edge value of its
type (NULL, empty and NULL-holed arrays, NaN, ±Infinity, −0.0, 1e308, extreme integers, seeds 0
and −1, odd names and JSON), and with sources of every table kind (constant, 1 and 2 rows, NULL
holes, integer/numeric/real/timestamp/date columns, views, partitioned and materialized tables,
a dangling OID, a system catalog). Each case runs in its own rolled-back transaction with a
statement timeout.

A case passes when it returns, or fails with a specific SQLSTATE: never XX000 (an internal
error or a Rust panic), never a lost connection (a crash). Prints the count of cases, the
SQLSTATEs seen, and every failure. Usage: python tests/bad_input.py (PGHOST/PGPORT set)."""
import collections
import os
import sys

import psycopg

from pgtest import drop_database, fresh_database

DB = "anomdet_bad_input"

FIXTURES = """
CREATE EXTENSION anomdet;
CREATE TABLE good AS SELECT timestamptz '2024-01-01' + i * interval '1 minute' AS ts,
       10 + sin(i / 10.0) + CASE WHEN i = 300 THEN 9 ELSE 0 END AS value,
       (ARRAY['a', 'b'])[1 + i % 2] AS host
FROM generate_series(0, 599) AS i;
CREATE TABLE const_t AS SELECT ts, 5.0::float8 AS value FROM good;
CREATE TABLE one_row AS SELECT ts, value FROM good LIMIT 1;
CREATE TABLE two_rows AS SELECT ts, value FROM good LIMIT 2;
CREATE TABLE empty_t (ts timestamptz, value float8);
CREATE TABLE holes AS SELECT ts, CASE i % 7 WHEN 0 THEN NULL WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity'
       WHEN 3 THEN '-Infinity' WHEN 4 THEN 1e308 ELSE -0.0 END::float8 AS value
FROM (SELECT ts, row_number() OVER (ORDER BY ts) AS i FROM good) s;
CREATE TABLE dup_ts AS SELECT timestamptz '2024-01-01' AS ts, value FROM good;
CREATE TABLE null_ts AS SELECT NULL::timestamptz AS ts, value FROM good;
CREATE TABLE kinds AS SELECT ts, ts::timestamp AS ts_plain, ts::date AS day,
       value::int2 AS v_int2, value::int4 AS v_int4, value::int8 AS v_int8, value::numeric AS v_numeric,
       value::real AS v_real, value::text AS v_text, host FROM good;
CREATE VIEW v_good AS SELECT * FROM good;
CREATE MATERIALIZED VIEW mv_good AS SELECT * FROM good;
CREATE TABLE part (ts timestamptz, value float8) PARTITION BY RANGE (ts);
CREATE TABLE part_a PARTITION OF part FOR VALUES FROM ('2024-01-01') TO ('2024-01-01 05:00');
CREATE TABLE part_b PARTITION OF part FOR VALUES FROM ('2024-01-01 05:00') TO ('2024-01-02');
INSERT INTO part SELECT ts, value FROM good;
CREATE TABLE "Weird ""T"";--" AS SELECT * FROM good;
CREATE FUNCTION my_scores(vals float8[], params jsonb) RETURNS float8[] LANGUAGE sql AS
  $$ SELECT array_agg(abs(v) ORDER BY o) FROM unnest(vals) WITH ORDINALITY AS u(v, o) $$;
SELECT anomdet.register_detector('mine', 'my_scores', threshold => 10);
SELECT anomdet.run_batch('good', 'value', 'mad');
SELECT anomdet.inject('good', 'spike', '{value}', seed => 1, count => 2, target => 'good_injected');
SELECT anomdet.run_batch('good_injected', 'value', 'mad');
SELECT anomdet.benchmark('good', 'value', '{zscore}', '{spike}', seeds => 1);
SELECT anomdet.run_stream('good', 'value', 'stream_slow', speedup => 1);
"""

# Edge values per SQL type (SQL literals).
EDGES = {
    "regclass": ["NULL", "'const_t'", "'one_row'", "'two_rows'", "'empty_t'", "'holes'", "'dup_ts'", "'null_ts'",
                 "'v_good'", "'mv_good'", "'part'", "'pg_class'", "99999::oid::regclass", "0::oid::regclass",
                 "'\"Weird \"\"T\"\";--\"'", "'kinds'"],
    "text": ["NULL", "''", "'nope'", "' '", "repeat('x', 5000)", "E'q\\'\";--'", "'ünïcödé'", "'value'", "'ts'",
             "'host'", "'v_int2'", "'v_numeric'", "'v_real'", "'v_text'", "'ts_plain'", "'day'", "'NaN'", "'-1'"],
    "jsonb": ["NULL", "'{}'", "'[]'", "'null'", "'1'", "'\"x\"'", "'{\"window\": -1}'", "'{\"window\": 1e308}'",
              "'{\"threshold\": \"NaN\"}'", "'{\"nope\": 1}'", "'{\"window\": 2147483648}'",
              "'{\"members\": [\"mad\", {\"detector\": \"ensemble\"}]}'", "'{\"source\": \"good\"}'",
              "'{\"method\": \"spike\", \"count\": -1}'", "'[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]'"],
    "integer": ["NULL", "0", "-1", "1", "2", "2147483647", "-2147483648"],
    "bigint": ["NULL", "0", "-1", "1", "9223372036854775807", "-9223372036854775808"],
    "double precision": ["NULL", "'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "1e308", "-1e308", "5e-324", "0"],
    "boolean": ["NULL", "true", "false"],
    "interval": ["NULL", "'0'", "'-1 minute'", "'1 microsecond'", "'100000 years'"],
    "timestamp with time zone": ["NULL", "'infinity'", "'-infinity'", "'4713-01-01 BC'", "'294276-12-31'"],
    "text[]": ["NULL", "'{}'", "'{NULL}'", "'{spike,NULL}'", "'{nope}'", "'{value,value}'"],
    "double precision[]": ["NULL", "'{}'", "'{NULL}'", "'{1,NULL,3}'", "'{NaN}'", "'{Infinity,-Infinity}'",
                           "'{1e308,1e308}'", "'{1}'", "'{1,2}'", "'{{1,2},{3,4}}'"],
    "boolean[]": ["NULL", "'{}'", "'{NULL}'", "'{true,NULL}'", "'{t,f}'", "'{t,t,t,t}'"],
}

# A valid call of every function, by argument name (the rest take their defaults).
BASELINE = {
    "detectors": {},
    "help": {},
    "progress": {},
    "injectors": {},
    "detect": {"source": "'good'", "value_column": "'value'"},
    "decompose": {"source": "'good'", "value_column": "'value'", "period": "63"},
    "detect_columns": {"source": "'kinds'", "value_columns": "'{v_int4,v_real}'", "time_column": "'ts'"},
    "multivariate_detectors": {},
    "run_batch": {"source": "'good'", "value_column": "'value'"},
    "run_stream": {"source": "'good'", "value_column": "'value'", "target": "'stream_out'"},
    "job_results": {"job_id": "1"},
    "cancel_job": {"job_id": "3"},
    "score_new_rows": {"config": "'{\"source\": \"good\", \"value_column\": \"value\"}'"},
    "inject": {"source": "'good'", "method": "'spike'", "columns": "'{value}'", "count": "2"},
    "revert_injection": {"injection_id": "1"},
    "generate": {"target": "'gen_out'", "length": "100"},
    "evaluate": {"job_id": "2"},
    "evaluate_arrays": {"labels": "'{f,f,t,t,f,f}'", "scores": "'{0,1,5,6,1,0}'"},
    "benchmark": {"source": "'good'", "value_column": "'value'", "detectors": "'{zscore}'", "methods": "'{spike}'",
                  "seeds": "1"},
    "report": {"job_id": "2"},
    "register_detector": {"name": "'another'", "function": "'my_scores'"},
    "unregister_detector": {"name": "'mine'"},
    "train": {"name": "'m'", "source": "'good'", "value_column": "'value'"},
    "train_columns": {"name": "'mc'", "source": "'kinds'", "value_columns": "'{v_int4,v_real}'", "time_column": "'ts'"},
    "drop_model": {"name": "'m'"},
}
# Column kinds (C4): every value column type against every time column type, per scoring function.
VALUE_COLUMNS = ["'v_int2'", "'v_int4'", "'v_int8'", "'v_numeric'", "'v_real'", "'v_text'"]
TIME_COLUMNS = ["'ts'", "'ts_plain'", "'day'", "'host'"]
COLUMN_KINDS = [
    (name, {"source": "'kinds'", "value_column": v, "time_column": t})
    for name in ("detect", "run_batch", "decompose", "benchmark", "run_stream", "train")
    for v in VALUE_COLUMNS for t in TIME_COLUMNS
] + [
    ("inject", {"source": "'kinds'", "columns": f"ARRAY[{v}]", "time_column": t})
    for v in VALUE_COLUMNS for t in TIME_COLUMNS
] + [
    ("detect_columns", {"source": "'kinds'", "value_columns": f"ARRAY[{v}, 'v_real']", "time_column": t})
    for v in VALUE_COLUMNS for t in TIME_COLUMNS if v != "'v_real'"
]
PROCEDURES = {"scheduled_detect": {"job_id": "0", "config": "'{\"source\": \"good\", \"value_column\": \"value\"}'"}}


def signatures(conn):
    rows = conn.execute(
        "SELECT p.proname, p.prokind, coalesce(p.proargnames, '{}'), "
        "       array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t) "
        "FROM pg_proc p WHERE p.pronamespace = 'anomdet'::regnamespace AND p.proname !~ '^_' ORDER BY 1").fetchall()
    return {name: (kind, list(zip(names, types))) for name, kind, names, types in rows}


def call_sql(name, kind, args):
    rendered = ", ".join(f"{k} => {v}" for k, v in args.items())
    if kind == "p":
        return f"CALL anomdet.{name}({rendered})"
    return f"SELECT count(*) FROM (SELECT anomdet.{name}({rendered})) AS s"


def run_case(conn, sql):
    """None when it returned, else the SQLSTATE; 'CRASH' when the connection was lost."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET LOCAL statement_timeout = '10s'")
            conn.execute(sql)
        return None
    except psycopg.errors.Error as e:
        if conn.closed or conn.broken:
            return "CRASH"
        return e.sqlstate or "??"


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    sigs = signatures(conn)
    missing = set(sigs) - set(BASELINE) - set(PROCEDURES)
    if missing:
        print(f"bad_input: no baseline for {sorted(missing)}")
        return 1
    failures, states = [], collections.Counter()

    def check(sql):
        """Run one case; record its outcome; reconnect after a crash."""
        nonlocal conn
        state = run_case(conn, sql)
        states[state or "ok"] += 1
        if state in ("XX000", "CRASH", "??"):
            failures.append((state, sql))
            if state == "CRASH":
                conn = psycopg.connect(dbname=DB, autocommit=True)
        return state

    for name, (kind, params) in sorted(sigs.items()):
        base = (BASELINE | PROCEDURES)[name]
        baseline_state = check(call_sql(name, kind, base))
        if baseline_state is not None:
            failures.append((f"baseline failed with {baseline_state}", call_sql(name, kind, base)))
        for arg, typ in params:
            for edge in EDGES.get(typ, ["NULL"]):
                check(call_sql(name, kind, dict(base) | {arg: edge}))
    for name, overrides in COLUMN_KINDS:
        check(call_sql(name, sigs[name][0], BASELINE[name] | overrides))
    cases = sum(states.values())
    conn.close()
    drop_database(admin, DB)
    summary = ", ".join(f"{s} {n}" for s, n in sorted(states.items(), key=lambda x: -x[1]))
    print(f"bad_input: {cases} cases over {len(sigs)} functions; outcomes: {summary}")
    for state, sql in failures:
        print(f"  FAIL {state}: {sql}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
