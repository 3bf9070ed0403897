#!/usr/bin/env python3
"""anomdet's machine-learning and subsequence models against the Python libraries a user would
otherwise use, on the same data in the same run (issue "Detector library II"):
- Isolation Forest vs scikit-learn's IsolationForest (100 trees of 256), 1,000,000 windows of 8;
- HBOS and COPOD vs PyOD's, on the same windows;
- the one-class SVM (RBF by 100 random Fourier features, fitted on 10,000 sampled rows) vs
  scikit-learn's own linear-time route, RBFSampler(100) + SGDOneClassSVM, on the 1,000,000
  windows, and vs its exact OneClassSVM (libsvm, quadratic in rows) on the first 20,000;
- Half-Space Trees vs River's HalfSpaceTrees (10 trees, height 8, window 250), one value at a time;
- Robust Random Cut Forest vs kLabUM's rrcf (40 trees of 256 shingles of 4, its README's streaming
  loop), 5,000 values one at a time;
- the matrix profile vs STUMPY's stump, 100,000 points, m = 100 (STUMPY's JIT compiled first);
- the online (left) matrix profile vs STUMPY's stumpi with egress: a history of 5,000 windows
  of m = 100, then 5,000 more values one at a time (anomdet streams all 10,099 from the first).
anomdet is timed in its core crate (cargo example `ml_timing`, median of 5, or 3 for the matrix
profile; a tabular model's matrix is built before the clock starts, as the
peers' X is); the peers with time.perf_counter, median of 3 (River and STUMPY: 1 and
3). scikit-learn and STUMPY use both cores (n_jobs=-1, numba's threads); so do anomdet's
Isolation Forest and matrix profile (the others run on one thread).
The scores are compared too: Spearman's rank correlation with the peer's over the same rows, and
each one's ROC-AUC for the planted spikes (a window is anomalous when it holds one).
Needs: pip install scikit-learn pyod river stumpy rrcf (bench/ml_peers.sh makes a venv)."""
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
N_WINDOWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
N_STREAM = 100_000
N_MP = 100_000
N_RRCF = 5_000


def series(n, seed=7):
    """A sine of period 100 with noise and one spike in 10,000 rows; returns values and labels."""
    rng = np.random.default_rng(seed)
    x = 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 100) + rng.normal(0, 1, n)
    spikes = rng.choice(n, max(1, n // 10_000), replace=False)
    x[spikes] += 15
    labels = np.zeros(n, bool)
    labels[spikes] = True
    return x, labels


def windows(x, w):
    return np.lib.stride_tricks.sliding_window_view(x, w).copy()


def window_labels(labels, w):
    """A window is anomalous when it holds a spike."""
    return np.lib.stride_tricks.sliding_window_view(labels, w).any(axis=1)


def roc_auc(scores, labels):
    ranks = np.argsort(np.argsort(scores)).astype(float) + 1
    pos = labels.sum()
    neg = len(labels) - pos
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def anomdet(data, model, cols, arg=0):
    with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
        f.write(np.ascontiguousarray(data, dtype="<f8").tobytes())
        path = f.name
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "anomdet-core", "--example", "ml_timing", "--", path, model,
         str(cols), str(arg)], cwd=ROOT, capture_output=True, text=True, check=True)
    scores = np.fromfile(path + ".scores", dtype="<f8")
    Path(path).unlink()
    Path(path + ".scores").unlink()
    return json.loads(out.stdout)["seconds"], scores


