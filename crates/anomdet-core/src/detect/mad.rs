//! Rolling robust z-score (Hampel identifier): distance from the window median in units of
//! the scaled median absolute deviation, 1.4826 × MAD, which estimates σ for normal data.

use serde::{Deserialize, Serialize};
use crate::parts::rolling::{Rolling, WindowRule};
use super::{Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamKind, ParamSpec};
use crate::resolution::Resolution;
use crate::series::{MadHint, QuantileAt, mad_sorted_near};

/// Makes the MAD a consistent estimator of the standard deviation under normality.
const NORMAL_CONSISTENCY: f64 = 1.4826;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "window",
        kind: ParamKind::Int,
        default: 60.0,
        min: Bound::incl(3.0),
        max: Bound::incl(100_000.0),
        description: "values in the window (batch: centred on the point; online: the preceding values)",
    },
    ParamSpec {
        name: "threshold",
        kind: ParamKind::Float,
        default: 3.5,
        min: Bound::excl(0.0),
        max: Bound::incl(1e6),
        description: "flag when |x - median| / (1.4826 * MAD) exceeds this",
    },
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "mad",
    family: "robust statistical",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Rolling robust z-score (Hampel): distance from the window median in scaled MADs",
    finds: Finds::Spikes,
    min_points: |p| p.int("window"),
    cost: Cost { batch: Pass::linear(0.29), online: Some(Pass::linear(0.22)) },
    memory: Memory::Series,
    build: |p| Box::new(Rolling::new(Hampel { threshold: p.float("threshold"), near: MadHint::default(), median_at: QuantileAt::default() }, p.int("window"))),
};

#[derive(Clone, Serialize, Deserialize)]
struct Hampel {
    threshold: f64,
    /// Where the last window's MAD was found: a speed-up only, never saved.
    #[serde(skip)]
    near: MadHint,
    /// Where the median falls in a window of the last length seen.
    #[serde(skip)]
    median_at: QuantileAt,
}

impl WindowRule for Hampel {
    fn judge(&mut self, window: &[f64], x: f64, resolution: &Resolution) -> Scored {
        self.median_at = self.median_at.for_len(window.len(), 0.5);
        let median = self.median_at.of(window);
        let mad = mad_sorted_near(window, median, &mut self.near);
        let sigma = resolution.floor(NORMAL_CONSISTENCY * mad, median);
        Scored::banded(x, median, sigma, self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;
    use approx::assert_relative_eq;

    #[test]
    fn known_answer_centered() {
        // window 5 around index 2 of [1,2,3,4,100]: median 3, MAD 1 -> sigma 1.4826
        let xs = [1.0, 2.0, 3.0, 4.0, 100.0, 5.0, 6.0];
        let p = INFO.parse_params(Some(&serde_json::json!({"window": 5}))).unwrap();
        let out = (INFO.build)(&p).score_batch(&xs);
        assert_relative_eq!(out[2].score.unwrap(), 0.0);
        // index 4: window [3,4,100,5,6] -> median 5, deviations {2,1,95,0,1} -> MAD 1
        assert_relative_eq!(out[4].score.unwrap(), 95.0 / NORMAL_CONSISTENCY, epsilon = 1e-9);
        assert_eq!(out[4].is_anomaly, Some(true));
        assert_eq!(out[4].expected, Some(5.0));
    }

    #[test]
    fn online_warms_up_for_a_full_window() {
        let p = INFO.parse_params(Some(&serde_json::json!({"window": 3}))).unwrap();
        let mut d = (INFO.build)(&p);
        for x in [1.0, 2.0, 3.0] {
            assert_eq!(d.update(x), Scored::WARMUP);
        }
        // past {1,2,3}: median 2, MAD 1
        let s = d.update(20.0);
        assert_relative_eq!(s.score.unwrap(), 18.0 / NORMAL_CONSISTENCY, epsilon = 1e-9);
        assert_relative_eq!(s.upper.unwrap(), 2.0 + 3.5 * NORMAL_CONSISTENCY, epsilon = 1e-9);
        let _ = Params::defaults(PARAMS);
    }
}
