//! Local outlier factor (Breunig et al. 2000) on sliding windows (or, with `window` 1, on the
//! values): a window in a sparser neighbourhood than its neighbours' scores well above 1.
//! PyOD's default k = 20; neighbours among up to `reference` windows sampled with the seed.
//! Batch only.

use super::DetectorInfo;
use super::windowed::{SEED, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::params::ParamSpec;
use crate::subsequence::Spread;
use crate::tabular::lof::Lof;

const PARAMS: &[ParamSpec] = &[
    WINDOW,
    ParamSpec::int("k", 20.0, 1.0, 1000.0, "neighbours"),
    ParamSpec::int(
        "reference",
        2000.0,
        10.0,
        1_000_000.0,
        "windows searched for neighbours at most (sampled with the seed)",
    ),
    SEED,
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "lof",
    family: "machine learning",
    online: false,
    multivariate: true,
    params: PARAMS,
    description: "local outlier factor of sliding windows: shapes in a sparser neighbourhood than their neighbours'",
    min_points,
    build: |p| {
        let (k, reference, seed) = (p.int("k"), p.int("reference"), p.int("seed") as u64);
        Box::new(Windowed::new(p, Spread::CoveringMin, true, move |s| {
            let model = Lof::fit(&s.rows, k, reference, seed);
            WindowScores { scores: model.score_all(&s.rows), expected: None }
        }))
    },
};
