#!/usr/bin/env python3
"""anomdet against TimescaleDB itself (a cluster with timescaledb preloaded): every row of the
issue's table, each checked against the same call on a plain copy of the data or against the
data itself.
  - detect and run_batch on a many-chunk hypertable with a series key, time column defaulted;
    detect on compressed chunks and on continuous aggregates (materialized and real-time)
  - add_job(anomdet.scheduled_detect) left to TimescaleDB's own scheduler: successes counted
    in job_stats, a failing config in job_errors with our SQLSTATE
  - inject in place on a 4-chunk hypertable and a 2-partition table: exactly the labelled rows
    change, revert restores the table bit for bit; the same with compressed chunks, with
    compress_chunk / decompress_chunk between inject and revert, and after drop_chunks and a
    retention policy (revert warns about the cells it cannot restore and restores the rest)
  - run_stream from a hypertable with compressed chunks; a hypertable target compressed by a
    policy while the stream writes
Usage: python tests/timescale.py (PGHOST/PGPORT set, timescaledb preloaded)."""
import sys
import time

import psycopg

from pgtest import drop_database, fresh_database

DB = "anomdet_timescale"
FIXTURES = """
CREATE EXTENSION timescaledb;
CREATE EXTENSION anomdet;
SET timescaledb.enable_compression_ratio_warnings = off;
-- 4 days of 5-minute rows for 3 hosts: 3,456 rows in 4 daily chunks.
CREATE TABLE metrics (ts timestamptz NOT NULL, host text NOT NULL, cpu float8, mem numeric(10,2));
SELECT create_hypertable('metrics', 'ts', chunk_time_interval => interval '1 day');
INSERT INTO metrics SELECT timestamptz '2024-01-01' + i * interval '5 minutes', h,
       50 + 10 * sin(i / 20.0) + CASE WHEN i % 331 = 0 THEN 40 ELSE 0 END + (i % 7), round((30 + cos(i / 7.0))::numeric, 2)
FROM generate_series(0, 1151) AS i, unnest(ARRAY['a', 'b', 'c']) AS h;
ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'host');
CREATE TABLE metrics_plain AS SELECT * FROM metrics;
CREATE TABLE parts (ts timestamptz NOT NULL, value float8) PARTITION BY RANGE (ts);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM ('2024-01-01') TO ('2024-01-03');
CREATE TABLE parts_2 PARTITION OF parts FOR VALUES FROM ('2024-01-03') TO ('2024-01-05');
INSERT INTO parts SELECT timestamptz '2024-01-01' + i * interval '5 minutes', sin(i / 10.0) FROM generate_series(0, 1151) AS i;
"""

failures = []


def check(what, got, expected):
    ok = got == expected
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + ("" if ok else f": got {got!r}, expected {expected!r}"))
    if not ok:
        failures.append(what)


def one(conn, sql, args=None):
    return conn.execute(sql, args).fetchone()[0]


def checksum(conn, table, order="ts, host"):
    return one(conn, f"SELECT md5(string_agg(t::text, ',' ORDER BY {order})) FROM {table} t")


def compress(conn, table, which="all"):
    chunks = [r[0] for r in conn.execute(f"SELECT c::text FROM show_chunks('{table}') c ORDER BY 1").fetchall()]
    picked = chunks if which == "all" else chunks[::2]
    for c in picked:
        conn.execute(f"SELECT compress_chunk('{c}', if_not_compressed => true)")
    return len(picked)


