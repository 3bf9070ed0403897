//! Rolling interquartile range with Tukey's fences: flagged outside [Q1 - k·IQR, Q3 + k·IQR].
//! The score is the distance from the window median in IQRs, so it is continuous.

use serde::{Deserialize, Serialize};
use crate::parts::rolling::{Rolling, WindowRule};
use super::{Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamKind, ParamSpec};
use crate::resolution::Resolution;
use crate::series::QuantileAt;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "window",
        kind: ParamKind::Int,
        default: 60.0,
        min: Bound::incl(4.0),
        max: Bound::incl(100_000.0),
        description: "values in the window (batch: centred on the point; online: the preceding values)",
    },
    ParamSpec {
        name: "k",
        kind: ParamKind::Float,
        default: 1.5,
        min: Bound::excl(0.0),
        max: Bound::incl(1e6),
        description: "fence width in IQRs (Tukey: 1.5 outlier, 3 far out)",
    },
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "iqr",
    family: "robust statistical",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Rolling interquartile range with Tukey's fences",
    finds: Finds::Spikes,
    min_points: |p| p.int("window"),
    cost: Cost { batch: Pass::linear(0.26), online: Some(Pass::linear(0.17)) },
    memory: Memory::Series,
    build: |p| Box::new(Rolling::new(Tukey { k: p.float("k"), places: Default::default() }, p.int("window"))),
};

#[derive(Clone, Serialize, Deserialize)]
struct Tukey {
    k: f64,
    /// Where Q1, the median and Q3 fall in a window of the last length seen: worked out once.
    #[serde(skip)]
    places: [QuantileAt; 3],
}

/// Q1, the median, Q3.
const QUARTILES: [f64; 3] = [0.25, 0.5, 0.75];

impl WindowRule for Tukey {
    fn judge(&mut self, window: &[f64], x: f64, resolution: &Resolution) -> Scored {
        for (place, q) in self.places.iter_mut().zip(QUARTILES) {
            *place = place.for_len(window.len(), q);
        }
        let [q1, median, q3] = self.places.map(|place| place.of(window));
        let iqr = q3 - q1;
        let lower = q1 - self.k * iqr;
        let upper = q3 + self.k * iqr;
        Scored {
            score: Some((x - median).abs() / resolution.floor(iqr, median)),
            is_anomaly: Some(x < lower || x > upper),
            expected: Some(median),
            lower: Some(lower),
            upper: Some(upper),
            probability: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn known_answer_fences() {
        // online, window 4, past {1,2,3,4}: Q1 1.75, Q3 3.25, IQR 1.5, fences [-0.5, 5.5]
        let p = INFO.parse_params(Some(&serde_json::json!({"window": 4}))).unwrap();
        let mut d = (INFO.build)(&p);
        for x in [1.0, 2.0, 3.0, 4.0] {
            assert_eq!(d.update(x), Scored::WARMUP);
        }
        let s = d.update(5.5);
        assert_relative_eq!(s.lower.unwrap(), -0.5);
        assert_relative_eq!(s.upper.unwrap(), 5.5);
        assert_eq!(s.is_anomaly, Some(false)); // on the fence is not outside it
        assert_relative_eq!(s.score.unwrap(), 3.0 / 1.5);
        // window is now {2,3,4,5.5}: Q1 2.75, Q3 4.375, IQR 1.625, upper 6.8125
        let s = d.update(6.9);
        assert_eq!(s.is_anomaly, Some(true));
    }
}
