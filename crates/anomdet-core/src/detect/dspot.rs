//! DSPOT (Siffer et al., KDD 2017): SPOT on the deviation of each value from the mean of the
//! last `depth` normal values, so the thresholds follow a drifting level. Values that raise an
//! alarm do not enter that mean.

use crate::comparable::{Against, RecentMedian};
use crate::resolution::Resolution;
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::ParamSpec;
use crate::parts::spot_tail::{BiTail, SPOT_PARAMS};
use std::collections::VecDeque;

const PARAMS: &[ParamSpec] = &[
    SPOT_PARAMS[0],
    SPOT_PARAMS[1],
    SPOT_PARAMS[2],
    SPOT_PARAMS[3],
    ParamSpec::int("depth", 10.0, 1.0, 100_000.0, "normal values whose mean is the moving level"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "dspot",
    family: "extreme value",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "DSPOT: SPOT on the deviation from a moving mean, for drifting series",
    finds: Finds::Spikes,
    min_points: |p| p.int("n_init") + p.int("depth") + 1,
    cost: Cost { batch: Pass::linear(0.24), online: Some(Pass::linear(0.25)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(Dspot {
            q: p.float("q"),
            level: p.float("level"),
            n_init: p.int("n_init"),
            both: p.flag("both"),
            depth: p.int("depth"),
            recent: VecDeque::new(),
            sum: 0.0,
            init: Vec::new(),
            tails: None,
            resolution: Resolution::default(),
            recent_scores: RecentMedian::new(500, Against::Ratio),
        })
    },
};

#[derive(Serialize, Deserialize)]
struct Dspot {
    q: f64,
    level: f64,
    n_init: usize,
    both: bool,
    depth: usize,
    /// The last `depth` normal values and their sum.
    recent: VecDeque<f64>,
    sum: f64,
    /// Calibration deviations.
    init: Vec<f64>,
    tails: Option<BiTail>,
    /// The values' resolution (deviations from a mean of counts are not counts).
    resolution: Resolution,
    /// The recent scores, for the probability (see `comparable`).
    recent_scores: RecentMedian,
}

impl Dspot {
    fn remember(&mut self, x: f64) {
        self.recent.push_back(x);
        self.sum += x;
        if self.recent.len() > self.depth {
            self.sum -= self.recent.pop_front().unwrap_or(0.0);
        }
    }
}

impl Detector for Dspot {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    /// The residuals' scale settles slowly as the drift window fills, so the probability
    /// ranks each score against the median of the last 500.
    fn comparable(&mut self, s: &Scored) -> Option<f64> {
        self.recent_scores.comparable(s.score?)
    }

    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        if self.recent.len() < self.depth {
            self.remember(x);
            return Scored::WARMUP;
        }
        let level = self.sum / self.depth as f64;
        let deviation = x - level;
        let Some(tails) = self.tails.as_mut() else {
            self.init.push(deviation);
            if self.init.len() >= self.n_init {
                self.tails = Some(BiTail::calibrate(&self.init, self.level, self.q, self.both));
                self.init = Vec::new();
            }
            self.remember(x);
            return Scored::WARMUP;
        };
        let mut out = tails.judge(deviation, level, &self.resolution);
        out.expected = Some(level);
        if out.is_anomaly != Some(true) {
            self.remember(x);
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

    #[test]
    fn follows_a_drift() {
        // A slow linear drift with small noise and one spike: DSPOT flags the spike only.
        let noise = |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
        let mut xs: Vec<f64> = (0..4000).map(|i| i as f64 * 0.01 + noise(i)).collect();
        xs[3000] += 8.0;
        let mut d = (INFO.build)(&crate::Params::defaults(PARAMS));
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        assert_eq!(out[3000].is_anomaly, Some(true));
        let flagged = out.iter().filter(|s| s.is_anomaly == Some(true)).count();
        assert!(flagged <= 5, "{flagged} flagged");
        // The band moves with the level (about 40 at the end).
        let end = out[3999];
        assert!((end.expected.unwrap() - 39.9).abs() < 0.5, "{end:?}");
        let (lo, hi) = (end.lower.unwrap(), end.upper.unwrap());
        assert!(lo < 39.9 && hi > 39.9 && hi - lo < 3.0, "{end:?}");
    }
}
