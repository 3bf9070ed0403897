//! Half-Space Trees (Tan, Ting & Liu, IJCAI 2011), as River's `HalfSpaceTrees`: random trees
//! that halve [0, 1]^d (a feature picked in proportion to its range, cut uniformly within the
//! middle 70%) count how many of the last `window_size` points fell in each node (the
//! reference mass) while counting the current window; every `window_size` points the current
//! counts become the reference. A point that lands in thinly populated nodes scores near 1:
//! score = 1 − Σ_trees Σ_depth r_mass·2^depth / (trees · window_size · (2^(height+1) − 1)),
//! descending while the mass is at least 10% of the window.
//!
//! The features are the last `shingle` values, scaled to [0, 1] by the range of the first
//! window (widened by 10% each side, then clamped). The first window is the warm-up. Online:
//! O(trees × height) per point. The score is River's; River sets no flag, and its scores bunch
//! just below 1 (0.93 to 0.99 on a noisy sine), so points are flagged on the log of the mass
//! share, −ln(1 − score), when it is `threshold` robust sd above its median over the last
//! 1,000 points.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::parts::recent_flag::RecentFlag;
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec, Params};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Trees walked side by side for one point (the default 10 in one group).
const LANES: usize = 16;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("trees", 10.0, 1.0, 1000.0, "number of trees"),
    ParamSpec::int("height", 8.0, 1.0, 20.0, "depth of each tree"),
    ParamSpec::int("window_size", 250.0, 10.0, 1_000_000.0, "points per mass window"),
    ParamSpec::int("shingle", 1.0, 1.0, 64.0, "consecutive values that make one point"),
    ParamSpec::int("seed", 0.0, 0.0, 2_147_483_647.0, "random seed: the same seed, the same trees"),
    ParamSpec::float(
        "threshold",
        3.0,
        Bound::excl(0.0),
        Bound::incl(1e6),
        "flag when -ln(1 - score) is this many robust sd above its median over the last 1,000 points",
    ),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "half_space_trees",
    family: "machine learning",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Half-Space Trees (River's defaults): mass of random half-space nodes in the previous window; values are scaled by the first window's range (River's convention), so on a series whose first window does not span its range, later values beyond it are clamped alike and a spike among them does not stand out",
    finds: Finds::Spikes,
    min_points: |p: &Params| p.int("window_size") + p.int("shingle"),
    cost: Cost { batch: Pass::linear(0.99), online: Some(Pass::linear(1.1)) },
    memory: Memory::Model(|p, _| p.int("trees") as u64 * (2u64 << p.int("height").min(40)) * 24),
    build: |p| Box::new(HalfSpaceTrees::new(p)),
};

#[derive(Serialize, Deserialize)]
struct Tree {
    /// Complete binary tree in array order: node i has children 2i+1 and 2i+2.
    feature: Vec<u16>,
    cut: Vec<f64>,
    latest: Vec<u32>,
    reference: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
struct HalfSpaceTrees {
    trees: Vec<Tree>,
    height: usize,
    window_size: usize,
    shingle: usize,
    seen_in_window: usize,
    /// Raw values of the first window, until the scale is known.
    warmup: Vec<f64>,
    /// (lowest, width) of the scale to [0, 1].
    scale: Option<(f64, f64)>,
    recent_raw: VecDeque<f64>,
    point: Vec<f64>,
    max_score: f64,
    flags: RecentFlag,
}

impl HalfSpaceTrees {
    fn new(p: &Params) -> HalfSpaceTrees {
        let (count, height, shingle) = (p.int("trees"), p.int("height"), p.int("shingle"));
        let window_size = p.int("window_size");
        let mut rng = ChaCha8Rng::seed_from_u64(p.int("seed") as u64);
        let trees = (0..count).map(|_| Tree::random(height, shingle, &mut rng)).collect();
        HalfSpaceTrees {
            trees,
            height,
            window_size,
            shingle,
            seen_in_window: 0,
            warmup: Vec::with_capacity(window_size),
            scale: None,
            recent_raw: VecDeque::with_capacity(shingle + 1),
            point: vec![0.0; shingle],
            max_score: (count * window_size) as f64 * ((1u64 << (height + 1)) - 1) as f64,
            flags: RecentFlag::holding(p.float("threshold"), shingle - 1),
        }
    }

    /// Push a raw value; true when the last `shingle` values make a full point.
    fn shingle_point(&mut self, x: f64) -> bool {
        let Some((lo, width)) = self.scale else { return false };
        self.recent_raw.push_back(((x - lo) / width).clamp(0.0, 1.0));
        if self.recent_raw.len() > self.shingle {
            self.recent_raw.pop_front();
        }
        if self.recent_raw.len() < self.shingle {
            return false;
        }
        for (dst, v) in self.point.iter_mut().zip(&self.recent_raw) {
            *dst = *v;
        }
        true
    }

    /// Score the current point against the reference masses, and count it in the current
    /// window: one walk per tree serves both (the score's stops where the mass runs thin, the
    /// count goes on to the leaf). Only leaves are counted as points arrive; a node's count is
    /// the sum of its leaves', added up when the window ends.
    fn score_and_learn(&mut self) -> f64 {
        let limit = (self.window_size as f64 * 0.1) as u32;
        let first_leaf = (1usize << self.height) - 1;
        // Masses times powers of two are integers far below 2^53, so the total is exact in any
        // order: trees walk side by side, `LANES` at a time, their steps overlapping in the CPU.
        let mut total = 0.0;
        for group in self.trees.chunks_mut(LANES) {
            let mut at = [0usize; LANES];
            let mut scoring = [true; LANES];
            for depth in 0..=self.height {
                for ((t, node), on) in group.iter().zip(at.iter_mut()).zip(scoring.iter_mut()) {
                    if *on {
                        let mass = t.reference[*node];
                        total += f64::from(mass) * (1u64 << depth) as f64;
                        *on = mass >= limit;
                    }
                    if depth < self.height {
                        *node = t.child(*node, &self.point);
                    }
                }
            }
            for (t, &leaf) in group.iter_mut().zip(&at) {
                debug_assert!(leaf >= first_leaf);
                t.latest[leaf] += 1;
            }
        }
        self.seen_in_window += 1;
        if self.seen_in_window == self.window_size {
            for t in &mut self.trees {
                t.count_nodes_from_leaves(first_leaf);
                std::mem::swap(&mut t.reference, &mut t.latest);
                t.latest.iter_mut().for_each(|m| *m = 0);
            }
            self.seen_in_window = 0;
        }
        1.0 - total / self.max_score
    }

    /// Count the current point in the window (the first window's points: their score, against
    /// an empty reference, is not used).
    fn learn(&mut self) {
        self.score_and_learn();
    }

    fn flag(&mut self, score: f64) -> Scored {
        let flagged = self.flags.judge(-(1.0 - score).max(1e-12).ln());
        Scored::unbounded(score, flagged, None)
    }
}

impl Tree {
    fn random(height: usize, dims: usize, rng: &mut ChaCha8Rng) -> Tree {
        let internal = (1usize << height) - 1;
        let nodes = (1usize << (height + 1)) - 1;
        let mut feature = vec![0u16; internal];
        let mut cut = vec![0.0; internal];
        // Each node's box, built top-down: children inherit the parent's box, halved.
        let mut boxes: Vec<Vec<(f64, f64)>> = vec![vec![(0.0, 1.0); dims]];
        for node in 0..internal {
            let limits = boxes[node].clone();
            let total: f64 = limits.iter().map(|(a, b)| b - a).sum();
            let mut pick = rng.random::<f64>() * total;
            let mut f = dims - 1;
            for (k, (a, b)) in limits.iter().enumerate() {
                pick -= b - a;
                if pick <= 0.0 {
                    f = k;
                    break;
                }
            }
            let (a, b) = limits[f];
            let at = a + 0.15 * (b - a) + rng.random::<f64>() * 0.7 * (b - a);
            feature[node] = f as u16;
            cut[node] = at;
            let mut left = limits.clone();
            left[f] = (a, at);
            let mut right = limits;
            right[f] = (at, b);
            boxes.push(left);
            boxes.push(right);
        }
        Tree { feature, cut, latest: vec![0; nodes], reference: vec![0; nodes] }
    }

    /// Each internal node's count as the sum of its children's, bottom-up (counts saved by a
    /// version that counted every node on the way down come out the same).
    fn count_nodes_from_leaves(&mut self, first_leaf: usize) {
        for node in (0..first_leaf).rev() {
            self.latest[node] = self.latest[2 * node + 1] + self.latest[2 * node + 2];
        }
    }

    #[inline]
    fn child(&self, node: usize, point: &[f64]) -> usize {
        2 * node + 1 + usize::from(point[self.feature[node] as usize] >= self.cut[node])
    }
}

impl Detector for HalfSpaceTrees {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        if self.scale.is_none() {
            self.warmup.push(x);
            if self.warmup.len() < self.window_size {
                return Scored::WARMUP;
            }
            let (lo, hi) =
                self.warmup.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            let margin = if hi > lo { 0.1 * (hi - lo) } else { 0.5 };
            self.scale = Some((lo - margin, (hi - lo) + 2.0 * margin));
            for v in std::mem::take(&mut self.warmup) {
                if self.shingle_point(v) {
                    self.learn();
                }
            }
            return Scored::WARMUP;
        }
        if !self.shingle_point(x) {
            return Scored::WARMUP;
        }
        let score = self.score_and_learn();
        self.flag(score)
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
    fn a_value_far_from_the_usual_range_scores_near_one_and_is_flagged() {
        let mut xs: Vec<f64> = (0..3000).map(|i| (i as f64 / 10.0).sin() + ((i * 7919) % 100) as f64 / 500.0).collect();
        xs[2500] = 3.0;
        let out = (INFO.build)(&Params::defaults(PARAMS)).score_batch(&xs);
        assert!(out[..250].iter().all(|s| s.score.is_none()));
        let s = out[2500].score.unwrap();
        assert!(s > 0.95, "score {s}");
        assert_eq!(out[2500].is_anomaly, Some(true));
        let flagged = out.iter().filter(|s| s.is_anomaly == Some(true)).count();
        assert!(flagged <= 12, "{flagged}");
    }

    #[test]
    fn scores_are_deterministic_for_a_seed_and_in_zero_one() {
        let xs: Vec<f64> = (0..2000).map(|i| ((i * 37) % 101) as f64).collect();
        let a = (INFO.build)(&Params::defaults(PARAMS)).score_batch(&xs);
        let b = (INFO.build)(&Params::defaults(PARAMS)).score_batch(&xs);
        assert_eq!(a, b);
        assert!(a.iter().filter_map(|s| s.score).all(|s| (0.0..=1.0).contains(&s)));
    }
}
