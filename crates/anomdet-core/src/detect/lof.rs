//! Local outlier factor (Breunig et al. 2000) on sliding windows (or, with `window` 1, on the
//! values): a window in a sparser neighbourhood than its neighbours' scores well above 1.
//! PyOD's default k = 20; neighbours among up to `reference` windows sampled with the seed.
//! Batch only.

use crate::parts::fitted_windows::{Fit, FittedRows};
use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::parts::window_model::{Rows, SEED, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::params::ParamSpec;
use crate::subsequence::Spread;
use crate::resolution::Resolution;
use crate::subsequence::Subsequences;
use crate::tabular::lof::Lof;
use crate::tabular::params::{LOF_K, REFERENCE};

const PARAMS: &[ParamSpec] = &[WINDOW, LOF_K, REFERENCE, SEED, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "lof",
    family: "machine learning",
    online: false,
    multivariate: true,
    params: PARAMS,
    description: "local outlier factor of sliding windows: shapes in a sparser neighbourhood than their neighbours'",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(98.0), online: None },
    memory: Memory::WINDOWS,
    build: |p| {
        let (k, reference, seed) = (p.int("k"), p.int("reference"), p.int("seed") as u64);
        Box::new(Windowed::new(p, Spread::CoveringMin, Rows::Standardized, move |s| {
            let model = Lof::fit_resolved(&s.rows, k, reference, seed, least_reach(s));
            WindowScores { scores: model.score_all(&s.rows), expected: None }
        })
        .fitted_by(move |s| {
            let model = Lof::fit_resolved(&s.rows, k, reference, seed, least_reach(s));
            let training_scores = model.score_all(&s.rows);
            let (model, reference) = model.keep_reference(&s.rows);
            Fit { rows: FittedRows::Lof { model, reference }, training_scores }
        }))
    },
};

/// Half the series' resolution, in the z-scored windows' unit: two windows one step apart in
/// one value are that far apart.
fn least_reach(s: &Subsequences) -> f64 {
    let sd = s.sd.iter().sum::<f64>() / s.sd.len().max(1) as f64;
    Resolution::of(s.xs).floor(0.0, 0.0) / sd.max(f64::MIN_POSITIVE)
}
