//! HBOS, histogram-based outlier score (Goldstein & Dengel 2012): by default on the values
//! (`window` 1), a value in a rarely visited bin of the series' histogram scores high; with a
//! longer window, one histogram per window position (it judges each position's value, not the
//! shape: a wrong shape of usual values goes unseen). PyOD's defaults. Batch only.

use crate::parts::fitted_windows::{Fit, FittedRows};
use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::parts::window_model::{Rows, THRESHOLD, WINDOW_VALUES, WindowScores, Windowed, min_points};
use crate::params::ParamSpec;
use crate::subsequence::Spread;
use crate::tabular::hbos::Hbos;
use crate::tabular::params::{ALPHA, BINS, TOL};

const PARAMS: &[ParamSpec] = &[WINDOW_VALUES, BINS, ALPHA, TOL, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "hbos",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "histogram-based outlier score: values in rarely visited histogram bins score high (PyOD's defaults); a value is judged by how rare it is over the whole series, so a dip that stays inside the usual range (a wave's low) is not rare",
    finds: Finds::Spikes,
    min_points,
    cost: Cost { batch: Pass::linear(0.18), online: None },
    memory: Memory::WINDOWS,
    build: |p| {
        let (bins, alpha, tol) = (p.int("bins"), p.float("alpha"), p.float("tol"));
        Box::new(Windowed::new(p, Spread::Centre, Rows::Standardized, move |s| {
            let model = Hbos::fit(&s.rows, bins, alpha, tol);
            WindowScores { scores: model.score_all(&s.rows), expected: None }
        })
        .fitted_by(move |s| Fit::scoring_itself(FittedRows::Hbos(Hbos::fit(&s.rows, bins, alpha, tol)), s)))
    },
};
