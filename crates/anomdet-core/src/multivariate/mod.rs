//! Multivariate detection: several columns of each row scored together, with each column's
//! share of the row's score, its explanation. The models are the tabular ones; a row is
//! flagged when its score is more than `threshold` robust sd above the median score.

use crate::params::{Bound, ParamSpec, Params};
use crate::subsequence::flag_by_robust_z;
use crate::tabular::Matrix;
use crate::tabular::copod::Copod;
use crate::tabular::hbos::Hbos;
use crate::tabular::isolation_forest::IsolationForest;
use crate::tabular::knn::{Aggregate, Knn};
use crate::tabular::lof::Lof;
use crate::tabular::mahalanobis::Mahalanobis;
use crate::tabular::one_class_svm::OneClassSvm;
use crate::tabular::params::{
    ALPHA, APPROXIMATION, BINS, COMPONENTS, EPOCHS, GAMMA, LOF_K, NU, REFERENCE, SAMPLE, SAMPLE_SIZE, SEED, TOL, TREES,
    ocsvm_settings,
};
use crate::tabular::pca::Pca;
use model::Fitted;

pub mod model;

/// Each row's score and flag, and (for the rows asked) each column's share of the score.
#[derive(Debug, Clone)]
pub struct Explained {
    pub scores: Vec<f64>,
    pub flags: Vec<bool>,
    /// Each row's calibrated probability: the share of the series' scores below its score
    /// (`crate::calibration`; from the training rows' scores for a stored model).
    pub probabilities: Vec<Option<f64>>,
    /// Row-major, rows × columns; a row not explained holds NaN.
    pub shares: Matrix,
}

/// Fit on the rows, score them, and give the shares of the rows the picker chooses from the
/// scores (one fit serves both); None for degenerate data.
type Run = fn(&Matrix, &Params, &dyn Fn(&[f64]) -> Vec<bool>) -> Option<(Vec<f64>, Matrix)>;
/// Fit the stored form on the rows (z-scored first when `MultiInfo::scaled`); None for degenerate data.
type Fit = fn(&Matrix, &Params) -> Option<Fitted>;

pub struct MultiInfo {
    pub name: &'static str,
    pub params: &'static [ParamSpec],
    pub description: &'static str,
    /// What a column's share is a share of.
    pub explanation: &'static str,
    run: Run,
    /// Whether the model reads z-scored columns (a stored model keeps the training moments).
    scaled: bool,
    fit: Fit,
}

const THRESHOLD: ParamSpec = ParamSpec::float(
    "threshold",
    5.0,
    Bound::excl(0.0),
    Bound::incl(1e6),
    "flag rows scored more than this many robust sd (1.4826 MAD of the scores) above the median score",
);

static IFOREST: MultiInfo = MultiInfo {
    name: "isolation_forest",
    params: &[TREES, SAMPLE_SIZE, SEED, THRESHOLD],
    description: "Isolation Forest on the columns (scikit-learn's defaults)",
    explanation: "how much deeper the trees would isolate the row with that column at its median, over the sum for all columns",
    run: |m, p, explain| {
        let forest = IsolationForest::fit(m, p.int("trees"), p.int("sample_size"), p.int("seed") as u64);
        let scores = forest.score_all(m);
        let medians = column_medians(m);
        // The forest's anomaly measure, for occlusion: shallower is more anomalous.
        let shares =
            shares_of(m, &explain(&scores), |row, terms| occlusion(row, &medians, terms, |r| -forest.mean_depth(r)));
        Some((scores, shares))
    },
    scaled: false,
    fit: |m, p| {
        let forest = IsolationForest::fit(m, p.int("trees"), p.int("sample_size"), p.int("seed") as u64);
        Some(Fitted::IsolationForest { forest, medians: column_medians(m) })
    },
};

static HBOS: MultiInfo = MultiInfo {
    name: "hbos",
    params: &[BINS, ALPHA, TOL, THRESHOLD],
    description: "histogram-based outlier score: a histogram per z-scored column, Σ −ln(density + α) (PyOD's defaults)",
    explanation: "each column's −ln(density + α) over the row's sum",
    run: |m, p, explain| {
        // Densities are per unit of the column: z-scored, α weighs the same in every column
        // (PyOD does not scale, so a column in large units gets densities far below α).
        let z = standardized(m);
        let model = Hbos::fit(&z, p.int("bins"), p.float("alpha"), p.float("tol"));
        let scores = model.score_all(&z);
        let shares = shares_of(&z, &explain(&scores), |row, terms| {
            model.score_terms(row, terms);
        });
        Some((scores, shares))
    },
    scaled: true,
    fit: |z, p| Some(Fitted::Hbos(Hbos::fit(z, p.int("bins"), p.float("alpha"), p.float("tol")))),
};