def detection(conn):
    print("== detection on hypertables, compressed chunks and continuous aggregates")
    same = ("SELECT count(*) FROM anomdet.detect('{}', 'cpu', 'mad', series_column => 'host') a "
            "FULL JOIN anomdet.detect('metrics_plain', 'cpu', 'mad', series_column => 'host', time_column => 'ts') b "
            "USING (ts, series) WHERE a.score IS DISTINCT FROM b.score OR a.is_anomaly IS DISTINCT FROM b.is_anomaly")
    check("detect on a 4-chunk hypertable (time column defaulted) equals detect on a plain copy",
          one(conn, same.format("metrics")), 0)
    job = one(conn, "SELECT anomdet.run_batch('metrics', 'cpu', 'mad', series_column => 'host')")
    check("run_batch on the hypertable: every row scored",
          one(conn, "SELECT rows_scored FROM anomdet.jobs WHERE id = %s", [job]), 3456)
    compress(conn, "metrics", "some")
    check("detect with half the chunks compressed equals detect on the plain copy", one(conn, same.format("metrics")), 0)
    conn.execute("""CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
                    SELECT time_bucket('1 hour', ts) AS bucket, host, avg(cpu) AS cpu FROM metrics GROUP BY 1, 2 WITH NO DATA""")
    conn.execute("CALL refresh_continuous_aggregate('metrics_hourly', NULL, NULL)")
    conn.execute("""CREATE MATERIALIZED VIEW metrics_live WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                    SELECT time_bucket('1 hour', ts) AS bucket, host, avg(cpu) AS cpu FROM metrics GROUP BY 1, 2 WITH NO DATA""")
    plain = ("SELECT count(*) FROM anomdet.detect('{}', 'cpu', 'mad', series_column => 'host', time_column => 'bucket') a "
             "FULL JOIN anomdet.detect('hourly_plain', 'cpu', 'mad', series_column => 'host', time_column => 'bucket') b "
             "USING (ts, series) WHERE a.score IS NULL <> (b.score IS NULL) OR abs(a.score - b.score) > 1e-9 "
             "OR a.is_anomaly IS DISTINCT FROM b.is_anomaly")
    conn.execute("CREATE TABLE hourly_plain AS SELECT time_bucket('1 hour', ts) AS bucket, host, avg(cpu) AS cpu "
                 "FROM metrics_plain GROUP BY 1, 2")
    check("detect on a continuous aggregate equals detect on the same aggregate in plain SQL (to 1e-9: avg sums in another order)",
          one(conn, plain.format("metrics_hourly")), 0)
    check("detect on a real-time continuous aggregate (nothing materialized) equals it too",
          one(conn, plain.format("metrics_live")), 0)


def time_range(conn, notices):
    print("== a time range reads only the chunks it needs (auto_explain of the statements inside)")
    conn.execute("LOAD 'auto_explain'")
    for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_analyze = on", "log_buffers = on"):
        conn.execute(f"SET auto_explain.{setting}")
    conn.execute("SET client_min_messages = log")
    chunks_of = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT chunk_name, range_start, range_end FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics'").fetchall()}
    calls = {
        "detect": "SELECT count(*) FROM anomdet.detect('metrics', 'cpu', 'mad', series_column => 'host', "
                  "start_time => '2024-01-03 02:00+00', end_time => '2024-01-03 20:00+00', lookback => 0)",
        "run_batch": "SELECT anomdet.run_batch('metrics', 'cpu', 'mad', series_column => 'host', "
                     "start_time => '2024-01-03 02:00+00', end_time => '2024-01-03 20:00+00', lookback => 0)",
        "benchmark": "SELECT anomdet.benchmark('metrics', 'cpu', '{mad}', '{spike}', seeds => 1, series_column => 'host', "
                     "start_time => '2024-01-03 02:00+00', end_time => '2024-01-03 20:00+00')",
    }
    for name, sql in calls.items():
        notices.clear()
        conn.execute(sql)
        # The series read (its select list casts the time to timestamptz; it tests no row for
        # a missing time) and the other reads of the source (which do).
        plans = [n for n in notices if "Query Text" in n and "public.metrics" in n
                 and ("IS NOT NULL" in n or "::pg_catalog.timestamptz" in n)]
        read = sorted({c for plan in plans for c in chunks_of if c in plan})
        print(f"  ..   {name}: the scan's plan names chunks {read} of {len(chunks_of)}")
        inside = [c for c, (lo, hi) in chunks_of.items() if lo.isoformat() <= "2024-01-03T20" and hi.isoformat() > "2024-01-03T02"]
        check(f"{name} with a time range reads only the chunk holding it", (len(plans) > 0, read), (True, sorted(inside)))
    conn.execute("RESET client_min_messages")
    conn.execute("SET auto_explain.log_min_duration = -1")
    rows = one(conn, "SELECT count(*) FROM anomdet.detect('metrics', 'cpu', 'mad', series_column => 'host', mode => 'online', "
                     "start_time => '2024-01-03 02:00+00', end_time => '2024-01-03 20:00+00')")
    check("detect returns exactly the rows in [start_time, end_time)", rows, 3 * 18 * 12)
    same = one(conn, "SELECT count(*) FROM anomdet.detect('metrics', 'cpu', 'mad', series_column => 'host', mode => 'online', "
                     "start_time => '2024-01-03 02:00+00', end_time => '2024-01-03 20:00+00') a "
                     "JOIN anomdet.detect('metrics', 'cpu', 'mad', series_column => 'host', mode => 'online') b USING (ts, series) "
                     "WHERE a.score IS DISTINCT FROM b.score")
    check("online scores in the range, warmed up on 1,000 earlier rows, equal a full pass", same, 0)


