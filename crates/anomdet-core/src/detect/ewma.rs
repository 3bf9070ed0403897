//! EWMA control chart with a moving centre line (Montgomery & Mastrangelo 1991): the EWMA of
//! past values forecasts the next one; the forecast error is charted against σ estimated
//! by an exponentially smoothed mean absolute error, σ ≈ 1.25·Δ (exact for normal errors).

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamKind, ParamSpec};
use crate::resolution::Resolution;

/// σ = sqrt(π/2) · E|e| for normal errors; 1.25 is the customary rounding.
const MAE_TO_SIGMA: f64 = 1.25;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "lambda",
        kind: ParamKind::Float,
        default: 0.3,
        min: Bound::excl(0.0),
        max: Bound::incl(1.0),
        description: "weight of the newest value in the forecast (1 = last value)",
    },
    ParamSpec {
        name: "alpha",
        kind: ParamKind::Float,
        default: 0.05,
        min: Bound::excl(0.0),
        max: Bound::incl(1.0),
        description: "smoothing of the mean absolute forecast error that estimates sigma",
    },
    ParamSpec {
        name: "threshold",
        kind: ParamKind::Float,
        default: 3.0,
        min: Bound::excl(0.0),
        max: Bound::incl(1e6),
        description: "control-limit width L in sigmas",
    },
    ParamSpec {
        name: "warmup",
        kind: ParamKind::Int,
        default: 20.0,
        min: Bound::incl(2.0),
        max: Bound::incl(1e7),
        description: "values used to start the forecast and sigma before scoring",
    },
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "ewma",
    family: "control chart",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "EWMA control chart with a moving centre line on one-step forecast errors",
    finds: Finds::Spikes,
    min_points: |p| p.int("warmup") + 1,
    cost: Cost { batch: Pass::linear(0.20), online: Some(Pass::linear(0.12)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(Ewma {
            lambda: p.float("lambda"),
            alpha: p.float("alpha"),
            threshold: p.float("threshold"),
            warmup: p.int("warmup") as u64,
            seen: 0,
            forecast: 0.0,
            mean_abs_error: 0.0,
            resolution: Resolution::default(),
        })
    },
};

#[derive(Serialize, Deserialize)]
struct Ewma {
    lambda: f64,
    alpha: f64,
    threshold: f64,
    warmup: u64,
    seen: u64,
    forecast: f64,
    mean_abs_error: f64,
    resolution: Resolution,
}

impl Detector for Ewma {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.seen += 1;
        self.resolution.observe(x);
        if self.seen == 1 {
            self.forecast = x;
            return Scored::WARMUP;
        }
        let error = x - self.forecast;
        let out = if self.seen <= self.warmup {
            // Warm-up: Δ is the plain mean of the absolute errors so far.
            let k = (self.seen - 1) as f64;
            self.mean_abs_error += (error.abs() - self.mean_abs_error) / k;
            Scored::WARMUP
        } else {
            let sigma = self.resolution.floor(MAE_TO_SIGMA * self.mean_abs_error, self.forecast);
            let scored = Scored::banded(x, self.forecast, sigma, self.threshold);
            self.mean_abs_error = self.alpha * error.abs() + (1.0 - self.alpha) * self.mean_abs_error;
            scored
        };
        self.forecast += self.lambda * error;
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
    use approx::assert_relative_eq;

    #[test]
    fn known_answer_recursion() {
        let p = INFO.parse_params(Some(&serde_json::json!({"lambda": 0.5, "alpha": 0.5, "warmup": 3}))).unwrap();
        let mut d = (INFO.build)(&p);
        assert_eq!(d.update(10.0), Scored::WARMUP); // forecast 10
        assert_eq!(d.update(12.0), Scored::WARMUP); // e=2, Δ=2, forecast 11
        assert_eq!(d.update(10.0), Scored::WARMUP); // e=-1, Δ=1.5, forecast 10.5
        // e = 4.5, σ = 1.25 * 1.5 = 1.875 -> score 2.4
        let s = d.update(15.0);
        assert_relative_eq!(s.score.unwrap(), 2.4);
        assert_eq!(s.expected, Some(10.5));
        assert_eq!(s.is_anomaly, Some(false));
        // Δ = 0.5*4.5 + 0.5*1.5 = 3, forecast 12.75; x = 30 -> e 17.25, σ 3.75 -> 4.6
        let s = d.update(30.0);
        assert_relative_eq!(s.score.unwrap(), 4.6);
        assert_eq!(s.is_anomaly, Some(true));
    }
}