static COPOD: MultiInfo = MultiInfo {
    name: "copod",
    params: &[THRESHOLD],
    description: "copula-based outlier detection: empirical tail probabilities per column, summed (as PyOD)",
    explanation: "each column's tail term over the row's sum",
    run: |m, _p, explain| {
        let model = Copod::fit(m);
        let scores = Copod::score_fitted(m);
        let shares = shares_of(m, &explain(&scores), |row, terms| {
            model.score_terms(row, terms);
        });
        Some((scores, shares))
    },
    scaled: false,
    fit: |m, _p| Some(Fitted::Copod(Copod::fit(m))),
};

static PCA: MultiInfo = MultiInfo {
    name: "pca",
    params: &[
        ParamSpec::float(
            "variance",
            0.95,
            Bound::excl(0.0),
            Bound::incl(1.0),
            "share of variance the kept components explain",
        ),
        THRESHOLD,
    ],
    description: "PCA of the z-scored columns: Hotelling's T² in the components explaining `variance` plus the residual (SPE) in units of the rest",
    explanation: "each column's part of T² + SPE/δ over the total (a part of T² can be negative)",
    run: |m, p, explain| {
        let z = standardized(m);
        let pca = Pca::fit(&z);
        let k = pca.components_for(p.float("variance")).min(z.cols.saturating_sub(1)).max(1);
        let mut terms = vec![0.0; z.cols];
        let scores: Vec<f64> = (0..z.rows)
            .map(|i| {
                crate::interrupt::check_every(i);
                pca.combined_terms(z.row(i), k, &mut terms)
            })
            .collect();
        let shares = shares_of(&z, &explain(&scores), |row, terms| {
            pca.combined_terms(row, k, terms);
        });
        Some((scores, shares))
    },
    scaled: true,
    fit: |z, p| {
        let pca = Pca::fit(z);
        let components = pca.components_for(p.float("variance")).min(z.cols.saturating_sub(1)).max(1);
        Some(Fitted::Pca { pca, components })
    },
};

static MAHALANOBIS: MultiInfo = MultiInfo {
    name: "mahalanobis",
    params: &[THRESHOLD],
    description: "robust Mahalanobis distance (minimum covariance determinant by concentration steps, reweighted)",
    explanation: "(x − μ)_j (Σ⁻¹(x − μ))_j over D²: the shares sum to 1, and one can be negative",
    run: |m, _p, explain| {
        let model = Mahalanobis::fit(m)?;
        let scores = model.distances(m);
        let shares = shares_of(m, &explain(&scores), |row, terms| {
            model.score_terms(row, terms);
        });
        Some((scores, shares))
    },
    scaled: false,
    fit: |m, _p| Mahalanobis::fit(m).map(Fitted::Mahalanobis),
};

static LOF: MultiInfo = MultiInfo {
    name: "lof",
    params: &[LOF_K, REFERENCE, SEED, THRESHOLD],
    description: "local outlier factor of the z-scored columns (PyOD's k = 20)",
    explanation: "how much the row's LOF falls with that column at its median, over the sum for all columns",
    run: |m, p, explain| {
        let z = standardized(m);
        let model = Lof::fit(&z, p.int("k"), p.int("reference"), p.int("seed") as u64);
        let scores = model.score_all(&z);
        // z-scored, every column's median is about 0.
        let zero = vec![0.0; z.cols];
        let shares = shares_of(&z, &explain(&scores), |row, terms| {
            occlusion(row, &zero, terms, |r| model.score_row(&z, r, None))
        });
        Some((scores, shares))
    },
    scaled: true,
    fit: |z, p| {
        let (lof, reference) = Lof::fit(z, p.int("k"), p.int("reference"), p.int("seed") as u64).keep_reference(z);
        Some(Fitted::Lof { lof, reference })
    },
};

static OCSVM: MultiInfo = MultiInfo {
    name: "one_class_svm",
    params: &[NU, GAMMA, APPROXIMATION, COMPONENTS, EPOCHS, SAMPLE, SEED, THRESHOLD],
    description: "one-class SVM of the z-scored columns, RBF kernel by a Nyström approximation (scikit-learn's ν = 0.5, γ = \"scale\")",
    explanation: "how much the row's distance outside the region falls with that column at its median, over the sum for all columns",
    run: |m, p, explain| {
        let z = standardized(m);
        let model = OneClassSvm::fit(&z, &ocsvm_settings(p));
        let scores = model.score_all(&z);
        let zero = vec![0.0; z.cols];
        let scratch = std::cell::RefCell::new(Vec::new());
        let shares = shares_of(&z, &explain(&scores), |row, terms| {
            occlusion(row, &zero, terms, |r| model.score(r, &mut scratch.borrow_mut()))
        });
        Some((scores, shares))
    },
    scaled: true,
    fit: |z, p| Some(Fitted::Svm(OneClassSvm::fit(z, &ocsvm_settings(p)))),
};

