#!/usr/bin/env python3
"""The evaluation's cost in a release build (issue: evaluation grew faster than n log n).
Times anomdet.evaluate_arrays, every metric, on 300,000, 1,000,000 and 3,000,000 random scores
with an event every 100 rows (10,000 one-row events at 1M), median of 3 runs each, and fails when
  - 1M values with 10,000 events take more than LIMIT_1M seconds (measured: about 0.8 s), or
  - tripling the length (1M -> 3M) multiplies the time by more than GROWTH (n log n gives about
    3.3; the quadratic cost this replaced gave about 9).
The arrays are built before the clock starts; each failure says what was slow.
Usage: python tests/evaluate_cost.py (PGHOST/PGPORT set)."""
import statistics
import sys
import time

from pgtest import drop_database, fresh_database

DB = "anomdet_evaluate_cost"
LENGTHS = (300_000, 1_000_000, 3_000_000)
LIMIT_1M = 5.0
GROWTH = 6.0

FIXTURES = "CREATE EXTENSION anomdet;\nCREATE TABLE shapes (n int, labels bool[], scores float8[]);\n" + "".join(
    f"INSERT INTO shapes SELECT {n}, array_agg(i % 100 = 0 ORDER BY i), array_agg(random() ORDER BY i) "
    f"FROM generate_series(1, {n}) AS i;\n" for n in LENGTHS)


def seconds(conn, n):
    runs = []
    for _ in range(3):
        started = time.monotonic()
        conn.execute("SELECT (SELECT count(*) FROM anomdet.evaluate_arrays(labels, scores)) FROM shapes WHERE n = %s",
                     [n]).fetchone()
        runs.append(time.monotonic() - started)
    return statistics.median(runs), runs


def main():
    admin, conn = fresh_database(DB, FIXTURES)
    times = {}
    for n in LENGTHS:
        times[n], runs = seconds(conn, n)
        print(f"  evaluate_arrays, {n:>9,} values, {n // 100:>6,} events: median {times[n]:.2f} s "
              f"(runs {', '.join(f'{r:.2f}' for r in runs)})")
    conn.close()
    drop_database(admin, DB)
    failures = []
    if times[1_000_000] > LIMIT_1M:
        failures.append(f"1,000,000 values with 10,000 events took {times[1_000_000]:.2f} s, over {LIMIT_1M} s")
    growth = times[3_000_000] / times[1_000_000]
    print(f"  3M / 1M: {growth:.2f}x (n log n: about 3.3x; allowed {GROWTH}x)")
    if growth > GROWTH:
        failures.append(f"3,000,000 values took {growth:.1f}x the time of 1,000,000 (allowed {GROWTH}x): "
                        f"{times[3_000_000]:.2f} s against {times[1_000_000]:.2f} s")
    for f in failures:
        print(f"  FAIL {f}")
    print(f"evaluate cost: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
