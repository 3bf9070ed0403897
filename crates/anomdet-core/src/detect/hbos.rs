//! HBOS, histogram-based outlier score (Goldstein & Dengel 2012): by default on the values
//! (`window` 1), a value in a rarely visited bin of the series' histogram scores high; with a
//! longer window, one histogram per window position (it judges each position's value, not the
//! shape: a wrong shape of usual values goes unseen). PyOD's defaults. Batch only.

use super::DetectorInfo;
use super::windowed::{THRESHOLD, WindowScores, Windowed, min_points};
use crate::params::{Bound, ParamSpec};
use crate::subsequence::Spread;
use crate::tabular::hbos::Hbos;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int(
        "window",
        1.0,
        0.0,
        100_000.0,
        "1: the values alone; longer: one histogram per window position; 0: the detected period",
    ),
    ParamSpec::int("bins", 10.0, 2.0, 10_000.0, "bins per histogram"),
    ParamSpec::float("alpha", 0.1, Bound::excl(0.0), Bound::incl(1.0), "added to each density before the log"),
    ParamSpec::float(
        "tol",
        0.5,
        Bound::incl(0.0),
        Bound::incl(100.0),
        "bin widths beyond the range still given the edge bin",
    ),
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "hbos",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "histogram-based outlier score: values in rarely visited histogram bins score high (PyOD's defaults)",
    min_points,
    build: |p| {
        let (bins, alpha, tol) = (p.int("bins"), p.float("alpha"), p.float("tol"));
        Box::new(Windowed::new(p, Spread::Centre, true, move |s| {
            let model = Hbos::fit(&s.rows, bins, alpha, tol);
            WindowScores { scores: model.score_all(&s.rows), expected: None }
        }))
    },
};
