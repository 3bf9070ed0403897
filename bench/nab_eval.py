#!/usr/bin/env python3
"""Replay every NAB series in ../shared/data/nab through every online detector (online mode),
and score it with every batch-only detector (batch mode: it sees the whole file, as an offline
analysis would, so it is not comparable with a stream one to one), against NAB's labelled windows: NAB standard score (anomdet's implementation, windows as given)
and VUS-PR. Needs a running cluster with anomdet in PGHOST/PGPORT (bench/nab_eval.sh makes one).
Skips cleanly when the data is absent. Prints a per-detector summary and a per-file table.
Some NAB files repeat a timestamp (local time across a DST change): those rows are kept, in order."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAB = Path(os.environ.get("NAB_DIR", ROOT.parent / "shared" / "data" / "nab"))


def psql(sql, db="nab_eval"):
    r = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", db], input=sql,
                       text=True, capture_output=True, env=dict(os.environ, PGTZ="UTC"))
    if r.returncode:
        sys.exit(f"nab_eval: psql failed:\n{sql[:400]}\n{r.stderr}")
    return r.stdout


def main():
    windows_file = NAB / "combined_windows.json"
    if not windows_file.exists():
        print(f"nab_eval: {NAB} not found, skipping")
        return 0
    windows = json.loads(windows_file.read_text())
    psql("DROP DATABASE IF EXISTS nab_eval", db="postgres")
    psql("CREATE DATABASE nab_eval", db="postgres")
    psql("CREATE EXTENSION anomdet")
    runs = [(d, "online") for d in psql("SELECT name FROM anomdet.detectors() WHERE online ORDER BY name").split()]
    runs += [(d, "batch") for d in psql("SELECT name FROM anomdet.detectors() WHERE NOT online ORDER BY name").split()]
    # The window models that also stream: their batch mode (the whole file at once) too.
    runs += [(d, "batch") for d in ("isolation_forest", "matrix_profile")]
    detectors = [d if mode == "online" else f"{d}*" for d, mode in runs]
    rows = []
    for name, spans in sorted(windows.items()):
        if not spans:
            continue  # NAB scores files without windows only through false positives
        path = NAB / "data" / name
        table = "nab_" + "".join(c if c.isalnum() else "_" for c in Path(name).stem.lower())
        psql(f"CREATE TABLE {table} (ts timestamptz, value float8);\n\\copy {table} FROM '{path}' CSV HEADER")
        cond = " OR ".join(f"(ts BETWEEN '{a}' AND '{b}')" for a, b in spans)
        for (d, mode), label in zip(runs, detectors):
            out = psql(f"""
                WITH r AS (SELECT ts, score, is_anomaly, ({cond}) AS label
                           FROM anomdet.detect('{table}', 'value', '{d}', mode => '{mode}', on_duplicate => 'keep'))
                SELECT metric || '=' || coalesce(value::text, 'NaN') FROM anomdet.evaluate_arrays(
                    (SELECT array_agg(label ORDER BY ts) FROM r), (SELECT array_agg(score ORDER BY ts) FROM r),
                    (SELECT array_agg(is_anomaly ORDER BY ts) FROM r), threshold => 'detector')
                WHERE metric IN ('nab_standard', 'vus_pr', 'roc_auc', 'f1', 'event_recall')""")
            m = dict(line.split("=") for line in out.split())
            rows.append((name, label, {k: float(v) for k, v in m.items()}))
    psql("DROP DATABASE nab_eval", db="postgres")

    def mean(xs):
        xs = [x for x in xs if x == x]
        return sum(xs) / len(xs) if xs else float("nan")

    print(f"NAB subset: {len({r[0] for r in rows})} labelled files, default parameters, detector's own threshold for F1;"
          " online detectors in online mode, * = batch-only detector in batch mode")
    print(f"{'detector':<18} {'NAB std (best θ)':>17} {'VUS-PR':>8} {'ROC-AUC':>8} {'F1':>6} {'event recall':>13}")
    for d in detectors:
        ms = [r[2] for r in rows if r[1] == d]
        print(f"{d:<18} {mean([m['nab_standard'] for m in ms]):17.1f} {mean([m['vus_pr'] for m in ms]):8.3f} "
              f"{mean([m['roc_auc'] for m in ms]):8.3f} {mean([m['f1'] for m in ms]):6.3f} {mean([m['event_recall'] for m in ms]):13.3f}")
    print()
    print(f"{'file':<58} " + " ".join(f"{d:>8}" for d in detectors) + "   (NAB standard per file)")
    for name in sorted({r[0] for r in rows}):
        print(f"{name:<58} " + " ".join(f"{next(r[2]['nab_standard'] for r in rows if r[0] == name and r[1] == d):8.1f}" for d in detectors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
