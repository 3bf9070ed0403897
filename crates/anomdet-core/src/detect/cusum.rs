//! Two-sided tabular CUSUM (Page 1954; Montgomery, *Introduction to Statistical Quality
//! Control*, §9.1): with target μ and σ learnt from the first `warmup` values,
//! C⁺ = max(0, C⁺ + x − μ − kσ), C⁻ = max(0, C⁻ + μ − kσ − x); a change is signalled when
//! either exceeds hσ. The score is max(C⁺, C⁻)/σ, so it crosses `threshold` = h at a signal.
//! After a signal both sums restart and μ, σ are learnt again: the new level becomes normal.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::resolution::Resolution;
use crate::series::Welford;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "slack",
        0.5,
        Bound::incl(0.0),
        Bound::incl(100.0),
        "k: allowance per value in sigmas (half the shift to detect)",
    ),
    ParamSpec::float("threshold", 5.0, Bound::excl(0.0), Bound::incl(1e6), "h: decision interval in sigmas"),
    ParamSpec::int(
        "warmup",
        30.0,
        2.0,
        1e7,
        "values that set the target mean and sigma, at the start and after each signal",
    ),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "cusum",
    family: "change point",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "two-sided tabular CUSUM: flags sustained shifts of the mean, then learns the new level",
    finds: Finds::LevelShifts,
    min_points: |p| p.int("warmup") + 1,
    cost: Cost { batch: Pass::linear(0.10), online: Some(Pass::linear(0.08)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(Cusum {
            slack: p.float("slack"),
            threshold: p.float("threshold"),
            warmup: p.int("warmup") as u64,
            learn: Welford::default(),
            target: None,
            up: 0.0,
            down: 0.0,
            resolution: Resolution::default(),
        })
    },
};

#[derive(Serialize, Deserialize)]
struct Cusum {
    slack: f64,
    threshold: f64,
    warmup: u64,
    learn: Welford,
    /// (μ, σ) once learnt.
    target: Option<(f64, f64)>,
    up: f64,
    down: f64,
    resolution: Resolution,
}

impl Detector for Cusum {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        let Some((mu, sigma)) = self.target else {
            self.learn.push(x);
            if self.learn.count() >= self.warmup {
                let mu = self.learn.mean();
                self.target = Some((mu, self.resolution.floor(self.learn.sample_sd(), mu)));
            }
            return Scored::WARMUP;
        };
        self.up = (self.up + x - mu - self.slack * sigma).max(0.0);
        self.down = (self.down + mu - self.slack * sigma - x).max(0.0);
        let score = self.up.max(self.down) / sigma;
        let flagged = score > self.threshold;
        // The band: how far x may go before this very value signals.
        let room = self.threshold * sigma;
        let out = Scored {
            score: Some(score),
            is_anomaly: Some(flagged),
            expected: Some(mu),
            lower: Some(mu - self.slack * sigma - (room - (self.down - (mu - self.slack * sigma - x)).max(0.0))),
            upper: Some(mu + self.slack * sigma + (room - (self.up - (x - mu - self.slack * sigma)).max(0.0))),
            probability: None,
        };
        if flagged {
            self.up = 0.0;
            self.down = 0.0;
            self.target = None;
            self.learn = Welford::default();
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
    use approx::assert_relative_eq;

    fn detector(json: serde_json::Value) -> Box<dyn Detector> {
        (INFO.build)(&INFO.parse_params(Some(&json)).unwrap())
    }

    /// Warm-up 0, 2, 0, 2: μ = 1, σ = 1.1547 (sample sd). With k = 0.5: C⁺ after x = 3 is
    /// 3 − 1 − 0.57735 = 1.42265 → score 1.2321; after another 3: 2.8453 → 2.4641.
    #[test]
    fn known_answer_sums() {
        let mut d = detector(serde_json::json!({"warmup": 4, "threshold": 2.0}));
        for x in [0.0, 2.0, 0.0, 2.0] {
            assert_eq!(d.update(x), Scored::WARMUP);
        }
        let s = d.update(3.0);
        assert_relative_eq!(s.score.unwrap(), 1.42265 / 1.1547, epsilon = 1e-4);
        assert_eq!(s.is_anomaly, Some(false));
        let s = d.update(3.0);
        assert_relative_eq!(s.score.unwrap(), 2.84530 / 1.1547, epsilon = 1e-4);
        assert_eq!(s.is_anomaly, Some(true)); // 2.46 > h = 2
        // Restarted: learning again.
        assert_eq!(d.update(3.0), Scored::WARMUP);
    }

    #[test]
    fn a_small_sustained_shift_is_caught_that_a_threshold_on_values_misses() {
        // Noise of sd ~0.58 around 0, then a shift of +1 sd: no single value is extreme.
        let noise = |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 * 2.0 - 1.0;
        let xs: Vec<f64> = (0..400).map(|i| noise(i) + if i >= 200 { 0.6 } else { 0.0 }).collect();
        let mut d = detector(serde_json::json!({}));
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        let first = out.iter().position(|s| s.is_anomaly == Some(true)).unwrap();
        assert!((200..240).contains(&first), "first signal at {first}");
    }
}
