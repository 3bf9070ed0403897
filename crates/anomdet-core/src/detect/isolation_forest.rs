//! Isolation Forest (Liu, Ting & Zhou 2008) on the sliding windows of a series (or, with
//! `window` 1, on its values): windows that a random partition isolates in few cuts are
//! unusual shapes. As scikit-learn's IsolationForest: 100 trees of 256 sampled windows.
//!
//! - Batch: the forest is grown on every window of the series it scores.
//! - Online (the periodic refit of the evaluation literature): the last `reference` windows
//!   are kept; the first forest is grown once `train` windows have arrived (the warm-up), and
//!   it is regrown on the kept windows every `refresh` values, so it follows a drifting
//!   series. Each new window is scored by the current forest as it completes, the score
//!   going to its last value, and flagged against the last 1,000 scores. Memory:
//!   `reference` windows plus the forest; time per value O(trees × depth), plus a refit
//!   (O(trees × sample_size × depth)) every `refresh` values.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::parts::recent_flag::RecentFlag;
use crate::parts::window_model::{restore_around_frame, OnlineStart, Rows, SEED, StartsOnline, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{ParamSpec, Params};
use crate::subsequence::Spread;
use crate::tabular::Matrix;
use crate::tabular::isolation_forest::IsolationForest;
use crate::tabular::params::{SAMPLE_SIZE, TREES};
use std::collections::VecDeque;

const PARAMS: &[ParamSpec] = &[
    WINDOW,
    TREES,
    SAMPLE_SIZE,
    SEED,
    ParamSpec::int("train", 500.0, 10.0, 10_000_000.0, "online: windows seen before the first forest is grown"),
    ParamSpec::int("refresh", 1000.0, 1.0, 10_000_000.0, "online: regrow the forest every this many values"),
    ParamSpec::int("reference", 5000.0, 10.0, 10_000_000.0, "online: the latest windows kept to grow the forest on"),
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "isolation_forest",
    family: "machine learning",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Isolation Forest on sliding windows: shapes isolated by few random cuts score high (scikit-learn's defaults, regrown every `refresh` values online); one odd value in a window of a period is diluted (for single values: mad, ewma, stl)",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(23.4), online: Some(Pass::linear(4.3)) },
    memory: Memory::Windows {
        periods: 1,
        // The reference windows online, and the trees (two 32-byte nodes per sampled window).
        model: |p, e| p.int("reference") as u64 * e.window * 8 + p.int("trees") as u64 * p.int("sample_size") as u64 * 2 * 32,
    },
    build: |p| Box::new(WindowForest::new(p)),
};

#[derive(Serialize, Deserialize)]
struct WindowForest {
    #[serde(skip, default = "Windowed::unset")]
    batch: Windowed,
    trees: usize,
    sample_size: usize,
    seed: u64,
    train: usize,
    refresh: usize,
    reference: usize,
    start: OnlineStart,
    /// Online state once the window length is known.
    length: usize,
    recent: VecDeque<f64>,
    kept: VecDeque<Vec<f64>>,
    forest: Option<IsolationForest>,
    since_fit: usize,
    threshold: f64,
    flags: RecentFlag,
}

impl WindowForest {
    fn new(p: &Params) -> WindowForest {
        let (trees, sample_size, seed) = (p.int("trees"), p.int("sample_size"), p.int("seed") as u64);
        WindowForest {
            batch: Windowed::new(p, Spread::CoveringMin, Rows::Standardized, move |s| {
                let forest = IsolationForest::fit(&s.rows, trees, sample_size, seed);
                WindowScores { scores: forest.score_all(&s.rows), expected: None }
            }),
            trees,
            sample_size,
            seed,
            train: p.int("train"),
            refresh: p.int("refresh"),
            reference: p.int("reference"),
            start: OnlineStart::new(p.int("window")),
            length: 0,
            recent: VecDeque::new(),
            kept: VecDeque::new(),
            forest: None,
            since_fit: 0,
            threshold: p.float("threshold"),
            flags: RecentFlag::new(p.float("threshold")),
        }
    }

    fn grow(&mut self) {
        let data: Vec<f64> = self.kept.iter().flatten().copied().collect();
        let rows = Matrix::new(self.kept.len(), self.length, data);
        self.forest = Some(IsolationForest::fit(&rows, self.trees, self.sample_size, self.seed));
        self.since_fit = 0;
    }
}

impl StartsOnline for WindowForest {
    fn online_start(&mut self) -> &mut OnlineStart {
        &mut self.start
    }

    fn begin(&mut self, length: usize) {
        self.length = length;
        self.flags = RecentFlag::holding(self.threshold, length - 1);
    }

    fn step(&mut self, x: f64) -> Scored {
        self.recent.push_back(x);
        if self.recent.len() > self.length {
            self.recent.pop_front();
        }
        if self.recent.len() < self.length {
            return Scored::WARMUP;
        }
        let window: Vec<f64> = self.recent.iter().copied().collect();
        let score = self.forest.as_ref().map(|f| f.score(&window));
        self.kept.push_back(window);
        if self.kept.len() > self.reference {
            self.kept.pop_front();
        }
        self.since_fit += 1;
        let due = match self.forest {
            None => self.kept.len() >= self.train.min(self.reference),
            Some(_) => self.since_fit >= self.refresh,
        };
        if due {
            self.grow();
        }
        match score {
            Some(s) => Scored::unbounded(s, self.flags.judge(s), None),
            None => Scored::WARMUP,
        }
    }
}

impl Detector for WindowForest {
    fn update(&mut self, x: f64) -> Scored {
        self.update_started(x)
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

    fn params(json: serde_json::Value) -> Params {
        Params::parse("isolation_forest", PARAMS, Some(&json)).unwrap()
    }

    #[test]
    fn online_scores_follow_a_refreshed_forest_after_the_warm_up() {
        let noise = super::super::tests::white_noise(4000, 0.05);
        let mut xs: Vec<f64> = (0..4000).map(|i| (i as f64 * std::f64::consts::TAU / 40.0).sin() + noise[i]).collect();
        xs[3000] += 4.0;
        // A value beyond the range of every window is isolated by cuts in the other columns
        // only, so it stands out less than a shape does: 4 robust sd here.
        let json = serde_json::json!({ "window": 8, "train": 500, "refresh": 700, "threshold": 3.5 });
        let mut d = WindowForest::new(&params(json));
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        // Windows of 8 complete from the 8th value; the forest is grown at the 500th window.
        let first = out.iter().position(|s| s.score.is_some()).unwrap();
        assert_eq!(first, 7 + 500);
        let flagged: Vec<usize> = (0..4000).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        let top = (first..4000).max_by(|&a, &b| out[a].score.unwrap().total_cmp(&out[b].score.unwrap()));
        assert!(matches!(top, Some(3000..3008)), "{top:?}");
        assert!(!flagged.is_empty() && flagged.iter().all(|&i| (3000..3008).contains(&i)), "{flagged:?}");
        assert!(d.kept.len() <= 5000);
    }

    #[test]
    fn online_with_the_period_found_from_the_first_values() {
        let xs: Vec<f64> = (0..1500).map(|i| (i as f64 * std::f64::consts::TAU / 25.0).sin()).collect();
        let mut d = WindowForest::new(&params(serde_json::json!({ "train": 100 })));
        for &x in &xs {
            d.update(x);
        }
        assert_eq!(d.length, 25);
        assert!(d.forest.is_some());
    }
}
