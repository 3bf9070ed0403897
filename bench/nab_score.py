#!/usr/bin/env python3
"""NAB's scoring protocol (Lavin & Ahmad 2015; numenta/NAB's sweeper, optimiser and normaliser),
written from its published rules, in plain Python (no pandas):

- each file's rows before its probationary period (min(floor(0.15 n), 750)) are not scored;
- a detection inside a labelled window earns tpWeight x the scaled sigmoid of its position
  (only the best one per window counts), a window without one costs fnWeight, and a detection
  outside every window costs fpWeight x the scaled sigmoid of its distance past the last window
  (the full fpWeight before the first window);
- ONE threshold per detector and profile, chosen by sweeping every distinct score of the whole
  corpus (all files at once), as a user with one alert rule for a fleet of series would;
- the corpus total is normalised: 0 = the null detector (nothing detected), 100 = every window
  detected at its first row.

`python3 bench/nab_score.py --check` reproduces NAB's known answer for Numenta HTM on the 18 files
in ../shared/data/nab (61.3 / 54.3 / 66.2) from the per-row scores in results/numenta, and NAB's
own per-row S(t) contributions. Used as a module by bench/nab_eval.py."""
import csv
import json
import math
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAB = Path(os.environ.get("NAB_DIR", ROOT.parent / "shared" / "data" / "nab"))
PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}
PROBATION = 0.15


def parse_time(text):
    return datetime.fromisoformat(text.strip())


def scaled_sigmoid(position):
    return -1.0 if position > 3.0 else 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(n):
    return min(math.floor(PROBATION * n), PROBATION * 5000)


def sweep_rows(timestamps, scores, windows, name, profile):
    """Per row: (score, weighted sweep score, window key or None or 'probationary')."""
    max_tp = scaled_sigmoid(-1.0)
    index = {}
    for i, t in enumerate(timestamps):
        index.setdefault(t, i)  # a repeated timestamp: its first row, as list.index
    pending = sorted(windows)
    probation = probation_length(len(timestamps))
    rows = []
    current = None  # (key, right index, width)
    previous = None  # (right index, width)
    for i, (t, score) in enumerate(zip(timestamps, scores)):
        if current is None and pending and t == pending[0][0]:
            start, end = pending.pop(0)
            right = index[end]
            current = (f"{name}|{start}", right, float(right - index[start] + 1), end)
        if current is not None:
            weighted = scaled_sigmoid(-(current[1] - i + 1) / current[2]) * profile["tp"] / max_tp
        else:
            unweighted = -1.0 if previous is None else scaled_sigmoid(abs(previous[0] - i) / (previous[1] - 1.0))
            weighted = unweighted * profile["fp"]
        key = (current[0] if current else None) if i >= probation else "probationary"
        rows.append((score, weighted, key))
        if current is not None and t == current[3]:
            previous = (i, current[2])
            current = None
    return rows


def scores_by_threshold(rows, profile):
    """[(threshold, raw score)] for every distinct score, rows with score >= threshold detected."""
    scorable = sorted((r for r in rows if r[2] != "probationary"), key=lambda r: r[0], reverse=True)
    parts = {"fp": 0.0}
    for r in scorable:
        if r[2] is not None:
            parts[r[2]] = -profile["fn"]
    total = sum(parts.values())
    out = []
    threshold = 1.1
    for score, weighted, key in scorable:
        if score != threshold:
            out.append((threshold, total))
            threshold = score
        if key is None:
            parts["fp"] += weighted
            total += weighted
        elif weighted > parts[key]:
            total += weighted - parts[key]
            parts[key] = weighted
    out.append((threshold, total))
    return out


def corpus_scores(files, windows):
    """files: {relative path: (timestamps, scores in [0, 1])}; windows: NAB's label windows.
    Returns {profile: (threshold, normalised score, raw, null, perfect)}."""
    results = {}
    window_count = sum(len(windows[name]) for name in files)
    for pname, profile in PROFILES.items():
        rows = []
        for name, (timestamps, scores) in files.items():
            spans = [(parse_time(a), parse_time(b)) for a, b in windows[name]]
            rows += sweep_rows(timestamps, scores, spans, name, profile)
        # Ties keep the first threshold found (NAB sorts with a stable sort).
        threshold, raw = max(scores_by_threshold(rows, profile), key=lambda x: x[1])
        null = -window_count * profile["fn"]
        perfect = window_count * profile["tp"]
        results[pname] = (threshold, 100.0 * (raw - null) / (perfect - null), raw, null, perfect)
    return results


def read_csv(path, score_column):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [parse_time(r["timestamp"]) for r in rows], [float(r[score_column]) for r in rows], rows


def check():
    """NAB's known answers for Numenta HTM on these 18 files, and its per-row contributions."""
    results_dir = NAB / "results" / "numenta"
    if not results_dir.exists():
        print(f"nab_score: {results_dir} not found, skipping")
        return 0
    windows = json.loads((NAB / "combined_windows.json").read_text())
    files, golden = {}, {}
    for name in windows:
        category, base = name.split("/")
        timestamps, scores, rows = read_csv(results_dir / category / f"numenta_{base}", "anomaly_score")
        files[name] = (timestamps, scores)
        golden[name] = rows
    got = corpus_scores(files, windows)
    expected = {"standard": 61.3, "reward_low_FP_rate": 54.3, "reward_low_FN_rate": 66.2}
    failures = 0
    for pname, want in expected.items():
        ok = abs(got[pname][1] - want) <= 0.05
        failures += not ok
        print(f"numenta {pname:<20} {got[pname][1]:6.2f} (NAB: {want}) threshold {got[pname][0]:.6f} {'ok' if ok else 'MISMATCH'}")
    # NAB's per-row S(t) at the thresholds NAB chose over its full corpus.
    thresholds = json.loads((NAB / "config" / "thresholds_numenta.json").read_text())["numenta"]
    worst = 0.0
    for pname, profile in PROFILES.items():
        threshold = thresholds[pname]["threshold"]
        for name, (timestamps, scores) in files.items():
            spans = [(parse_time(a), parse_time(b)) for a, b in windows[name]]
            rows = sweep_rows(timestamps, scores, spans, name, profile)
            # NAB writes a window's result (best detection, or -fnWeight) on its first row.
            mine = [weighted if score >= threshold and key is None else 0.0 for score, weighted, key in rows]
            first = {}
            for i, (score, weighted, key) in enumerate(rows):
                if key not in (None, "probationary"):
                    i0 = first.setdefault(key, i)
                    hit = weighted if score >= threshold else -profile["fn"]
                    mine[i0] = hit if i0 == i else max(mine[i0], hit)
            for m, g in zip(mine, golden[name]):
                worst = max(worst, abs(m - float(g[f"S(t)_{pname}"])))
    ok = worst < 1e-9
    failures += not ok
    print(f"per-row S(t) against NAB's, largest difference {worst:.2e} {'ok' if ok else 'MISMATCH'}")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    sys.exit(__doc__)
