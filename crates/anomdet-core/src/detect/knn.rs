//! k-nearest-neighbour distance on sliding windows (Sub-KNN in TSB-AD; PyOD's KNN): a window
//! far from its k-th most similar window is a shape seen nowhere else. The expected value is the
//! nearest window's value at the same place. Batch only.

use super::windowed::{Rows, SEED, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use super::{Detector, DetectorInfo};
use crate::params::{ParamSpec, Params};
use crate::subsequence::Spread;
use crate::tabular::knn::{Aggregate, Knn};
use crate::tabular::params::REFERENCE;

pub(super) const METHOD: ParamSpec =
    ParamSpec::choice("method", &["largest", "mean"], 0, "the k-th distance, or the mean of the k");

const PARAMS: &[ParamSpec] =
    &[WINDOW, ParamSpec::int("k", 10.0, 1.0, 1000.0, "neighbours"), METHOD, REFERENCE, SEED, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "knn",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "k-nearest-neighbour distance of sliding windows (Sub-KNN): shapes unlike any other score high",
    min_points,
    build: |p| windowed_knn(p, 1),
};

/// k-NN distance of z-scored windows of `periods` periods when `window` is 0 (`sub_knn`
/// shares it with TSB-AD's tuned defaults).
pub(super) fn windowed_knn(p: &Params, periods: usize) -> Box<dyn Detector> {
    let k = p.int("k");
    let aggregate = if p.int("method") == 1 { Aggregate::Mean } else { Aggregate::Largest };
    let (reference, seed) = (p.int("reference"), p.int("seed") as u64);
    let windowed = Windowed::new(p, Spread::CoveringMin, Rows::Standardized, move |s| {
        let model = Knn::fit(s.rows.rows, k, aggregate, reference, seed);
        let found = model.score_all(&s.rows);
        let c = s.centre();
        WindowScores {
            scores: found.iter().map(|f| f.score).collect(),
            expected: Some(found.iter().map(|f| s.xs[f.nearest + c]).collect()),
        }
    });
    Box::new(windowed.in_periods(periods))
}
