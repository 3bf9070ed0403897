//! One-class SVM on the sliding windows of a series (AnomDet's SVM): windows outside the
//! region an RBF-kernel one-class SVM draws around most windows are unusual shapes. The kernel
//! is approximated by random Fourier features, so fitting and scoring stay linear in rows
//! (see `tabular::one_class_svm`). Batch only: the model is fitted on the series it scores.

use crate::parts::fitted_windows::{Fit, FittedRows};
use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::parts::window_model::{Rows, SEED, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::params::ParamSpec;
use crate::subsequence::Spread;
use crate::tabular::one_class_svm::OneClassSvm;
use crate::tabular::params::{APPROXIMATION, COMPONENTS, EPOCHS, GAMMA, NU, SAMPLE, ocsvm_settings};

const PARAMS: &[ParamSpec] = &[WINDOW, NU, GAMMA, APPROXIMATION, COMPONENTS, EPOCHS, SAMPLE, SEED, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "one_class_svm",
    family: "machine learning",
    online: false,
    multivariate: true,
    params: PARAMS,
    description: "one-class SVM (RBF kernel by a Nyström approximation) on sliding windows: distance outside the usual region",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(23.9), online: None },
    memory: Memory::Windows {
        periods: 1,
        // The random features' weights and the sampled windows mapped onto them.
        model: |p, e| (p.int("components") as u64).pow(2) * 16 + (p.int("sample") as u64).min(e.values) * p.int("components") as u64 * 8,
    },
    build: |p| {
        let (settings, fit_settings) = (ocsvm_settings(p), ocsvm_settings(p));
        Box::new(Windowed::new(p, Spread::CoveringMin, Rows::Standardized, move |s| {
            let model = OneClassSvm::fit(&s.rows, &settings);
            WindowScores { scores: model.score_all(&s.rows), expected: None }
        })
        .fitted_by(move |s| Fit::scoring_itself(FittedRows::Svm(OneClassSvm::fit(&s.rows, &fit_settings)), s)))
    },
};
