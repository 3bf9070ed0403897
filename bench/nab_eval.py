#!/usr/bin/env python3
"""Every detector on the 18 NAB files in ../shared/data/nab, under NAB's own protocol
(bench/nab_score.py): ONE threshold per detector and profile for the whole corpus, chosen by
NAB's sweep, normalised by the corpus' null and perfect detectors. Online detectors run in
online mode (each row scored against the past only); batch-only ones (*) in batch mode, which
sees the whole file and is not comparable with a stream one to one. Default parameters.

A detector's output in [0, 1] is its calibrated `probability` when it has one, else its score x
mapped to x/(x+3) (NULL or negative as 0; NAB's sweep tries every distinct value, so any
increasing map gives the same result). A row scored 0 raises nothing at any threshold: it
counts 0 (`sentinel` scores 0 the rows that do not beat the last `quiet` values). `sentinel`'s
score is its alert's surprise −log10(1 − strength), the strength being the probability weighed
by how new the value is: it is read back as 1 − 10^(−score). Beside the protocol's figures, the oracle: the NAB score
with the best threshold picked for each labelled file separately (anomdet.evaluate_arrays'
nab_standard_best), averaged over the 13 files with windows — an upper bound no one alert rule
reaches. Needs a running cluster with anomdet in PGHOST/PGPORT (bench/nab_eval.sh makes one).
`--detectors a,b` limits the run. Skips cleanly when the data is absent."""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nab_score  # noqa: E402

NAB = nab_score.NAB
# Detectors whose score is already an alert's calibrated surprise (0 off alerts).
ALERT_SCORED = {"sentinel"}


def psql(sql, db="nab_eval"):
    r = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", db], input=sql,
                       text=True, capture_output=True, env=dict(os.environ, PGTZ="UTC"))
    if r.returncode:
        sys.exit(f"nab_eval: psql failed:\n{sql[:400]}\n{r.stderr}")
    return r.stdout


def to_unit(text):
    """A score as NAB's sweep sees it: NULL or negative as 0, x/(x+3)."""
    x = float(text) if text else 0.0
    x = 0.0 if x != x or x < 0 else x
    return 1.0 if x == float("inf") else x / (x + 3.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--detectors", help="comma-separated names (default: all)")
    args = parser.parse_args()
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
    if args.detectors:
        wanted = set(args.detectors.split(","))
        runs = [r for r in runs if r[0] in wanted]
    has_probability = "probability" in psql(
        "SELECT string_agg(a, ',') FROM unnest((SELECT proargnames FROM pg_proc p JOIN pg_namespace n ON n.oid = pronamespace "
        "WHERE nspname = 'anomdet' AND proname = 'detect' ORDER BY pronargs DESC LIMIT 1)) a")
    files = {}
    for name, spans in sorted(windows.items()):
        path = NAB / "data" / name
        table = "nab_" + "".join(c if c.isalnum() else "_" for c in Path(name).stem.lower())
        # Repeated timestamps (local time across a DST change) are kept, as NAB keeps them.
        psql(f"CREATE TABLE {table} (ts timestamptz, value float8);\n\\copy {table} FROM '{path}' CSV HEADER")
        timestamps, _, _ = nab_score.read_csv(path, "value")
        files[name] = (table, timestamps, spans)

    results = []
    for d, mode in runs:
        label = d if mode == "online" else f"{d}*"
        scored, oracle, vus = {}, [], []
        for name, (table, timestamps, spans) in files.items():
            column = "probability" if has_probability else "score"
            if d in ALERT_SCORED:
                column = "1 - power(10, -score)"
            cond = " OR ".join(f"(ts BETWEEN '{a}' AND '{b}')" for a, b in spans) or "false"
            out = psql(f"""
                CREATE TEMP TABLE r AS SELECT row_number() OVER () AS k, ts, CASE WHEN score = 0 THEN 0 ELSE {column} END AS s, score, is_anomaly, ({cond}) AS label
                FROM anomdet.detect('{table}', 'value', '{d}', mode => '{mode}', on_duplicate => 'keep');
                SELECT coalesce(string_agg(coalesce(s::text, ''), ' ' ORDER BY k), '') FROM r;
                SELECT CASE WHEN bool_or(label) THEN (SELECT string_agg(metric || '=' || coalesce(value::text, 'NaN'), ' ')
                    FROM anomdet.evaluate_arrays(array_agg(label ORDER BY k), array_agg(score ORDER BY k),
                                                 array_agg(is_anomaly ORDER BY k), threshold => 'detector')
                    WHERE metric IN ('nab_standard_best', 'vus_pr')) END FROM r;
                DROP TABLE r;""").split("\n")
            values = out[0].split(" ")
            scores = [to_unit(v) if column == "score" else (float(v) if v else 0.0) for v in values]
            if len(scores) != len(timestamps):
                sys.exit(f"nab_eval: {d} returned {len(scores)} rows for {len(timestamps)} in {name}")
            scored[name] = (timestamps, scores)
            if out[1]:
                m = dict(kv.split("=") for kv in out[1].split())
                oracle.append(float(m["nab_standard_best"]))
                vus.append(float(m["vus_pr"]))
        protocol = nab_score.corpus_scores(scored, windows)
        results.append((label, protocol, sum(oracle) / len(oracle), sum(vus) / len(vus)))
        print(f"  {label:<20} {protocol['standard'][1]:6.1f}", file=sys.stderr, flush=True)
    psql("DROP DATABASE nab_eval", db="postgres")

    print(f"NAB protocol on {len(files)} files ({sum(len(w) for w in windows.values())} windows), one threshold per detector"
          " and profile; default parameters; * = batch-only detector in batch mode")
    print(f"{'detector':<20} {'standard':>9} {'low FP':>7} {'low FN':>7} {'threshold':>10} {'oracle: best θ per file':>24} {'VUS-PR':>7}")
    for label, p, orc, v in sorted(results, key=lambda r: -r[1]["standard"][1]):
        print(f"{label:<20} {p['standard'][1]:9.1f} {p['reward_low_FP_rate'][1]:7.1f} {p['reward_low_FN_rate'][1]:7.1f} "
              f"{p['standard'][0]:10.4f} {orc:24.1f} {v:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
