#!/usr/bin/env python3
"""Long calls say how far they are: a benchmark that runs for several seconds prints NOTICEs
"anomdet benchmark: done / total cells (share), elapsed, about ... left" at most every
anomdet.progress_every seconds, the counts rising to the total; with the setting at 0 it prints
none. Usage: python tests/progress.py (PGHOST/PGPORT set)."""
import re
import sys
import time

import psycopg

from pgtest import drop_database, fresh_database

DB = "anomdet_progress"
FIXTURES = """
CREATE EXTENSION anomdet;
SELECT anomdet.generate('series', 'sine', length => 2000, period => 100, noise => 0.1, seed => 1);
"""
LINE = re.compile(r"anomdet benchmark: (\d+) / (\d+) cells \(\d+\.\d%\), .+ elapsed, (about .+ left|rate not known yet)$")


def benchmark(every):
    """(progress notices, other notices, seconds taken) of one benchmark at this setting."""
    notices = []
    with psycopg.connect(dbname=DB, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        conn.execute(f"SET anomdet.progress_every = {every}")
        started = time.monotonic()
        conn.execute("SELECT anomdet.benchmark('series', 'value', seeds => 1)")
        took = time.monotonic() - started
        cells = conn.execute("SELECT count(*) FROM anomdet.benchmark_results "
                             "WHERE benchmark_id = (SELECT max(id) FROM anomdet.benchmarks)").fetchone()[0]
    progress = [m for m in notices if LINE.match(m)]
    return progress, cells, took


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    conn.close()
    failures = []
    progress, cells, took = benchmark(1)
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
    silent, _, took0 = benchmark(0)
    print(f"progress: every 0 (off): {len(silent)} progress notices in {took0:.1f} s")
    if silent:
        failures.append(f"anomdet.progress_every = 0 still printed {len(silent)} notices")
    drop_database(admin, DB)
    for f in failures:
        print(f"progress: FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