def scheduler(conn):
    print("== add_job(anomdet.scheduled_detect) run by TimescaleDB's own scheduler")
    conn.execute("CREATE TABLE live (ts timestamptz NOT NULL, cpu float8)")
    conn.execute("SELECT create_hypertable('live', 'ts', chunk_time_interval => interval '1 hour')")
    conn.execute("INSERT INTO live SELECT now() - interval '5 hours' + i * interval '1 minute', 50 + sin(i) "
                 "FROM generate_series(0, 299) i")
    good = one(conn, "SELECT add_job('anomdet.scheduled_detect', '2 seconds', "
                     "config => '{\"source\": \"live\", \"value_column\": \"cpu\"}')")
    bad = one(conn, "SELECT add_job('anomdet.scheduled_detect', '2 seconds', "
                    "config => '{\"source\": \"no_such_table\", \"value_column\": \"cpu\"}')")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = one(conn, "SELECT coalesce(sum(total_successes), 0) FROM timescaledb_information.job_stats WHERE job_id = %s", [good])
        failed = one(conn, "SELECT coalesce(sum(total_failures), 0) FROM timescaledb_information.job_stats WHERE job_id = %s", [bad])
        if done >= 2 and failed >= 1:
            break
        time.sleep(0.5)
    stats = conn.execute("SELECT total_runs, total_successes, total_failures FROM timescaledb_information.job_stats "
                         "WHERE job_id = %s", [good]).fetchone()
    print(f"  ..   job_stats of the good job: runs {stats[0]}, successes {stats[1]}, failures {stats[2]}")
    check("the scheduler's runs are recorded as successes, none as failures", (stats[1] >= 2, stats[2]), (True, 0))
    check("the scheduler's runs scored the rows", one(conn, "SELECT count(*) > 0 FROM anomdet.watermarks WHERE runs >= 2"), True)
    errors = conn.execute("SELECT DISTINCT sqlerrcode, err_message FROM timescaledb_information.job_errors WHERE job_id = %s",
                          [bad]).fetchall()
    check("a failing config shows in job_errors with anomdet's SQLSTATE", [e[0] for e in errors], ["42P01"])
    check("... and its message names the argument", any("config.source" in e[1] for e in errors), True)
    conn.execute("SELECT delete_job(%s)", [good])
    conn.execute("SELECT delete_job(%s)", [bad])


