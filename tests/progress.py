#!/usr/bin/env python3
"""Long calls say how far they are, to their own session and to others.

- A benchmark that runs for several seconds prints NOTICEs "anomdet benchmark: done / total
  cells (share), elapsed, about ... left" at most every anomdet.progress_every, the counts rising
  to the total; with the setting at 0 it prints none.
- While it runs, another session sees it in the view anomdet.progress (call, relation, job id,
  done rising to the total); a role without the caller's privileges sees nothing of it, a member
  of pg_read_all_stats sees it; once it returns, the view is empty again.
- run_batch counts rows against the planner's estimate of the table; inject, evaluate and train
  report too (every call named in the notices); a cancelled call leaves the view.
Usage: python tests/progress.py (PGHOST/PGPORT set)."""
import re
import sys
import threading
import time

import psycopg

from pgtest import drop_database, fresh_database

DB = "anomdet_progress"
FIXTURES = """
CREATE EXTENSION anomdet;
SELECT anomdet.generate('series', 'sine', length => 2000, period => 100, noise => 0.1, seed => 1);
SELECT anomdet.generate('big', 'sine', length => 300000, period => 1000, noise => 0.1, seed => 2);
ANALYZE big;
DROP ROLE IF EXISTS anomdet_progress_watcher;
CREATE ROLE anomdet_progress_watcher;
GRANT USAGE ON SCHEMA anomdet TO anomdet_progress_watcher;
DROP ROLE IF EXISTS anomdet_progress_reader;
CREATE ROLE anomdet_progress_reader IN ROLE pg_read_all_stats;
GRANT USAGE ON SCHEMA anomdet TO anomdet_progress_reader;
"""
LINE = re.compile(r"anomdet benchmark: (\d+) / (\d+) cells \(\d+\.\d%\), .+ elapsed, (about .+ left|rate not known yet)$")
ROWS = re.compile(r"anomdet (run_batch|inject|evaluate|train)( \(([a-z ]+)\))?: (\d+)( / (about )?(\d+))? rows")
VIEW = ("SELECT call, phase, relation::text, job_id, done, total, total_is_estimate, percent, "
        "extract(epoch FROM elapsed) FROM anomdet.progress")


