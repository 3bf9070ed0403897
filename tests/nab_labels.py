#!/usr/bin/env python3
"""Your own labels at scale: the 18 NAB files of ../shared/data/nab in one table keyed by file,
NAB's labelled windows loaded as a table (series, start_ts, end_ts), one keyed batch job, and
anomdet.evaluate(job, label_windows => ...) must see exactly NAB's windows: as many labelled
ranges as NAB has windows, and the precision and recall of the job's own flags that the same
labels give when computed here row by row. Skips when the data is absent.
Usage: python tests/nab_labels.py (PGHOST/PGPORT set)."""
import json
import sys
from pathlib import Path

from pgtest import drop_database, fresh_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import nab_score  # noqa: E402

DB = "anomdet_nab_labels"
FIXTURES = """
CREATE EXTENSION anomdet;
CREATE TABLE nab (file text, ts timestamptz, value float8);
CREATE TABLE nab_windows (series text, start_ts timestamptz, end_ts timestamptz);
"""


def main():
    windows_file = nab_score.NAB / "combined_windows.json"
    if not windows_file.exists():
        print(f"nab_labels: {windows_file} not found, skipping")
        return 0
    windows = json.loads(windows_file.read_text())
    admin, conn = fresh_database(DB, FIXTURES)
    conn.execute("SET TimeZone = 'UTC'")  # NAB's times are UTC
    for name, spans in windows.items():
        timestamps, values, _ = nab_score.read_csv(nab_score.NAB / "data" / name, "value")
        with conn.cursor().copy("COPY nab (file, ts, value) FROM STDIN") as copy:
            for t, v in zip(timestamps, values):
                copy.write_row((name, t.isoformat(), v))
        for start, end in spans:
            conn.execute("INSERT INTO nab_windows VALUES (%s, %s::timestamptz, %s::timestamptz)", (name, start, end))
    job = conn.execute("SELECT anomdet.run_batch('nab', 'value', 'mad', series_column => 'file', "
                       "on_duplicate => 'keep')").fetchone()[0]
    got = dict(conn.execute("SELECT metric, value FROM anomdet.evaluate(%s, label_windows => 'nab_windows') "
                            "WHERE metric IN ('precision', 'recall', 'labelled_ranges', 'rows')", (job,)).fetchall())
    # The same labels, row by row, here: a result row is labelled when a window of its file holds it.
    tp, flagged, labelled = conn.execute("""
        SELECT count(*) FILTER (WHERE r.is_anomaly AND l), count(*) FILTER (WHERE r.is_anomaly), count(*) FILTER (WHERE l)
        FROM (SELECT r.*, EXISTS (SELECT 1 FROM nab_windows w WHERE w.series = r.series
                                  AND r.ts BETWEEN w.start_ts AND w.end_ts) AS l
              FROM anomdet.results r WHERE r.job_id = %s) r""", (job,)).fetchone()
    expected = {"precision": tp / flagged, "recall": tp / labelled,
                "labelled_ranges": sum(len(s) for s in windows.values())}
    failures = []
    for metric, want in expected.items():
        ok = abs(got[metric] - want) < 1e-9
        print(f"nab_labels: {metric:<16} {got[metric]:10.4f}  computed here {want:10.4f}  {'ok' if ok else 'MISMATCH'}")
        failures += [] if ok else [metric]
    print(f"nab_labels: {int(got['rows'])} rows of {len(windows)} files, one keyed job")
    conn.close()
    drop_database(admin, DB)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
