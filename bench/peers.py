#!/usr/bin/env python3
"""anomdet's detectors against the Python libraries a user would pick instead, on the same
data in the same run: River (PageHinkley), ADTK (PersistAD, LevelShiftAD, VolatilityShiftAD)
and statsmodels (AutoReg with AIC order selection, as ar_residual; robust STL, as stl). anomdet is timed in its
core crate (cargo example `timing`, median of 5); the peers with time.perf_counter, median of
3. Same series for both: a slow sine with noise and 100 spikes. Prints a Markdown table.
Needs: pip install river adtk statsmodels pandas numpy (bench/peers.sh makes a venv)."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def series(n):
    rng = np.random.default_rng(7)
    x = 50 + 10 * np.sin(np.arange(n) / 500) + rng.normal(0, 1, n)
    x[rng.choice(n, 100, replace=False)] += 15
    return x


def anomdet(path, detector, mode, params):
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "anomdet-core", "--example", "timing", "--", str(path), detector, mode,
         json.dumps(params)], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def timed(fn, runs=3):
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def river_page_hinkley(x):
    from river.drift import PageHinkley
    def run():
        ph, n = PageHinkley(), 0
        for v in x:
            ph.update(v)
            n += ph.drift_detected
        return n
    return timed(run)


def adtk(x, cls, **kw):
    from adtk.data import validate_series
    s = validate_series(pd.Series(x, index=pd.date_range("2024-01-01", periods=len(x), freq="min")))
    def run():
        return int(cls(**kw).fit_detect(s).fillna(False).astype(bool).sum())
    return timed(run)


def statsmodels_autoreg(x):
    from statsmodels.tsa.ar_model import AutoReg, ar_select_order
    train, rest = x[:200], x
    def run():
        order = ar_select_order(train, maxlag=10, ic="aic")
        lags = order.ar_lags or [1]
        fit = AutoReg(train, lags=lags).fit()
        # One-step predictions over the whole series with the fitted coefficients.
        p = max(lags)
        params = fit.params
        pred = np.full(len(rest), np.nan)
        for i, lag in enumerate(lags):
            pred[p:] = (pred[p:] if i else params[0]) + params[i + 1] * rest[p - lag:len(rest) - lag]
        resid = rest[p:] - pred[p:]
        sigma = np.std(fit.resid)
        return int((np.abs(resid) > 3.5 * sigma).sum())
    return timed(run)


def statsmodels_stl(x, period, seasonal):
    """Robust STL with the same smoothers and loess jumps as anomdet's stl (R's and the original
    Fortran's defaults: every ceil(q/10)-th point, interpolated); statsmodels' own default
    evaluates every point, which at this period is hours. The residual is scored as stl does."""
    from statsmodels.tsa.seasonal import STL
    def odd(v):
        v = int(np.ceil(v))
        return v if v % 2 else v + 1
    trend = odd(1.5 * period / (1 - 1.5 / seasonal))
    low_pass = odd(period)
    def run():
        fit = STL(x, period=period, seasonal=seasonal, trend=trend, low_pass=low_pass, robust=True,
                  seasonal_jump=int(np.ceil(seasonal / 10)), trend_jump=int(np.ceil(trend / 10)),
                  low_pass_jump=int(np.ceil(low_pass / 10))).fit()
        r = fit.resid
        med = np.median(r)
        scale = 1.4826 * np.median(np.abs(r - med))
        return int((np.abs(r - med) / scale > 3.5).sum())
    return timed(run)


def main():
    from adtk.detector import LevelShiftAD, PersistAD, VolatilityShiftAD
    x = series(N)
    with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
        f.write(x.astype("<f8").tobytes())
        path = f.name
    rows = []
    cases = [
        ("page_hinkley", "online", {"standardize": False}, "River PageHinkley", lambda: river_page_hinkley(x)),
        ("persist", "batch", {}, "ADTK PersistAD", lambda: adtk(x, PersistAD)),
        ("level_shift", "batch", {"window": 10}, "ADTK LevelShiftAD(window=10)", lambda: adtk(x, LevelShiftAD, window=10)),
        ("volatility_shift", "batch", {"window": 10}, "ADTK VolatilityShiftAD(window=10)", lambda: adtk(x, VolatilityShiftAD, window=10)),
        ("ar_residual", "online", {}, "statsmodels ar_select_order + AutoReg", lambda: statsmodels_autoreg(x)),
        ("stl", "batch", {"period": 3142, "seasonal": 7}, "statsmodels STL(period=3142, seasonal=7, robust)",
         lambda: statsmodels_stl(x, 3142, 7)),
    ]
    for detector, mode, params, peer, run in cases:
        ours = anomdet(path, detector, mode, params)
        try:
            secs, flagged = run()
        except Exception as e:  # an incompatible peer version: report, do not hide
            secs, flagged = float("nan"), f"error: {type(e).__name__}: {str(e)[:60]}"
        rows.append((detector, mode, ours["seconds"], ours["flagged"], peer, secs, flagged))
    os.unlink(path)
    print(f"{N:,} points; anomdet core (release, median of 5) vs the peer (median of 3), same data.\n")
    print("| anomdet | mode | s | flagged | peer | s | flagged | anomdet × faster |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for d, mode, s, f, peer, ps, pf in rows:
        ratio = ps / s if s and ps == ps else float("nan")
        print(f"| {d} | {mode} | {s:.3f} | {f} | {peer} | {ps:.3f} | {pf} | {ratio:.0f} |")


if __name__ == "__main__":
    main()
