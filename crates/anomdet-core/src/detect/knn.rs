//! k-nearest-neighbour distance on sliding windows (Sub-KNN in TSB-AD; PyOD's KNN): a window
//! far from its k-th most similar window is a shape seen nowhere else. The expected value is the
//! nearest window's value at the same place. Batch only.

use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::params::ParamSpec;
use crate::parts::knn_windows::{METHOD, windowed_knn};
use crate::parts::window_model::{SEED, THRESHOLD, WINDOW, min_points};
use crate::tabular::params::REFERENCE;

const PARAMS: &[ParamSpec] =
    &[WINDOW, ParamSpec::int("k", 10.0, 1.0, 1000.0, "neighbours"), METHOD, REFERENCE, SEED, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "knn",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "k-nearest-neighbour distance of sliding windows (Sub-KNN): shapes unlike any other score high",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(105.0), online: None },
    memory: Memory::WINDOWS,
    build: |p| windowed_knn(p, 1),
};
