//! Matrix-profile discords (Yeh et al. 2016): a window's score is the z-normalised distance to
//! its most similar other window, so a shape that occurs nowhere else scores high.
//!
//! - Batch (STOMP, O(n²) time, O(n) memory): every other window of the series is a candidate;
//!   the expected value is the nearest window, rescaled to this window's mean and spread, at
//!   the same place.
//! - Online (the left matrix profile, STAMPI with a bounded history): the value completing a
//!   window is scored by that window's distance to its nearest match among the previous
//!   `history` windows, O(history) per value; the expected value is the match's last value,
//!   rescaled. With `window` 0 the first 500 values find the period, then are replayed. The
//!   first 3 windows are a warm-up (too little past to match); flags compare with the last
//!   1,000 scores.

use crate::comparable::{Against, RecentMedian};
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::parts::recent_flag::RecentFlag;
use crate::parts::window_model::{restore_around_frame, OnlineStart, Rows, StartsOnline, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::left_profile::LeftProfile;
use crate::matrix_profile::stomp;
use crate::params::{ParamSpec, Params};
use crate::subsequence::{Spread, Subsequences};

const PARAMS: &[ParamSpec] = &[
    WINDOW,
    ParamSpec::int(
        "history",
        5000.0,
        10.0,
        10_000_000.0,
        "online: how many earlier windows each new window is matched against",
    ),
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "matrix_profile",
    family: "subsequence",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "matrix-profile discords: distance of each window to its nearest match elsewhere (STOMP), or earlier (left profile, online); it finds odd shapes, and one odd value in a window of a period barely moves its distance (for single values: mad, ewma, stl)",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::quadratic(2.7), online: Some(Pass::linear(26.4)) },
    memory: Memory::Model(|p, e| p.int("history") as u64 * 24 + e.window * 8),
    build: |p| Box::new(MatrixProfile::new(p)),
};

#[derive(Serialize, Deserialize)]
struct MatrixProfile {
    #[serde(skip, default = "Windowed::unset")]
    batch: Windowed,
    start: OnlineStart,
    history: usize,
    online: Option<LeftProfile>,
    length: usize,
    seen: usize,
    threshold: f64,
    flags: RecentFlag,
    /// The recent left-profile distances, for the probability (see `comparable`).
    recent_scores: RecentMedian,
}

impl MatrixProfile {
    fn new(p: &Params) -> MatrixProfile {
        MatrixProfile {
            batch: Windowed::new(p, Spread::CoveringMin, Rows::None, batch_scores),
            start: OnlineStart::new(p.int("window")),
            history: p.int("history"),
            online: None,
            length: 0,
            seen: 0,
            threshold: p.float("threshold"),
            flags: RecentFlag::new(p.float("threshold")),
            recent_scores: RecentMedian::new(500, Against::Difference),
        }
    }
}

fn batch_scores(s: &Subsequences) -> WindowScores {
    let m = s.window.max(2);
    let profile = stomp(s.xs, m);
    let c = (m - 1) / 2;
    let stats = |i: usize| {
        let w = &s.xs[i..i + m];
        let mu = w.iter().sum::<f64>() / m as f64;
        (mu, (w.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / m as f64).sqrt())
    };
    let expected = (0..profile.distance.len())
        .map(|i| {
            let j = profile.nearest[i];
            if j == usize::MAX {
                return s.xs[i + c];
            }
            let ((mu_i, sd_i), (mu_j, sd_j)) = (stats(i), stats(j));
            if sd_j > 0.0 { mu_i + sd_i * (s.xs[j + c] - mu_j) / sd_j } else { mu_i }
        })
        .collect();
    let scores = profile.distance.iter().map(|d| if d.is_finite() { *d } else { 0.0 }).collect();
    WindowScores { scores, expected: Some(expected) }
}

impl StartsOnline for MatrixProfile {
    fn online_start(&mut self) -> &mut OnlineStart {
        &mut self.start
    }

    fn begin(&mut self, length: usize) {
        self.length = length.max(2);
        self.online = Some(LeftProfile::new(self.length, self.history));
        self.flags = RecentFlag::holding(self.threshold, self.length - 1);
    }

    fn step(&mut self, x: f64) -> Scored {
        let Some(profile) = self.online.as_mut() else { return Scored::WARMUP };
        let found = profile.push(x);
        self.seen += 1;
        match found {
            Some(m) if self.seen > 3 * self.length => {
                Scored::unbounded(m.distance, self.flags.judge(m.distance), Some(m.expected))
            }
            _ => Scored::WARMUP,
        }
    }
}

impl Detector for MatrixProfile {
    fn update(&mut self, x: f64) -> Scored {
        self.update_started(x)
    }

    /// The nearest-neighbour distance shrinks as the history grows, so the probability ranks
    /// each one against the median of the last 500.
    fn comparable(&mut self, s: &Scored) -> Option<f64> {
        self.recent_scores.comparable(s.score?)
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        self.batch.score_batch(xs)
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        restore_around_frame(self, state, |d| &mut d.batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_flags_a_new_shape_when_it_arrives_and_expects_the_usual_one() {
        let noise = super::super::tests::white_noise(3000, 0.05);
        let mut xs: Vec<f64> = (0..3000).map(|i| (i as f64 * std::f64::consts::TAU / 50.0).sin() + noise[i]).collect();
        for (k, x) in xs[2000..2050].iter_mut().enumerate() {
            *x = (k as f64 * std::f64::consts::TAU / 12.5).sin() + noise[2000 + k];
        }
        let mut d = MatrixProfile::new(&Params::defaults(PARAMS));
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        assert!(out[..500].iter().all(|s| s.score.is_none()), "the period is found on the first 500");
        assert_eq!(d.length, 50);
        let flagged: Vec<usize> = (0..3000).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert!(flagged.iter().any(|&i| (2000..2100).contains(&i)), "{flagged:?}");
        assert!(flagged.iter().all(|&i| (2000..2100).contains(&i)), "{flagged:?}");
        // A clean value far from the change is expected to within the noise.
        assert!((out[2500].expected.unwrap() - xs[2500]).abs() < 0.3);
    }
}
