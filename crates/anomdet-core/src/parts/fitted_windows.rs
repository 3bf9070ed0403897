//! A window model as a stored model: fitted once on a trusted stretch, it scores each new value
//! as it arrives by the window that value completes. The window is z-scored with the training
//! windows' column moments, scored by the fitted tabular model, and flagged when its score
//! passes the training windows' median by `threshold` robust sd. A flagged value is replaced in
//! the window history by the value expected of it, so one spike does not flag the `window - 1`
//! windows after it that would still hold it. The model is fitted on the first 70% of the
//! training stretch and the last 30% sets the cut (see `FittedWindows::calibrate`). Nothing
//! here refits.

use crate::scored::Scored;
use crate::subsequence::{Subsequences, robust_cut, typical_cycle};
use crate::tabular::Matrix;
use crate::tabular::hbos::Hbos;
use crate::tabular::kmeans::KMeans;
use crate::tabular::knn::Knn;
use crate::tabular::lof::Lof;
use crate::tabular::one_class_svm::OneClassSvm;
use crate::tabular::pca::Pca;
use serde::{Deserialize, Serialize};

/// A tabular model fitted on the training windows, with what it needs of them.
#[derive(Serialize, Deserialize)]
pub enum FittedRows {
    /// Neighbour models keep their reference windows.
    Knn {
        model: Knn,
        reference: Matrix,
    },
    Lof {
        model: Lof,
        reference: Matrix,
    },
    KMeans(KMeans),
    Svm(OneClassSvm),
    Pca {
        model: Pca,
        components: usize,
        reconstruction: bool,
    },
    Hbos(Hbos),
}

/// A fitted model and its training windows' own scores (in-sample: a window is not its own
/// neighbour), which set the cut.
pub struct Fit {
    pub rows: FittedRows,
    pub training_scores: Vec<f64>,
}

impl Fit {
    /// A model whose training scores are its scores of the training windows.
    pub fn scoring_itself(rows: FittedRows, s: &Subsequences) -> Fit {
        let mut scratch = Vec::new();
        let training_scores = (0..s.rows.rows)
            .map(|i| {
                crate::interrupt::check_every(i);
                rows.score(s.rows.row(i), &mut scratch).0
            })
            .collect();
        Fit { rows, training_scores }
    }
}

impl FittedRows {
    /// A z-scored window's score, and the model's expected value (z-scored) of its last point
    /// when the model reconstructs one.
    fn score(&self, row: &[f64], scratch: &mut Vec<(f64, usize)>) -> (f64, Option<f64>) {
        let last = row.len() - 1;
        match self {
            FittedRows::Knn { model, reference } => match model.score_new(reference, row, scratch) {
                Some(found) => (found.score, Some(reference.row(found.nearest)[last])),
                None => (0.0, None),
            },
            FittedRows::Lof { model, reference } => (model.score_row(reference, row, None), None),
            FittedRows::KMeans(model) => {
                let (centre, distance) = model.assign(row);
                (distance, Some(model.centres.row(centre)[last]))
            }
            FittedRows::Svm(model) => (model.score(row, &mut Vec::new()), None),
            FittedRows::Pca { model, components, reconstruction } => {
                let score = if *reconstruction { model.residual(row, *components) } else { model.score(row) };
                (score, Some(model.reconstruct_at(row, *components, last)))
            }
            FittedRows::Hbos(model) => (model.score_terms(row, &mut vec![0.0; row.len()]), None),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct FittedWindows {
    /// The training windows' column means and sd (the window length is their length).
    mean: Vec<f64>,
    sd: Vec<f64>,
    rows: FittedRows,
    /// A window scoring above this is flagged.
    cut: f64,
    /// The typical cycle at the phases after the training stretch: the expected value of a
    /// model that reconstructs nothing.
    cycle: Vec<f64>,
    /// Values scored since training.
    scored: u64,
    /// The last `window - 1` values, oldest first, flagged ones replaced by their expected value.
    recent: Vec<f64>,
}

impl FittedWindows {
    pub fn new(xs: &[f64], s: &Subsequences, fit: Fit, threshold: f64) -> FittedWindows {
        let w = s.window;
        FittedWindows {
            mean: s.mean.clone(),
            sd: s.sd.clone(),
            rows: fit.rows,
            cut: robust_cut(&fit.training_scores, threshold),
            cycle: last_cycle(xs, w),
            scored: 0,
            recent: xs[xs.len() + 1 - w..].to_vec(),
        }
    }

    /// Set the cut from the training values after the first `fitted` (which the model was
    /// fitted on and did not see), scored one by one as new values will be: in-sample scores
    /// are too low for a neighbour model, whose training windows have near copies of
    /// themselves one step away. Then the end of `xs` starts the history and the cycle.
    pub fn calibrate(&mut self, xs: &[f64], fitted: usize, threshold: f64) {
        let w = self.mean.len();
        self.cut = f64::INFINITY;
        self.recent = xs[fitted + 1 - w..fitted].to_vec();
        let scores: Vec<f64> = xs[fitted..].iter().map(|&x| self.update(x).score.unwrap_or(0.0)).collect();
        self.cut = robust_cut(&scores, threshold);
        self.recent = xs[xs.len() + 1 - w..].to_vec();
        self.cycle = last_cycle(xs, w);
        self.scored = 0;
    }

    pub fn update(&mut self, x: f64) -> Scored {
        let w = self.mean.len();
        let row: Vec<f64> = self
            .recent
            .iter()
            .chain(std::iter::once(&x))
            .zip(self.mean.iter().zip(&self.sd))
            .map(|(v, (m, sd))| (v - m) / sd)
            .collect();
        let (score, expected_z) = self.rows.score(&row, &mut Vec::new());
        let expected = match expected_z {
            Some(z) => z * self.sd[w - 1] + self.mean[w - 1],
            None => self.cycle[(self.scored % w as u64) as usize],
        };
        let flagged = score > self.cut;
        self.scored += 1;
        if w > 1 {
            self.recent.remove(0);
            self.recent.push(if flagged { expected } else { x });
        }
        Scored::unbounded(score, flagged, Some(expected))
    }
}

/// The typical cycle of period `w` at the phases that follow `xs`.
fn last_cycle(xs: &[f64], w: usize) -> Vec<f64> {
    let typical = typical_cycle(xs, w);
    typical[typical.len() - w..].to_vec()
}
