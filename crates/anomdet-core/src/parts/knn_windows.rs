//! The k-nearest-neighbour window model, shared by `knn` and `sub_knn` (which differ only in
//! their defaults): a window far from its k-th most similar window is a shape seen nowhere else.

use crate::detector::Detector;
use crate::params::{ParamSpec, Params};
use crate::parts::fitted_windows::{Fit, FittedRows};
use crate::parts::window_model::{Rows, WindowScores, Windowed};
use crate::subsequence::Spread;
use crate::tabular::knn::{Aggregate, Knn};

pub const METHOD: ParamSpec =
    ParamSpec::choice("method", &["largest", "mean"], 0, "the k-th distance, or the mean of the k");

/// k-NN distance of z-scored windows of `periods` periods when `window` is 0 (`sub_knn`
/// shares it with TSB-AD's tuned defaults).
pub fn windowed_knn(p: &Params, periods: usize) -> Box<dyn Detector> {
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
    let fitted = windowed.fitted_by(move |s| {
        let model = Knn::fit(s.rows.rows, k, aggregate, reference, seed);
        let training_scores = model.score_all(&s.rows).iter().map(|f| f.score).collect();
        let (model, reference) = model.keep_reference(&s.rows);
        Fit { rows: FittedRows::Knn { model, reference }, training_scores }
    });
    Box::new(fitted.in_periods(periods))
}
