//! Generalized ESD test (Rosner 1983): up to `max_anomalies` outliers in an approximately
//! normal sample. Step i removes the value farthest from the mean of those left and compares
//! R_i = |x − mean| / sd with the critical value
//! λ_i = (n_i − 1) t / sqrt((n_i − 2 + t²) n_i), t = t_{1 − α/(2 n_i), n_i − 2}, n_i values left;
//! the outliers are the values removed up to the last step with R_i > λ_i.
//!
//! The farthest value is always the smallest or the largest left, so one sort and two
//! pointers give every step in O(1): O(n log n) in all. Batch only (it needs the whole sample).

use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::parts::esd::{EsdSteps, esd, esd_scores};
use crate::state::StateError;
use serde::{Deserialize, Serialize};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "max_anomalies",
        0.1,
        Bound::excl(0.0),
        Bound::excl(0.5),
        "upper bound on the share of values that may be outliers",
    ),
    ParamSpec::float("alpha", 0.05, Bound::excl(0.0), Bound::excl(1.0), "significance level of each test"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "gesd",
    family: "statistical test",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "generalized ESD test (Rosner): up to max_anomalies outliers of a near-normal sample; the whole series is that sample, so a spike inside a seasonal swing is no outlier of it (shesd removes the season first)",
    finds: Finds::Spikes,
    min_points: |_| 3,
    cost: Cost { batch: Pass::linear(0.63), online: None },
    memory: Memory::Series,
    build: |p| Box::new(Gesd { max_share: p.float("max_anomalies"), alpha: p.float("alpha"), fitted: None }),
};

#[derive(Serialize, Deserialize)]
struct Gesd {
    max_share: f64,
    alpha: f64,
    /// Fitted on a trusted stretch: the mean and sd of its values left after the test removed
    /// its outliers, and the critical value λ for that many values.
    fitted: Option<(f64, f64, f64)>,
}

impl Detector for Gesd {
    /// Batch only, unless fitted as a model: then each value is judged on its own.
    fn update(&mut self, x: f64) -> Scored {
        match self.fitted {
            Some(_) => self.score_fitted(&[x]).remove(0),
            None => Scored::WARMUP,
        }
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let max_steps = ((self.max_share * xs.len() as f64).floor() as usize).max(1);
        let steps = esd(xs, max_steps, self.alpha, false);
        esd_scores(xs, &steps)
    }

    /// A model: the test run on the training values; new values are judged against the
    /// centre, scale and critical value it ended with.
    fn fit(&mut self, xs: &[f64]) {
        let max_steps = ((self.max_share * xs.len() as f64).floor() as usize).max(1);
        let steps = esd(xs, max_steps, self.alpha, false);
        self.fitted = Some((steps.center, steps.scale, steps.last_lambda));
    }

    fn score_fitted(&mut self, xs: &[f64]) -> Vec<Scored> {
        let Some((center, scale, lambda)) = self.fitted else { return self.score_batch(xs) };
        let steps = EsdSteps { removed: Vec::new(), outliers: 0, center, scale, last_lambda: lambda };
        let mut out = esd_scores(xs, &steps);
        for s in &mut out {
            s.is_anomaly = s.score.map(|r| r > 1.0);
        }
        out
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosner's (1983) example data as used in the NIST/SEMATECH e-Handbook (section
    /// 1.3.5.17.3): 54 values, up to 10 outliers, α = 0.05; the handbook finds exactly 3.
    const ROSNER: [f64; 54] = [
        -0.25, 0.68, 0.94, 1.15, 1.20, 1.26, 1.26, 1.34, 1.38, 1.43, 1.49, 1.49, 1.55, 1.56, 1.58, 1.65, 1.69, 1.70,
        1.76, 1.77, 1.81, 1.91, 1.94, 1.96, 1.99, 2.06, 2.09, 2.10, 2.14, 2.15, 2.23, 2.24, 2.26, 2.35, 2.37, 2.40,
        2.47, 2.54, 2.62, 2.64, 2.90, 2.92, 2.92, 2.93, 3.21, 3.26, 3.30, 3.59, 3.68, 4.30, 4.64, 5.34, 5.42, 6.01,
    ];

    #[test]
    fn nist_handbook_example() {
        let steps = esd(&ROSNER, 10, 0.05, false);
        assert_eq!(steps.outliers, 3);
        // The handbook's table: R1 = 3.118, λ1 = 3.158 (so step 1 alone would not reject);
        // R3 = 3.179 > λ3 = 3.143.
        let (i1, r1, l1) = steps.removed[0];
        assert_eq!(ROSNER[i1], 6.01);
        assert!((r1 - 3.118).abs() < 1e-3 && (l1 - 3.158).abs() < 1e-3, "{r1} {l1}");
        let (_, r3, l3) = steps.removed[2];
        assert!((r3 - 3.179).abs() < 1e-3 && (l3 - 3.143).abs() < 1e-3, "{r3} {l3}");
        let out = esd_scores(&ROSNER, &steps);
        let flagged: Vec<f64> = (0..54).filter(|&i| out[i].is_anomaly == Some(true)).map(|i| ROSNER[i]).collect();
        assert_eq!(flagged.len(), 3);
        assert!(flagged.contains(&6.01) && flagged.contains(&5.42) && flagged.contains(&5.34));
    }

    #[test]
    fn no_outliers_in_a_clean_sample() {
        let xs: Vec<f64> = (0..500).map(|i| ((i * 7919) % 1000) as f64 / 1000.0).collect();
        let out = (INFO.build)(&crate::Params::defaults(PARAMS)).score_batch(&xs);
        assert!(out.iter().all(|s| s.is_anomaly == Some(false)));
    }
}