def benchmark(every, watch=None):
    """(progress notices, cells written, seconds taken, benchmark id) of one benchmark; `watch`
    runs in another thread while it does."""
    notices = []
    with psycopg.connect(dbname=DB, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        conn.execute(f"SET anomdet.progress_every = '{every}'")
        done = threading.Event()
        watcher = watch and threading.Thread(target=watch, args=(done,))
        if watcher:
            watcher.start()
        started = time.monotonic()
        bid = conn.execute("SELECT anomdet.benchmark('series', 'value', seeds => 1)").fetchone()[0]
        took = time.monotonic() - started
        done.set()
        if watcher:
            watcher.join()
        cells = conn.execute("SELECT count(*) FROM anomdet.benchmark_results WHERE benchmark_id = %s",
                             (bid,)).fetchone()[0]
    progress = [m for m in notices if LINE.match(m)]
    return progress, cells, took, bid


def check_notices(failures):
    progress, cells, took, _ = benchmark("1s")
    print(f"progress: every 1 s: a {took:.1f} s benchmark of {cells} cells printed {len(progress)} progress notices")
    for line in progress[:2] + progress[-1:]:
        print(f"  {line}")
    done = [int(LINE.match(m).group(1)) for m in progress]
    totals = {int(LINE.match(m).group(2)) for m in progress}
    if took >= 3 and not progress:
        failures.append("no progress notice in a benchmark of more than 3 s")
    if len(progress) > took + 1:
        failures.append(f"{len(progress)} notices in {took:.1f} s: more than one a second")
    if done != sorted(done) or any(d > cells for d in done):
        failures.append(f"done counts do not rise to the total: {done}")
    if totals and totals != {cells}:
        failures.append(f"total {totals} is not the {cells} cells written")
    silent, _, took0, _ = benchmark(0)
    print(f"progress: every 0 (off): {len(silent)} progress notices in {took0:.1f} s")
    if silent:
        failures.append(f"anomdet.progress_every = 0 still printed {len(silent)} notices")


def check_view(failures):
    """Poll the view from two other sessions while a benchmark runs: its owner's and a stranger's."""
    seen, stranger_seen, reader_seen = [], [], []

    def watch(done):
        with psycopg.connect(dbname=DB, autocommit=True) as owner, \
                psycopg.connect(dbname=DB, autocommit=True) as other, \
                psycopg.connect(dbname=DB, autocommit=True) as reader:
            other.execute("SET ROLE anomdet_progress_watcher")
            reader.execute("SET ROLE anomdet_progress_reader")
            while not done.is_set():
                seen.extend(owner.execute(VIEW).fetchall())
                stranger_seen.extend(other.execute(VIEW).fetchall())
                reader_seen.extend(reader.execute(VIEW).fetchall())
                time.sleep(0.2)

    _, cells, took, bid = benchmark(0, watch)
    print(f"progress: the view, polled every 0.2 s during a {took:.1f} s benchmark: {len(seen)} rows; "
          f"a role without privileges saw {len(stranger_seen)}, a member of pg_read_all_stats {len(reader_seen)}")
    for row in seen[:1] + seen[-1:]:
        print(f"  {row}")
    if took >= 2 and len(seen) < 3:
        failures.append(f"the view showed the running benchmark {len(seen)} times in {took:.1f} s")
    if any(r[0] != "benchmark" or r[2] != "series" or r[3] != bid or r[5] != cells or r[6] for r in seen):
        failures.append(f"the view's rows do not name benchmark {bid} on series with {cells} cells: {seen[:3]}")
    done = [r[4] for r in seen]
    if done != sorted(done) or len(set(done)) < 2:
        failures.append(f"done does not rise while the benchmark runs: {done}")
    if stranger_seen:
        failures.append(f"a role without privileges saw another role's call: {stranger_seen[:2]}")
    if seen and not reader_seen:
        failures.append("a member of pg_read_all_stats saw nothing of another role's call")
    with psycopg.connect(dbname=DB, autocommit=True) as conn:
        left = conn.execute(VIEW).fetchall()
    if left:
        failures.append(f"the view still shows a call after it returned: {left}")


def check_row_calls(failures):
    """run_batch against the planner's estimate; inject, evaluate and train name themselves."""
    notices = []
    seen = []
    with psycopg.connect(dbname=DB, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        conn.execute("SET anomdet.progress_every = '1ms'")
        done = threading.Event()

        def watch():
            with psycopg.connect(dbname=DB, autocommit=True) as other:
                while not done.is_set():
                    seen.extend(other.execute(VIEW).fetchall())
                    time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        conn.execute("SELECT anomdet.run_batch('big', 'value', 'zscore', mode => 'online')")
        done.set()
        watcher.join()
        conn.execute("SELECT anomdet.inject('big', 'spike', '{value}', count => 200, seed => 3)")
        conn.execute("SELECT count(*) FROM anomdet.evaluate((SELECT max(id) FROM anomdet.jobs))")
        conn.execute("SELECT anomdet.train('progress_model', 'big', 'value', 'zscore')")
        conn.execute("SET anomdet.progress_every = 0")
        before = len(notices)
        conn.execute("SELECT anomdet.run_batch('big', 'value', 'zscore', mode => 'online')")
        quiet = len(notices) - before
        conn.execute("SET statement_timeout = '300ms'")
        try:
            conn.execute("SELECT anomdet.run_batch('big', 'value', 'mad', mode => 'online')")
            failures.append("run_batch on 300,000 rows finished within 300 ms: the cancel check proves nothing")
        except psycopg.errors.QueryCanceled:
            pass
        conn.execute("RESET statement_timeout")
        with psycopg.connect(dbname=DB, autocommit=True) as other:
            after_cancel = other.execute(VIEW).fetchall()
    if after_cancel:
        failures.append(f"a cancelled run_batch is still in the view: {after_cancel}")
    lines = [ROWS.match(m) for m in notices]
    calls = {m.group(1) for m in lines if m}
    print(f"progress: row calls at 1 ms: notices from {sorted(calls)}; the view polled during run_batch: "
          f"{len(seen)} rows; {quiet} notices with the setting at 0")
    for m in [m for m in notices if m.startswith("anomdet run_batch")][:2]:
        print(f"  {m}")
    missing = {"run_batch", "inject", "evaluate", "train"} - calls
    if missing:
        failures.append(f"no progress notice from {sorted(missing)}")
    batch = [m for m in lines if m and m.group(1) == "run_batch"]
    if not any(m.group(6) and int(m.group(7)) == 300000 for m in batch):
        failures.append("run_batch did not count against the table's estimated 300000 rows")
    if [int(m.group(4)) for m in batch] != sorted(int(m.group(4)) for m in batch):
        failures.append("run_batch's done count fell")
    if seen and not all(r[0] == "run_batch" and r[2] == "big" and r[5] == 300000 and r[6] for r in seen):
        failures.append(f"the view's run_batch rows do not show big with an estimated 300000 rows: {seen[:2]}")
    if quiet:
        failures.append(f"{quiet} notices from run_batch with the setting at 0")


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    conn.close()
    failures = []
    check_notices(failures)
    check_view(failures)
    check_row_calls(failures)
    drop_database(admin, DB)
    admin = psycopg.connect(dbname="postgres", autocommit=True)
    admin.execute("DROP ROLE IF EXISTS anomdet_progress_watcher")
    admin.execute("DROP ROLE IF EXISTS anomdet_progress_reader")
    admin.close()
    for f in failures:
        print(f"progress: FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