def injection(conn, warnings):
    print("== inject and revert on hypertables and partitions")
    for table, order, chunks in (("metrics", "ts, host", "4 chunks"), ("parts", "ts", "2 partitions")):
        for step in ("decompressed", "compressed"):
            if step == "compressed" and table == "parts":
                continue
            if step == "compressed":
                compress(conn, table, "all")
            else:
                for c in [r[0] for r in conn.execute(f"SELECT c::text FROM show_chunks('{table}') c").fetchall()] if table == "metrics" else []:
                    conn.execute(f"SELECT decompress_chunk('{c}', if_compressed => true)")
            before = checksum(conn, table, order)
            conn.execute(f"CREATE TEMP TABLE before_rows AS SELECT * FROM {table}")
            column = "cpu" if table == "metrics" else "value"
            key = ", series_column => 'host'" if table == "metrics" else ""
            injection_id = one(conn, f"SELECT anomdet.inject('{table}', 'spike', '{{{column}}}', count => 10, seed => 3{key})")
            join = "USING (ts, host)" if table == "metrics" else "USING (ts)"
            changed = one(conn, f"SELECT count(*) FROM {table} t JOIN before_rows b {join} WHERE t.{column} IS DISTINCT FROM b.{column}")
            ledger = one(conn, "SELECT count(*) FROM anomdet.injection_cells WHERE injection_id = %s", [injection_id])
            keys = 3 if table == "metrics" else 1
            check(f"inject count => 10 on {table} ({chunks}, {step}): changed rows = ledger cells = {10 * keys}",
                  (changed, ledger), (10 * keys, 10 * keys))
            if step == "compressed":
                # Between inject and revert the chunks are decompressed and compressed again.
                for c in [r[0] for r in conn.execute(f"SELECT c::text FROM show_chunks('{table}') c").fetchall()][:2]:
                    conn.execute(f"SELECT decompress_chunk('{c}', if_compressed => true)")
                compress(conn, table, "all")
            conn.execute("SELECT anomdet.revert_injection(%s)", [injection_id])
            check(f"revert on {table} ({step}): the table is identical (checksum)", checksum(conn, table, order), before)
            conn.execute("DROP TABLE before_rows")

    print("== revert after drop_chunks and after a retention policy")
    for how in ("drop_chunks", "retention policy"):
        conn.execute("DROP TABLE IF EXISTS ret")
        conn.execute("CREATE TABLE ret (ts timestamptz NOT NULL, value float8)")
        conn.execute("SELECT create_hypertable('ret', 'ts', chunk_time_interval => interval '1 day')")
        conn.execute("INSERT INTO ret SELECT now() - interval '10 days' + i * interval '10 minutes', sin(i / 9.0) "
                     "FROM generate_series(0, 1439) i")
        conn.execute("CREATE TEMP TABLE ret_before AS SELECT * FROM ret")
        injection_id = one(conn, "SELECT anomdet.inject('ret', 'noise', '{value}', percent => 10, seed => 5)")
        cells = one(conn, "SELECT count(*) FROM anomdet.injection_cells WHERE injection_id = %s", [injection_id])
        if how == "drop_chunks":
            conn.execute("SELECT drop_chunks('ret', older_than => now() - interval '6 days')")
        else:
            job = one(conn, "SELECT add_retention_policy('ret', interval '6 days', schedule_interval => interval '1 second')")
            conn.execute("CALL run_job(%s)", [job])
            conn.execute("SELECT remove_retention_policy('ret')")
        kept = one(conn, "SELECT count(*) FROM anomdet.injection_cells c JOIN ret r ON r.ts = c.ts WHERE c.injection_id = %s",
                   [injection_id])
        warnings.clear()
        restored = one(conn, "SELECT anomdet.revert_injection(%s)", [injection_id])
        check(f"{how}: revert restores the {kept} of {cells} cells whose rows remain", restored, kept)
        check(f"{how}: revert warns about the {cells - kept} cells it could not restore",
              any(f"{cells - kept} cells" in w and "could not be restored" in w for w in warnings), True)
        check(f"{how}: every remaining row holds its original value",
              one(conn, "SELECT count(*) FROM ret r JOIN ret_before b USING (ts) WHERE r.value IS DISTINCT FROM b.value"), 0)
        conn.execute("DROP TABLE ret_before")


