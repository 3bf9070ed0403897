//! Parameters the tabular models take, declared once for both their uses: over the sliding
//! windows of a series (`detect`) and over the columns of a table (`detect_columns`).

use crate::params::{Bound, ParamSpec};

pub const SEED: ParamSpec =
    ParamSpec::int("seed", 0.0, 0.0, 2_147_483_647.0, "random seed: the same seed, the same result");
pub const TREES: ParamSpec = ParamSpec::int("trees", 100.0, 1.0, 10_000.0, "number of trees");
pub const SAMPLE_SIZE: ParamSpec = ParamSpec::int("sample_size", 256.0, 2.0, 1_000_000.0, "rows drawn for each tree");
pub const BINS: ParamSpec = ParamSpec::int("bins", 10.0, 2.0, 10_000.0, "bins per histogram");
pub const ALPHA: ParamSpec =
    ParamSpec::float("alpha", 0.1, Bound::excl(0.0), Bound::incl(1.0), "added to each density before the log");
pub const TOL: ParamSpec = ParamSpec::float(
    "tol",
    0.5,
    Bound::incl(0.0),
    Bound::incl(100.0),
    "bin widths beyond the range still given the edge bin",
);
/// LOF's k (PyOD's default, 20).
pub const LOF_K: ParamSpec = ParamSpec::int("k", 20.0, 1.0, 1000.0, "neighbours");
pub const REFERENCE: ParamSpec = ParamSpec::int(
    "reference",
    2000.0,
    10.0,
    1_000_000.0,
    "rows searched for neighbours at most (sampled with the seed)",
);
/// The one-class SVM's settings (scikit-learn's ν, γ = "scale", RBFSampler's 100 components).
pub const NU: ParamSpec = ParamSpec::float(
    "nu",
    0.5,
    Bound::excl(0.0),
    Bound::incl(1.0),
    "upper bound on the share of training rows left outside (ν)",
);
pub const GAMMA: ParamSpec = ParamSpec::float(
    "gamma",
    0.0,
    Bound::incl(0.0),
    Bound::incl(1e6),
    "RBF kernel width γ in exp(−γ‖x − y‖²); 0: 1 / (columns × variance), scikit-learn's \"scale\"",
);
pub const APPROXIMATION: ParamSpec = ParamSpec::choice(
    "approximation",
    &["nystroem", "fourier"],
    0,
    "kernel approximation: Nyström on sampled rows, or random Fourier features",
);
pub const COMPONENTS: ParamSpec =
    ParamSpec::int("components", 100.0, 1.0, 1_000.0, "features approximating the kernel (Nyström: landmark rows)");
pub const EPOCHS: ParamSpec = ParamSpec::int("epochs", 10.0, 1.0, 1000.0, "passes of stochastic subgradient steps");
pub const SAMPLE: ParamSpec = ParamSpec::int(
    "sample",
    10_000.0,
    10.0,
    1_000_000.0,
    "rows the model is fitted on at most (sampled with the seed)",
);

/// The one-class SVM's settings from parameters declared with the constants above.
pub fn ocsvm_settings(p: &crate::params::Params) -> crate::tabular::one_class_svm::Settings {
    use crate::tabular::one_class_svm::Approximation;
    crate::tabular::one_class_svm::Settings {
        approximation: if p.int("approximation") == 0 { Approximation::Nystroem } else { Approximation::Fourier },
        nu: p.float("nu"),
        gamma: p.float("gamma"),
        components: p.int("components"),
        epochs: p.int("epochs"),
        sample: p.int("sample"),
        seed: p.int("seed") as u64,
    }
}
