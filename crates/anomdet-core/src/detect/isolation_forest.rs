//! Isolation Forest (Liu, Ting & Zhou 2008) on the sliding windows of a series (or, with
//! `window` 1, on its values): windows that a random partition isolates in few cuts are
//! unusual shapes. As scikit-learn's IsolationForest: 100 trees of 256 sampled windows.
//! Batch only: the forest is grown on the series it scores.

use super::DetectorInfo;
use super::windowed::{SEED, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::params::ParamSpec;
use crate::subsequence::Spread;
use crate::tabular::iforest::IsolationForest;
use crate::tabular::params::{SAMPLE_SIZE, TREES};

const PARAMS: &[ParamSpec] = &[WINDOW, TREES, SAMPLE_SIZE, SEED, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "isolation_forest",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "Isolation Forest on sliding windows: shapes isolated by few random cuts score high (scikit-learn's defaults)",
    min_points,
    build: |p| {
        let (trees, sample_size, seed) = (p.int("trees"), p.int("sample_size"), p.int("seed") as u64);
        Box::new(Windowed::new(p, Spread::CoveringMin, true, move |s| {
            let forest = IsolationForest::fit(&s.rows, trees, sample_size, seed);
            WindowScores { scores: forest.score_all(&s.rows), expected: None }
        }))
    },
};
