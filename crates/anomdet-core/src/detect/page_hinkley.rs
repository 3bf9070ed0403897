//! Page-Hinkley test (Page 1954; Hinkley 1971) with River's semantics
//! (`river.drift.PageHinkley`): with x̄ the running mean since the last change,
//! m⁺ = α m⁺ + (x − x̄ − δ) and m⁻ = α m⁻ + (x − x̄ + δ); a rise is signalled when
//! m⁺ − min m⁺ > λ, a fall when max m⁻ − m⁻ > λ, after `min_instances` values; then all
//! state restarts. `standardize` (default on) divides values by the sd of the first
//! `min_instances` values (then replayed through the test) so λ means sigmas; off, it is
//! River's test on raw values.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::resolution::Resolution;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("min_instances", 30.0, 2.0, 1e7, "values before a change can be signalled (and that set the scale)"),
    ParamSpec::float("delta", 0.005, Bound::incl(0.0), Bound::incl(1e6), "delta: the change tolerated"),
    ParamSpec::float(
        "threshold",
        50.0,
        Bound::excl(0.0),
        Bound::incl(1e12),
        "lambda: the cumulative deviation that signals",
    ),
    ParamSpec::float("alpha", 0.9999, Bound::excl(0.0), Bound::incl(1.0), "fading factor of the cumulative sums"),
    ParamSpec::flag("standardize", true, "measure values in sigmas of the first min_instances values"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "page_hinkley",
    family: "change point",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Page-Hinkley test (River semantics): flags a change of the mean, then restarts",
    finds: Finds::LevelShifts,
    min_points: |p| p.int("min_instances") + 1,
    cost: Cost { batch: Pass::linear(0.15), online: Some(Pass::linear(0.10)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(PageHinkley {
            min_instances: p.int("min_instances") as u64,
            delta: p.float("delta"),
            threshold: p.float("threshold"),
            alpha: p.float("alpha"),
            standardize: p.flag("standardize"),
            scale: None,
            first: Vec::new(),
            state: State::default(),
            run: 0,
        })
    },
};

#[derive(Default, Serialize, Deserialize)]
struct State {
    n: u64,
    mean: f64,
    up: f64,
    up_min: f64,
    down: f64,
    down_max: f64,
}

#[derive(Serialize, Deserialize)]
struct PageHinkley {
    min_instances: u64,
    delta: f64,
    threshold: f64,
    alpha: f64,
    standardize: bool,
    scale: Option<f64>,
    /// The first values, kept until they set the scale.
    first: Vec<f64>,
    state: State,
    /// Scored values since the last restart, for the probability (see `comparable`).
    run: u64,
}

impl PageHinkley {
    /// One step of the test on a (scaled) value; the statistic once min_instances are seen.
    fn step(&mut self, x: f64) -> Option<(f64, bool, f64)> {
        let s = &mut self.state;
        s.n += 1;
        s.mean += (x - s.mean) / s.n as f64;
        s.up = self.alpha * s.up + (x - s.mean - self.delta);
        s.down = self.alpha * s.down + (x - s.mean + self.delta);
        if s.n == 1 {
            s.up_min = s.up;
            s.down_max = s.down;
        }
        s.up_min = s.up_min.min(s.up);
        s.down_max = s.down_max.max(s.down);
        if s.n < self.min_instances {
            return None;
        }
        let statistic = (s.up - s.up_min).max(s.down_max - s.down);
        let flagged = statistic > self.threshold;
        let mean = s.mean;
        if flagged {
            self.state = State::default();
        }
        Some((statistic, flagged, mean))
    }
}

impl Detector for PageHinkley {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    /// The statistic climbs between restarts (the rise of a random walk above its minimum
    /// after n values is distributed as |N(0, n)|, Lévy), so the probability ranks it over
    /// √n, n the values since the restart: the same distribution at every n when nothing
    /// changes.
    fn comparable(&mut self, s: &Scored) -> Option<f64> {
        let score = s.score?;
        self.run += 1;
        let since_restart = self.run + self.min_instances - 1;
        if s.is_anomaly == Some(true) {
            self.run = 0;
        }
        Some(score / (since_restart as f64).sqrt())
    }

    fn update(&mut self, x: f64) -> Scored {
        let scale = match (self.standardize, self.scale) {
            (false, _) => 1.0,
            (true, Some(s)) => s,
            (true, None) => {
                self.first.push(x);
                if self.first.len() < self.min_instances as usize {
                    return Scored::WARMUP;
                }
                let (mean, sd) = crate::series::mean_sd(&self.first);
                let scale = Resolution::of(&self.first).floor(sd, mean);
                self.scale = Some(scale);
                let first = std::mem::take(&mut self.first);
                let mut last = None;
                for v in first {
                    last = self.step(v / scale);
                }
                return as_scored(last, scale);
            }
        };
        let step = self.step(x / scale);
        as_scored(step, scale)
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }
}

/// A step's (statistic, signal, mean) as a score, the mean back in the values' units.
fn as_scored(step: Option<(f64, bool, f64)>, scale: f64) -> Scored {
    match step {
        Some((statistic, flagged, mean)) => Scored::unbounded(statistic, flagged, Some(mean * scale)),
        None => Scored::WARMUP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector(json: serde_json::Value) -> Box<dyn Detector> {
        (INFO.build)(&INFO.parse_params(Some(&json)).unwrap())
    }

    /// By hand, River's recursion with δ = 0, α = 1, raw values 0, 0, 10, min_instances 2:
    /// x̄ = 0, 0, 10/3; m⁺ = 0, 0, 20/3; min m⁺ = 0 → statistic 20/3.
    #[test]
    fn known_answer_statistic() {
        let mut d = detector(
            serde_json::json!({"min_instances": 2, "delta": 0.0, "alpha": 1.0, "standardize": false, "threshold": 100.0}),
        );
        assert_eq!(d.update(0.0), Scored::WARMUP);
        assert_eq!(d.update(0.0).score, Some(0.0));
        let s = d.update(10.0);
        assert!((s.score.unwrap() - 20.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.is_anomaly, Some(false));
    }

    #[test]
    fn a_level_shift_is_signalled_soon_after_it_happens() {
        let noise = |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
        let xs: Vec<f64> = (0..2000).map(|i| 100.0 + noise(i) + if i >= 1000 { 3.0 } else { 0.0 }).collect();
        let mut d = detector(serde_json::json!({}));
        let flags: Vec<usize> =
            xs.iter().enumerate().filter_map(|(i, &x)| (d.update(x).is_anomaly == Some(true)).then_some(i)).collect();
        assert!(!flags.is_empty() && (1000..1100).contains(&flags[0]), "{flags:?}");
    }
}