static KNN: MultiInfo = MultiInfo {
    name: "knn",
    params: &[
        ParamSpec::int("k", 5.0, 1.0, 1000.0, "neighbours"),
        ParamSpec::choice("method", &["largest", "mean"], 0, "the k-th distance, or the mean of the k"),
        REFERENCE,
        SEED,
        THRESHOLD,
    ],
    description: "distance of the z-scored row to its k-th nearest row (PyOD's KNN, k = 5)",
    explanation: "each column's part of the squared distance to the k-th nearest row (method mean: to the k nearest), which adds up exactly",
    run: |m, p, explain| {
        let z = standardized(m);
        let aggregate = if p.int("method") == 1 { Aggregate::Mean } else { Aggregate::Largest };
        let model = Knn::fit(z.rows, p.int("k"), aggregate, p.int("reference"), p.int("seed") as u64);
        let scores: Vec<f64> = model.score_all(&z).iter().map(|n| n.score).collect();
        let explain = explain(&scores);
        let mut shares = Matrix::new(z.rows, z.cols, vec![f64::NAN; z.rows * z.cols]);
        let mut nearest = Vec::new();
        for i in (0..z.rows).filter(|&i| explain[i]) {
            crate::interrupt::check_every(i);
            model.score_row(&z, i, &mut nearest);
            let used = match aggregate {
                Aggregate::Largest => &nearest[nearest.len().saturating_sub(1)..],
                Aggregate::Mean => &nearest[..],
            };
            let mut terms = vec![0.0; z.cols];
            for &(_, j) in used {
                for (t, (a, b)) in terms.iter_mut().zip(z.row(i).iter().zip(z.row(j))) {
                    *t += (a - b) * (a - b);
                }
            }
            let total: f64 = terms.iter().sum();
            for (s, t) in shares.row_mut(i).iter_mut().zip(&terms) {
                *s = if total > 0.0 { t / total } else { 1.0 / z.cols as f64 };
            }
        }
        Some((scores, shares))
    },
    scaled: true,
    fit: |z, p| {
        let aggregate = if p.int("method") == 1 { Aggregate::Mean } else { Aggregate::Largest };
        let knn = Knn::fit(z.rows, p.int("k"), aggregate, p.int("reference"), p.int("seed") as u64);
        let (knn, reference) = knn.keep_reference(z);
        Some(Fitted::Knn { knn, reference, aggregate })
    },
};

static MULTIVARIATE: &[&MultiInfo] = &[&IFOREST, &HBOS, &COPOD, &PCA, &MAHALANOBIS, &LOF, &OCSVM, &KNN];

/// Every multivariate detector, in listing order.
pub fn multivariate() -> &'static [&'static MultiInfo] {
    MULTIVARIATE
}

pub fn find_multivariate(name: &str) -> Option<&'static MultiInfo> {
    MULTIVARIATE.iter().copied().find(|d| d.name == name)
}

/// Why a model could not score.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MultiError {
    #[error("{0} needs more rows than columns, and columns that are not constant or linear combinations of the others")]
    Degenerate(&'static str),
}

impl MultiInfo {
    /// Score the rows of `data` (rows × columns, all finite), explaining the rows `explain`
    /// picks by index and flag (e.g. only the flagged ones).
    pub fn score(
        &self,
        data: &Matrix,
        params: &Params,
        explain: impl Fn(usize, bool) -> bool,
    ) -> Result<Explained, MultiError> {
        let threshold = params.float("threshold");
        let flags_of = |scores: &[f64]| -> Vec<bool> {
            flag_by_robust_z(scores, None, threshold).iter().map(|s| s.is_anomaly == Some(true)).collect()
        };
        // The flags are known once the scores are, so `explain` can ask for flagged rows only.
        let pick = |scores: &[f64]| -> Vec<bool> {
            flags_of(scores).iter().enumerate().map(|(i, &flagged)| explain(i, flagged)).collect()
        };
        let (scores, shares) = (self.run)(data, params, &pick).ok_or(MultiError::Degenerate(self.name))?;
        let flags = flags_of(&scores);
        let probabilities = crate::calibration::shares_below(&scores.iter().map(|&s| Some(s)).collect::<Vec<_>>());
        Ok(Explained { scores, flags, shares, probabilities })
    }
}

