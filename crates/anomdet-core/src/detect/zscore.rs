//! Global z-score: distance from the mean in standard deviations.
//! Batch: mean and sample sd of the whole series. Online: of all values seen so far.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::detector::{BatchPieces, ScoreRange};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamKind, ParamSpec};
use crate::resolution::Resolution;
use crate::series::{Welford, mean_sd_two_pass};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "threshold",
        kind: ParamKind::Float,
        default: 3.0,
        min: Bound::excl(0.0),
        max: Bound::incl(1e6),
        description: "flag when |x - mean| / sd exceeds this",
    },
    ParamSpec {
        name: "min_history",
        kind: ParamKind::Int,
        default: 30.0,
        min: Bound::incl(2.0),
        max: Bound::incl(1e7),
        description: "online mode: values seen before scoring starts",
    },
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "zscore",
    family: "statistical",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Global z-score: distance from the mean in sample standard deviations; measured against the whole series' spread, so a spike inside a daily swing stays below it (use mad, ewma or stl for those)",
    finds: Finds::Spikes,
    min_points: |_| 2,
    cost: Cost { batch: Pass::linear(0.20), online: Some(Pass::linear(0.13)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(ZScore {
            threshold: p.float("threshold"),
            min_history: p.int("min_history") as u64,
            seen: Welford::default(),
            resolution: Resolution::default(),
        })
    },
};

#[derive(Serialize, Deserialize)]
struct ZScore {
    threshold: f64,
    min_history: u64,
    seen: Welford,
    resolution: Resolution,
}

impl ZScore {
    /// Batch mode's one band: the whole series' mean and standard deviation.
    fn whole_series_band(&self, xs: &[f64]) -> WholeSeriesBand {
        let (mean, sd) = mean_sd_two_pass(xs);
        WholeSeriesBand { mean, scale: Resolution::of(xs).floor(sd, mean), threshold: self.threshold }
    }
}

/// Every value judged against the whole series' mean, in units of its standard deviation.
#[derive(Clone, Copy)]
struct WholeSeriesBand {
    mean: f64,
    scale: f64,
    threshold: f64,
}

impl ScoreRange for WholeSeriesBand {
    fn score_range(&mut self, xs: &[f64], range: std::ops::Range<usize>, out: &mut Vec<Scored>) {
        for i in range {
            crate::interrupt::check_every(i);
            out.push(Scored::banded(xs[i], self.mean, self.scale, self.threshold));
        }
    }

    fn fork(&self) -> Box<dyn ScoreRange> {
        Box::new(*self)
    }
}

impl Detector for ZScore {
    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        let out = if self.seen.count() < self.min_history {
            Scored::WARMUP
        } else {
            let mean = self.seen.mean();
            Scored::banded(x, mean, self.resolution.floor(self.seen.sample_sd(), mean), self.threshold)
        };
        self.seen.push(x);
        out
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let mut out = Vec::with_capacity(xs.len());
        self.whole_series_band(xs).score_range(xs, 0..xs.len(), &mut out);
        out
    }

    fn batch_pieces(&mut self, xs: &[f64]) -> BatchPieces {
        BatchPieces::Learnt(Box::new(self.whole_series_band(xs)))
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
    use crate::params::Params;
    use approx::assert_relative_eq;

    #[test]
    fn batch_known_answer() {
        // mean 5, sample sd sqrt(32/7) = 2.13809
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let out = (INFO.build)(&Params::defaults(PARAMS)).score_batch(&xs);
        let sd = (32.0f64 / 7.0).sqrt();
        assert_relative_eq!(out[7].score.unwrap(), 4.0 / sd);
        assert_relative_eq!(out[0].score.unwrap(), 3.0 / sd);
        assert_eq!(out[7].expected, Some(5.0));
        assert_relative_eq!(out[7].upper.unwrap(), 5.0 + 3.0 * sd);
        assert!(out.iter().all(|s| s.is_anomaly == Some(false)));
    }

    #[test]
    fn online_scores_against_the_past_only() {
        let json = serde_json::json!({"min_history": 3});
        let params = INFO.parse_params(Some(&json)).unwrap();
        let mut d = (INFO.build)(&params);
        assert_eq!(d.update(1.0), Scored::WARMUP);
        assert_eq!(d.update(2.0), Scored::WARMUP);
        assert_eq!(d.update(3.0), Scored::WARMUP);
        // past: mean 2, sd 1 -> 10 is 8 sd away
        let s = d.update(10.0);
        assert_relative_eq!(s.score.unwrap(), 8.0);
        assert_eq!(s.is_anomaly, Some(true));
    }
}