def streams(conn):
    print("== run_stream from compressed chunks, into a hypertable compressed while the stream writes")
    conn.execute("CREATE TABLE src (ts timestamptz NOT NULL, value float8)")
    conn.execute("SELECT create_hypertable('src', 'ts', chunk_time_interval => interval '6 hours')")
    conn.execute("INSERT INTO src SELECT timestamptz '2024-01-01' + i * interval '1 minute', 20 + 3 * sin(i / 15.0) "
                 "FROM generate_series(0, 2999) i")
    conn.execute("ALTER TABLE src SET (timescaledb.compress)")
    compress(conn, "src", "some")
    job = one(conn, "SELECT anomdet.run_stream('src', 'value', 'replay', 'zscore')")
    wait_for(conn, job)
    check("run_stream from a hypertable with compressed chunks succeeds",
          one(conn, "SELECT status FROM anomdet.jobs WHERE id = %s", [job]), "succeeded")
    check("... and replays every row", one(conn, "SELECT count(*) FROM replay"), 3000)
    # A slow stream into a target that a compression policy compresses meanwhile.
    job = one(conn, "SELECT anomdet.run_stream('src', 'value', 'paced', 'zscore', speedup => 60000, "
                    "inject => '{\"method\": \"spike\", \"count\": 5, \"seed\": 2}')")
    time.sleep(1.0)
    conn.execute("ALTER TABLE paced SET (timescaledb.compress)")
    policy = one(conn, "SELECT add_compression_policy('paced', compress_after => interval '1 hour', "
                       "schedule_interval => interval '1 second')")
    for _ in range(3):
        conn.execute("CALL run_job(%s)", [policy])
        time.sleep(0.5)
    wait_for(conn, job)
    check("a stream whose hypertable target is compressed while it writes succeeds",
          one(conn, "SELECT status FROM anomdet.jobs WHERE id = %s", [job]), "succeeded")
    compressed = one(conn, "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'paced' AND is_compressed")
    print(f"  ..   the policy compressed {compressed} chunks of the target while it was written")
    check("... every row arrived", one(conn, "SELECT count(*) FROM paced"), 3000)
    check("... exactly the 5 planted rows differ from the source",
          one(conn, "SELECT count(*) FROM paced p JOIN src s USING (ts) WHERE p.value IS DISTINCT FROM s.value"), 5)
    injection_id = one(conn, "SELECT injection_id FROM anomdet.labels WHERE relid = 'paced'::regclass LIMIT 1")
    compress(conn, "paced", "all")
    check("revert on the compressed target restores the 5 rows",
          one(conn, "SELECT anomdet.revert_injection(%s)", [injection_id]), 5)
    check("... and the target equals the source",
          one(conn, "SELECT count(*) FROM paced p JOIN src s USING (ts) WHERE p.value IS DISTINCT FROM s.value"), 0)
    conn.execute("SELECT remove_compression_policy('paced')")


def wait_for(conn, job, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if one(conn, "SELECT status NOT IN ('queued', 'running') FROM anomdet.jobs WHERE id = %s", [job]):
            return
        time.sleep(0.2)


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    conn.execute("SET timescaledb.enable_compression_ratio_warnings = off")
    warnings, notices = [], []
    conn.add_notice_handler(lambda d: warnings.append(d.message_primary or ""))
    conn.add_notice_handler(lambda d: notices.append((d.message_primary or "") + "\n" + (d.message_detail or "")))
    for part in (detection, lambda c: time_range(c, notices), scheduler, lambda c: injection(c, warnings), streams):
        try:
            part(conn)
        except psycopg.errors.Error as e:
            print(f"  FAIL {e.sqlstate}: {e}")
            failures.append(str(e))
            conn.rollback() if not conn.autocommit else None
    conn.close()
    drop_database(admin, DB)
    print(f"timescale: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