/// Occlusion: each column's term is how much less anomalous (by `anomaly`, higher is more)
/// the row becomes with that column set to its ordinary value in `baseline`; never negative.
fn occlusion(row: &[f64], baseline: &[f64], terms: &mut [f64], anomaly: impl Fn(&[f64]) -> f64) {
    let own = anomaly(row);
    let mut probe = row.to_vec();
    for (j, t) in terms.iter_mut().enumerate() {
        probe[j] = baseline[j];
        *t = (own - anomaly(&probe)).max(0.0);
        probe[j] = row[j];
    }
}

/// Each column's median.
fn column_medians(m: &Matrix) -> Vec<f64> {
    (0..m.cols)
        .map(|j| {
            let mut c = m.column(j);
            c.sort_by(f64::total_cmp);
            crate::series::quantile_sorted(&c, 0.5)
        })
        .collect()
}

/// A copy with every column z-scored: models that compare columns need one unit for all.
fn standardized(m: &Matrix) -> Matrix {
    let mut z = m.clone();
    z.standardize_columns();
    z
}

/// Shares of the rows `explain` marks: each column's term over the row's sum of terms.
fn shares_of(m: &Matrix, explain: &[bool], terms_of: impl Fn(&[f64], &mut [f64])) -> Matrix {
    let mut shares = Matrix::new(m.rows, m.cols, vec![f64::NAN; m.rows * m.cols]);
    let mut terms = vec![0.0; m.cols];
    for i in (0..m.rows).filter(|&i| explain[i]) {
        crate::interrupt::check_every(i);
        terms_of(m.row(i), &mut terms);
        let total: f64 = terms.iter().sum();
        for (s, t) in shares.row_mut(i).iter_mut().zip(&terms) {
            *s = if total != 0.0 { t / total } else { 1.0 / m.cols as f64 };
        }
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two correlated columns and an unrelated third; row 300 breaks the first two's
    /// relation with values ordinary in each column; row 301 is extreme in the third only.
    pub(super) fn data() -> Matrix {
        let mut d = Vec::new();
        for i in 0..300 {
            let x = ((i * 37) % 100) as f64 / 10.0;
            d.extend_from_slice(&[x, 2.0 * x + ((i * 13) % 7) as f64 / 10.0, ((i * 11) % 50) as f64 / 10.0]);
        }
        d.extend_from_slice(&[9.0, 1.0, 2.5]);
        d.extend_from_slice(&[5.0, 10.3, 60.0]);
        Matrix::new(302, 3, d)
    }

    #[test]
    fn every_model_flags_the_extreme_row_and_blames_its_column() {
        let m = data();
        for info in multivariate() {
            let params = Params::defaults(info.params);
            let out = info.score(&m, &params, |i, flagged| flagged || i == 301).unwrap();
            if info.name == "copod" {
                // Ranks only: one column at its maximum is as rare as two in their top 1%,
                // so COPOD ranks the row high without flagging it.
                let above = out.scores.iter().filter(|&&s| s > out.scores[301]).count();
                assert!(above <= 15, "copod ranks {above} rows above it");
            } else {
                assert!(out.flags[301], "{} missed the extreme row", info.name);
            }
            let share = out.shares.row(301);
            assert!((share.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{}: {share:?}", info.name);
            assert!(share[2] > share[0] && share[2] > share[1], "{} blames {share:?}", info.name);
            let flagged = out.flags.iter().filter(|&&f| f).count();
            assert!(flagged <= 15, "{} flagged {flagged}", info.name);
            // Unflagged rows are not explained.
            assert!(out.shares.row(0)[0].is_nan() || out.flags[0]);
        }
    }

    #[test]
    fn models_of_the_joint_shape_flag_the_correlation_breaker() {
        // Each of its values is ordinary; only models of the columns together can see it.
        let m = data();
        for name in ["pca", "mahalanobis", "isolation_forest", "lof", "one_class_svm", "knn"] {
            let info = find_multivariate(name).unwrap();
            let out = info.score(&m, &Params::defaults(info.params), |_, f| f).unwrap();
            assert!(out.flags[300], "{name} missed the correlation breaker");
            let share = out.shares.row(300);
            assert!(share[0] + share[1] > share[2], "{name} blames {share:?}");
        }
    }

    #[test]
    fn a_singular_scatter_is_an_error_not_a_panic() {
        let m = Matrix::new(10, 2, (0..20).map(|i| (i / 2) as f64).collect());
        let info = find_multivariate("mahalanobis").unwrap();
        assert!(info.score(&m, &Params::defaults(info.params), |_, _| true).is_err());
    }
}