def timed(fn, runs=3):
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def spearman(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    ra = np.argsort(np.argsort(a[ok])).astype(float)
    rb = np.argsort(np.argsort(b[ok])).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def main():
    from sklearn.ensemble import IsolationForest
    from pyod.models.hbos import HBOS
    from pyod.models.copod import COPOD
    from river.anomaly import HalfSpaceTrees
    import stumpy

    rows = []
    x8, labels8 = series(N_WINDOWS + 7)
    X = windows(x8, 8)
    y = window_labels(labels8, 8)

    ours_s, ours = anomdet(X, "iforest", 8)
    def sk():
        m = IsolationForest(n_estimators=100, max_samples=256, random_state=0, n_jobs=-1).fit(X)
        return -m.score_samples(X)  # sklearn returns the opposite of the paper's score
    peer_s, peer = timed(sk)
    rows.append(("isolation_forest", f"{len(X):,} windows of 8", ours_s, "scikit-learn IsolationForest(n_jobs=-1)", peer_s,
                 spearman(ours, peer), roc_auc(ours, y), roc_auc(peer, y)))

    for name, cls in (("hbos", lambda: HBOS(n_bins=10, alpha=0.1, tol=0.5)), ("copod", lambda: COPOD())):
        ours_s, ours = anomdet(X, name, 8)
        peer_s, peer = timed(lambda: cls().fit(X).decision_scores_)
        rows.append((name, f"{len(X):,} windows of 8", ours_s, f"PyOD {cls().__class__.__name__}", peer_s,
                     spearman(ours, peer), roc_auc(ours, y), roc_auc(peer, y)))

    from sklearn.kernel_approximation import RBFSampler
    from sklearn.linear_model import SGDOneClassSVM
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import OneClassSVM
    Z = StandardScaler().fit_transform(X)  # anomdet z-scores the window columns too
    ours_s, ours = anomdet(Z, "ocsvm", 8)
    def sgd():
        m = make_pipeline(RBFSampler(gamma=1.0 / (8 * Z.var()), n_components=100, random_state=0),
                          SGDOneClassSVM(nu=0.5, random_state=0)).fit(Z)
        return -m.decision_function(Z)
    peer_s, peer = timed(sgd)
    rows.append(("one_class_svm", f"{len(Z):,} windows of 8", ours_s, "scikit-learn RBFSampler(100) + SGDOneClassSVM", peer_s,
                 spearman(ours, peer), roc_auc(ours, y), roc_auc(peer, y)))
    small = Z[:20_000]
    ours_s, ours = anomdet(small, "ocsvm", 8)
    peer_s, peer = timed(lambda: -OneClassSVM(nu=0.5, gamma="scale").fit(small).decision_function(small), runs=1)
    rows.append(("one_class_svm", f"{len(small):,} windows of 8", ours_s, "scikit-learn OneClassSVM (exact, libsvm)", peer_s,
                 spearman(ours, peer), roc_auc(ours, y[:20_000]), roc_auc(peer, y[:20_000])))

    s, ls = series(N_STREAM, seed=3)
    scaled = (s - s[:250].min()) / (s[:250].max() - s[:250].min())
    ours_s, ours = anomdet(s, "hst", 1, 250)
    def river():
        hst = HalfSpaceTrees(n_trees=10, height=8, window_size=250, seed=0)
        out = np.empty(len(scaled))
        for i, v in enumerate(scaled):
            x = {"v": min(max(v, 0.0), 1.0)}
            out[i] = hst.score_one(x)
            hst.learn_one(x)
        return out
    peer_s, peer = timed(river, runs=1)
    rows.append(("half_space_trees", f"{N_STREAM:,} values, one at a time", ours_s, "River HalfSpaceTrees", peer_s,
                 spearman(ours[500:], peer[500:]), roc_auc(ours[500:], ls[500:]), roc_auc(peer[500:], ls[500:])))

    import rrcf
    r, lr = series(N_RRCF, seed=4)
    ours_s, ours = anomdet(r, "rrcf", 1, 256)
    def klabum():
        forest = [rrcf.RCTree() for _ in range(40)]
        out = np.zeros(len(r))
        for index, point in enumerate(rrcf.shingle(r, size=4)):
            for tree in forest:
                if len(tree.leaves) > 256:
                    tree.forget_point(index - 256)
                tree.insert_point(point, index=index)
                out[index + 3] += tree.codisp(index) / 40
        return out
    peer_s, peer = timed(klabum, runs=1)
    skip = 256 + 4
    rows.append(("rrcf", f"{N_RRCF:,} values, one at a time", ours_s, "kLabUM rrcf (40 RCTrees)", peer_s,
                 spearman(ours[skip:], peer[skip:]), roc_auc(ours[skip:], lr[skip:]), roc_auc(peer[skip:], lr[skip:])))

    m = 100
    x, lm = series(N_MP, seed=5)
    stumpy.stump(x[:2000], m)  # compile outside the timing
    ours_s, ours = anomdet(x, "stomp", 1, m)
    peer_s, peer = timed(lambda: stumpy.stump(x, m)[:, 0].astype(float), runs=3)
    ym = window_labels(lm, m)
    rows.append(("matrix_profile", f"{N_MP:,} points, m = {m}", ours_s, "STUMPY stump (numba, 2 threads)", peer_s,
                 spearman(ours, peer), roc_auc(ours, ym), roc_auc(peer, ym)))

    n_hist, n_new = 5000 + m - 1, 5_000
    z, lz = series(n_hist + n_new, seed=6)
    ours_s, ours = anomdet(z, "leftmp", 1, m)
    stumpy.stumpi(z[:2000], m).update(z[2000])  # compile outside the timing
    def stream():
        s = stumpy.stumpi(z[:n_hist], m, egress=True)
        for v in z[n_hist:]:
            s.update(v)
        return s.left_P_.astype(float)
    peer_s, peer = timed(stream, runs=1)
    # stumpi keeps the last 5,000 windows; window i of them ends at value n_hist + n_new - 5000 + i.
    ours_tail = ours[len(z) - len(peer):]
    keep = np.isfinite(peer) & np.isfinite(ours_tail)
    keep[:m] = False  # the first windows of stumpi's buffer lost their left neighbours to egress
    yz = lz[len(z) - len(peer):]
    rows.append(("matrix_profile (online)", f"{n_new:,} values after {n_hist:,}, m = {m}", ours_s,
                 "STUMPY stumpi(egress=True)", peer_s, spearman(ours_tail[keep], peer[keep]),
                 roc_auc(ours_tail[keep], yz[keep]), roc_auc(peer[keep], yz[keep])))

    print("anomdet core (release; Isolation Forest and the matrix profile on 2 threads, the rest on one) vs the peer on the same data, same run.\n")
    print("| anomdet | data | s | peer | s | anomdet × faster | Spearman ρ of scores | ROC-AUC anomdet | ROC-AUC peer |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    for d, data, s_ours, peer, s_peer, rho, auc_ours, auc_peer in rows:
        print(f"| {d} | {data} | {s_ours:.3f} | {peer} | {s_peer:.3f} | {s_peer / s_ours:.1f} | {rho:.3f} | {auc_ours:.3f} | {auc_peer:.3f} |")


if __name__ == "__main__":
    main()
