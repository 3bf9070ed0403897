//! Sub-PCA (first on TSB-AD's univariate benchmark): principal components of the z-scored
//! sliding windows. The default score is the squared error left by the components that explain
//! `variance` of them (SPE); `method` "weighted" is PyOD's score, which TSB-AD ranks:
//! Σ_j ‖x − v_j‖ / r_j over every component, weighted by the inverse share of variance. That
//! one mostly measures a window's norm, so a wrong shape of the usual size barely moves it (a
//! faster cycle in a sine: 8.09M against 7.80M elsewhere, where SPE gives 50.3 against 0.12).
//! The expected value is the reconstruction at the window's centre. Batch only.

use crate::parts::fitted_windows::{Fit, FittedRows};
use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::parts::window_model::{Rows, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::params::{Bound, ParamSpec};
use crate::subsequence::Spread;
use crate::tabular::pca::Pca;

const PARAMS: &[ParamSpec] = &[
    WINDOW,
    ParamSpec::choice(
        "method",
        &["weighted", "reconstruction"],
        1,
        "PyOD's weighted distance to all components, or the reconstruction error",
    ),
    ParamSpec::float(
        "variance",
        0.95,
        Bound::excl(0.0),
        Bound::incl(1.0),
        "share of variance the reconstruction keeps",
    ),
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "sub_pca",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "PCA of sliding windows (TSB-AD's Sub-PCA): shapes off the main components score high",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(56.0), online: None },
    memory: Memory::WINDOWS,
    build: |p| {
        let reconstruction = p.int("method") == 1;
        let variance = p.float("variance");
        Box::new(Windowed::new(p, Spread::CoveringMin, Rows::Standardized, move |s| {
            let pca = Pca::fit(&s.rows);
            let k = pca.components_for(variance);
            let c = s.centre();
            let mut scores = Vec::with_capacity(s.rows.rows);
            let mut expected = Vec::with_capacity(s.rows.rows);
            for i in 0..s.rows.rows {
                crate::interrupt::check_every(i * s.window / 16);
                let row = s.rows.row(i);
                scores.push(if reconstruction { pca.residual(row, k) } else { pca.score(row) });
                expected.push(s.unscale_centre(pca.reconstruct_at(row, k, c)));
            }
            WindowScores { scores, expected: Some(expected) }
        })
        .fitted_by(move |s| {
            let model = Pca::fit(&s.rows);
            let components = model.components_for(variance);
            Fit::scoring_itself(FittedRows::Pca { model, components, reconstruction }, s)
        }))
    },
};
