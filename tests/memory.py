#!/usr/bin/env python3
"""Memory soak (reliability checklist F7), the TimescaleDB rule: after a warm-up, a process's
private resident memory may not grow past 1.5 x its steady state. Private (RssAnon), because
VmRSS also counts the shared buffers a process has touched: a backend writing new rows grows
VmRSS up to shared_buffers without allocating anything (measured: 35 to 93 MiB over 400
run_batch calls while RssAnon stayed at 6.4 MiB).
- One backend makes 3,000 calls: detect batch and online, keyed, decompose, evaluate_arrays, and
  run_batch with its results (each kind in turn); RSS is read from /proc after 300 calls and at
  the end.
- One stream worker replays 12,000 rows paced so that it commits more than 1,000 small batches;
  its RSS is read after 2 s and at the end.
Usage: python tests/memory.py (PGHOST/PGPORT set; run as root or postgres to read /proc)."""
import sys
import time

from pgtest import drop_database, fresh_database

DB = "anomdet_memory"
FIXTURES = """
CREATE EXTENSION anomdet;
SELECT anomdet.generate('m', 'sine', length => 1000, period => 50, noise => 0.3, seed => 1);
SELECT anomdet.inject('m', 'spike', '{value}', seed => 2, count => 5);
CREATE TABLE keyed AS SELECT ts, value, (extract(epoch FROM ts)::bigint % 4)::text AS host FROM m;
SELECT anomdet.generate('feed', 'sine', length => 12000, period => 100, noise => 0.2, seed => 3);
"""
CALLS = [
    "SELECT count(*) FROM anomdet.detect('m', 'value', 'mad')",
    "SELECT count(*) FROM anomdet.detect('m', 'value', 'ewma', mode => 'online')",
    "SELECT count(*) FROM anomdet.detect('keyed', 'value', 'zscore', series_column => 'host')",
    "SELECT count(*) FROM anomdet.decompose('m', 'value', period => 50)",
    # Fixed labels: random ones left a call with none labelled about once in 50 soaks (22000).
    "SELECT count(*) FROM anomdet.evaluate_arrays(ARRAY(SELECT i % 97 = 0 FROM generate_series(1, 1000) i),"
    " ARRAY(SELECT random() FROM generate_series(1, 1000)))",
    "SELECT anomdet.run_batch('m', 'value', 'iqr')",
]
WARMUP, TOTAL = 300, 3000
LIMIT = 1.5


def rss_kib(pid):
    """Private resident memory (anonymous pages) of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise RuntimeError(f"no RssAnon for {pid}")


def verdict(what, steady, final):
    ok = final <= LIMIT * steady
    print(f"  {'ok  ' if ok else 'FAIL'} {what}: {steady / 1024:.1f} MiB after warm-up, {final / 1024:.1f} MiB at the end "
          f"(x{final / steady:.2f}, limit x{LIMIT})")
    return ok


def soak_backend(conn):
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    steady = None
    started = time.monotonic()
    for i in range(TOTAL):
        conn.execute(CALLS[i % len(CALLS)]).fetchall()
        if i + 1 == WARMUP:
            steady = rss_kib(pid)
        if (i + 1) % len(CALLS) == 0:
            conn.execute("DELETE FROM anomdet.job_records")  # keep the catalog small, as a user would
    final = rss_kib(pid)
    print(f"  ..   {TOTAL} calls in {time.monotonic() - started:.1f} s")
    return verdict(f"a backend making {TOTAL} calls", steady, final)


def soak_worker(conn):
    # Rows a minute apart at 60,000x: one falls due every millisecond, so each wake-up commits a
    # batch of a few rows.
    commits_sql = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    commits_before = conn.execute(commits_sql).fetchone()[0]
    job = conn.execute("SELECT anomdet.run_stream('feed', 'value', 'feed_live', 'mad', speedup => 60000)").fetchone()[0]
    pid = None
    for _ in range(100):
        pid = conn.execute("SELECT backend_pid FROM anomdet.jobs WHERE id = %s AND status = 'running'", (job,)).fetchone()
        if pid and pid[0]:
            pid = pid[0]
            break
        time.sleep(0.05)
    time.sleep(2)
    steady = rss_kib(pid)
    final = steady
    while conn.execute("SELECT status FROM anomdet.jobs WHERE id = %s", (job,)).fetchone()[0] == "running":
        try:
            final = rss_kib(pid)
        except (FileNotFoundError, RuntimeError):
            break
        time.sleep(0.2)
    status, rows = conn.execute("SELECT status, rows_read FROM anomdet.jobs WHERE id = %s", (job,)).fetchone()
    time.sleep(0.6)  # statistics are flushed at most every 0.5 s
    commits = conn.execute(commits_sql).fetchone()[0] - commits_before
    print(f"  ..   stream {status}: {rows} rows in {commits} commits (the worker's batches and this poll)")
    return verdict("a stream worker committing batch after batch", steady, final) and status == "succeeded"


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    try:
        ok = soak_backend(conn)
        ok = soak_worker(conn) and ok
    finally:
        conn.close()
        drop_database(admin, DB)
    print("memory: all checks passed" if ok else "memory: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
