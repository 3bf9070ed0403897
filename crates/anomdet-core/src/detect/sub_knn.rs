//! Sub-KNN with TSB-AD's tuned univariate defaults (Liu & Paparrizos 2024, `Optimal_Uni_HP_dict`):
//! windows of two periods (periodicity p = 2) and the distance to the 50th nearest window.
//! The model is `knn`'s; only the defaults differ. Batch only.

use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::params::ParamSpec;
use crate::parts::knn_windows::{METHOD, windowed_knn};
use crate::parts::window_model::{SEED, THRESHOLD, WINDOW_TWO_PERIODS, min_points};
use crate::tabular::params::REFERENCE;

const PARAMS: &[ParamSpec] =
    &[WINDOW_TWO_PERIODS, ParamSpec::int("k", 50.0, 1.0, 1000.0, "neighbours"), METHOD, REFERENCE, SEED, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "sub_knn",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "TSB-AD's tuned Sub-KNN: k-NN distance (k = 50) of sliding windows two periods long; it ranks shapes, and one odd value barely moves a window that long (for single values: mad, ewma, stl)",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(264.0), online: None },
    memory: Memory::Windows { periods: 2, model: |_, _| 0 },
    build: |p| windowed_knn(p, 2),
};

#[cfg(test)]
mod tests {
    use crate::detect::{Mode, find_detector, score_series};
    use crate::params::Params;

    #[test]
    fn it_is_knn_with_windows_of_two_periods_and_fifty_neighbours() {
        // Period 24 with a little noise and one bent cycle.
        let noise = crate::detect::tests::white_noise(2400, 0.05);
        let mut xs: Vec<f64> = (0..2400).map(|i| (i as f64 * std::f64::consts::TAU / 24.0).sin() + noise[i]).collect();
        for x in &mut xs[1200..1212] {
            *x = -*x;
        }
        let sub_knn = find_detector("sub_knn").unwrap();
        let knn = find_detector("knn").unwrap();
        let spelled_out = knn.parse_params(Some(&serde_json::json!({"window": 48, "k": 50}))).unwrap();
        let ours = score_series(sub_knn, &Params::defaults(sub_knn.params), Mode::Batch, &xs);
        let theirs = score_series(knn, &spelled_out, Mode::Batch, &xs);
        assert_eq!(
            ours.iter().map(|s| s.score).collect::<Vec<_>>(),
            theirs.iter().map(|s| s.score).collect::<Vec<_>>()
        );
        assert!(ours[1200..1212].iter().any(|s| s.is_anomaly == Some(true)));
        // Its memory estimate counts the wider windows.
        let defaults = Params::defaults(sub_knn.params);
        let narrow = knn.working_bytes_of(&Params::defaults(knn.params), &xs);
        assert!(sub_knn.working_bytes_of(&defaults, &xs) > narrow + 2000 * 20 * 8);
    }
}
