//! Robust Random Cut Forest (Guha, Mishra, Roy & Schrijvers, ICML 2016), streaming as kLabUM's
//! `rrcf`: each tree holds the last `tree_size` shingles. A new shingle is inserted by the
//! paper's rule (at each node, cut the node's box widened to the point: a dimension picked in
//! proportion to its span, a value uniform within it; if the cut separates the point from the
//! box, the point becomes a leaf next to the node, else descend), and the oldest shingle is
//! forgotten (its leaf removed, its sibling moved up). A shingle's score is its collusive
//! displacement (CoDisp) averaged over the trees: the most, over its ancestors, of the sibling's
//! size divided by the size of the subtree holding it — how many points its removal would move.
//!
//! Equal shingles share a leaf with a count, as in `rrcf`. Online: O(trees × depth × shingle)
//! per point, depth about 2 log₂(tree_size). The first `tree_size` points fill the trees (the
//! warm-up). Points are flagged when ln(1 + CoDisp) is `threshold` robust sd above its median
//! over the last 1,000 points, at most once per shingle (one unusual value is in `shingle`
//! shingles).

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::parts::recent_flag::RecentFlag;
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec, Params};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("trees", 40.0, 1.0, 1000.0, "number of trees"),
    ParamSpec::int("tree_size", 256.0, 4.0, 100_000.0, "shingles each tree remembers (the last ones)"),
    ParamSpec::int("shingle", 4.0, 1.0, 64.0, "consecutive values that make one point"),
    ParamSpec::int("seed", 0.0, 0.0, 2_147_483_647.0, "random seed: the same seed, the same cuts"),
    ParamSpec::float(
        "threshold",
        6.0,
        Bound::excl(0.0),
        Bound::incl(1e6),
        "flag when ln(1 + CoDisp) is this many robust sd above its median over the last 1,000 points",
    ),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "rrcf",
    family: "machine learning",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Robust Random Cut Forest (kLabUM rrcf's streaming use): collusive displacement of each shingle; ordinary displacements spread wide (on the README demo's series: median 9, 1% above 36), so its single spikes (50 to 230) stay within the flag's 3 robust sd of the log (flag by probability instead)",
    finds: Finds::Spikes,
    min_points: |p: &Params| p.int("tree_size") + p.int("shingle"),
    cost: Cost { batch: Pass::linear(31.1), online: Some(Pass::linear(30.7)) },
    memory: Memory::Model(|p, _| {
        // Each tree holds up to 2 · tree_size nodes, a leaf keeping its shingle.
        p.int("trees") as u64 * 2 * (p.int("tree_size") as u64 + 1) * (32 + 16 * p.int("shingle") as u64)
    }),
    build: |p| Box::new(Rrcf::new(p)),
};

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Serialize, Deserialize)]
struct Node {
    parent: u32,
    /// Children of a branch; `NONE` for a leaf.
    left: u32,
    right: u32,
    dim: u32,
    cut: f64,
    /// Points below this node, duplicates counted.
    count: u32,
}

/// One tree in an arena: node i's box is `lo[i*d..(i+1)*d]`, `hi[i*d..(i+1)*d]`; a leaf's box
/// is its point.
#[derive(Serialize, Deserialize)]
struct Tree {
    dims: usize,
    nodes: Vec<Node>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    free: Vec<u32>,
    root: u32,
    /// The leaf of each remembered point, oldest first.
    leaves: VecDeque<u32>,
    /// Scratch for the widened box while inserting.
    wide_lo: Vec<f64>,
    wide_hi: Vec<f64>,
}

impl Tree {
    fn new(dims: usize, capacity: usize) -> Tree {
        Tree {
            dims,
            nodes: Vec::with_capacity(2 * capacity),
            lo: Vec::with_capacity(2 * capacity * dims),
            hi: Vec::with_capacity(2 * capacity * dims),
            free: Vec::new(),
            root: NONE,
            leaves: VecDeque::with_capacity(capacity + 1),
            wide_lo: vec![0.0; dims],
            wide_hi: vec![0.0; dims],
        }
    }

    fn lo(&self, n: u32) -> &[f64] {
        &self.lo[n as usize * self.dims..(n as usize + 1) * self.dims]
    }

    fn hi(&self, n: u32) -> &[f64] {
        &self.hi[n as usize * self.dims..(n as usize + 1) * self.dims]
    }

    fn is_leaf(&self, n: u32) -> bool {
        self.nodes[n as usize].left == NONE
    }

    fn alloc(&mut self, node: Node, lo: &[f64], hi: &[f64]) -> u32 {
        let d = self.dims;
        if let Some(n) = self.free.pop() {
            self.nodes[n as usize] = node;
            self.lo[n as usize * d..(n as usize + 1) * d].copy_from_slice(lo);
            self.hi[n as usize * d..(n as usize + 1) * d].copy_from_slice(hi);
            n
        } else {
            self.nodes.push(node);
            self.lo.extend_from_slice(lo);
            self.hi.extend_from_slice(hi);
            (self.nodes.len() - 1) as u32
        }
    }

    /// Put `new` where `old` hangs (under `old`'s parent, or as the root).
    fn replace_child(&mut self, old: u32, new: u32) {
        let parent = self.nodes[old as usize].parent;
        self.nodes[new as usize].parent = parent;
        if parent == NONE {
            self.root = new;
        } else if self.nodes[parent as usize].left == old {
            self.nodes[parent as usize].left = new;
        } else {
            self.nodes[parent as usize].right = new;
        }
    }

    /// The leaf a point would reach by following the cuts.
    fn descend(&self, point: &[f64]) -> u32 {
        let mut n = self.root;
        while !self.is_leaf(n) {
            let node = &self.nodes[n as usize];
            n = if point[node.dim as usize] <= node.cut { node.left } else { node.right };
        }
        n
    }

    /// Add one to the counts from `n` up to the root.
    fn count_up(&mut self, mut n: u32, delta: i32) {
        while n != NONE {
            let node = &mut self.nodes[n as usize];
            node.count = node.count.wrapping_add_signed(delta);
            n = node.parent;
        }
    }

    /// Insert a point; returns its leaf.
    fn insert(&mut self, point: &[f64], rng: &mut ChaCha8Rng) -> u32 {
        let leaf_node = Node { parent: NONE, left: NONE, right: NONE, dim: 0, cut: 0.0, count: 1 };
        if self.root == NONE {
            self.root = self.alloc(leaf_node, point, point);
            self.leaves.push_back(self.root);
            return self.root;
        }
        let nearest = self.descend(point);
        if self.lo(nearest) == point {
            self.count_up(nearest, 1);
            self.leaves.push_back(nearest);
            return nearest;
        }
        let d = self.dims;
        let (mut lo, mut hi) = (std::mem::take(&mut self.wide_lo), std::mem::take(&mut self.wide_hi));
        let mut n = self.root;
        let (dim, cut) = loop {
            for k in 0..d {
                lo[k] = self.lo(n)[k].min(point[k]);
                hi[k] = self.hi(n)[k].max(point[k]);
            }
            let (dim, cut) = random_cut(&lo, &hi, rng);
            let separates = cut <= self.lo(n)[dim] || cut >= self.hi(n)[dim];
            if separates || self.is_leaf(n) {
                break (dim, cut);
            }
            let node = &self.nodes[n as usize];
            n = if point[node.dim as usize] <= node.cut { node.left } else { node.right };
        };
        let leaf = self.alloc(leaf_node, point, point);
        let count = self.nodes[n as usize].count + 1;
        let branch = self.alloc(Node { parent: NONE, left: NONE, right: NONE, dim: dim as u32, cut, count }, &lo, &hi);
        self.replace_child(n, branch);
        let (left, right) = if point[dim] <= cut { (leaf, n) } else { (n, leaf) };
        self.nodes[branch as usize].left = left;
        self.nodes[branch as usize].right = right;
        self.nodes[left as usize].parent = branch;
        self.nodes[right as usize].parent = branch;
        let mut up = self.nodes[branch as usize].parent;
        while up != NONE {
            let i = up as usize * d;
            for (k, &v) in point.iter().enumerate() {
                self.lo[i + k] = self.lo[i + k].min(v);
                self.hi[i + k] = self.hi[i + k].max(v);
            }
            self.nodes[up as usize].count += 1;
            up = self.nodes[up as usize].parent;
        }
        self.leaves.push_back(leaf);
        (self.wide_lo, self.wide_hi) = (lo, hi);
        leaf
    }

    /// Forget the oldest point: its leaf goes, its sibling takes the parent's place, and the
    /// boxes above shrink to their children.
    fn forget_oldest(&mut self) {
        let Some(leaf) = self.leaves.pop_front() else { return };
        if self.nodes[leaf as usize].count > 1 {
            self.count_up(leaf, -1);
            return;
        }
        let parent = self.nodes[leaf as usize].parent;
        self.free.push(leaf);
        if parent == NONE {
            self.root = NONE;
            return;
        }
        let p = self.nodes[parent as usize];
        let sibling = if p.left == leaf { p.right } else { p.left };
        self.replace_child(parent, sibling);
        self.free.push(parent);
        let d = self.dims;
        let mut up = self.nodes[sibling as usize].parent;
        while up != NONE {
            let node = self.nodes[up as usize];
            let (i, l, r) = (up as usize * d, node.left as usize * d, node.right as usize * d);
            for k in 0..d {
                self.lo[i + k] = self.lo[l + k].min(self.lo[r + k]);
                self.hi[i + k] = self.hi[l + k].max(self.hi[r + k]);
            }
            self.nodes[up as usize].count -= 1;
            up = node.parent;
        }
    }

    /// Collusive displacement of a leaf.
    fn codisp(&self, leaf: u32) -> f64 {
        let mut n = leaf;
        let mut best = 0.0f64;
        loop {
            let node = &self.nodes[n as usize];
            if node.parent == NONE {
                return best;
            }
            let parent = &self.nodes[node.parent as usize];
            let sibling = if parent.left == n { parent.right } else { parent.left };
            best = best.max(f64::from(self.nodes[sibling as usize].count) / f64::from(node.count));
            n = node.parent;
        }
    }
}

/// A cut of the box [lo, hi]: a dimension in proportion to its span, a value uniform within it.
fn random_cut(lo: &[f64], hi: &[f64], rng: &mut ChaCha8Rng) -> (usize, f64) {
    let total: f64 = lo.iter().zip(hi).map(|(a, b)| b - a).sum();
    let mut r = rng.random::<f64>() * total;
    let last = lo.len() - 1;
    for k in 0..lo.len() {
        let span = hi[k] - lo[k];
        if r <= span && span > 0.0 || k == last {
            return (k, lo[k] + r.min(span));
        }
        r -= span;
    }
    (last, hi[last])
}

#[derive(Serialize, Deserialize)]
struct Rrcf {
    trees: Vec<Tree>,
    tree_size: usize,
    shingle: usize,
    recent: VecDeque<f64>,
    point: Vec<f64>,
    seen: usize,
    rng: ChaCha8Rng,
    flags: RecentFlag,
}

impl Rrcf {
    fn new(p: &Params) -> Rrcf {
        let (shingle, tree_size) = (p.int("shingle"), p.int("tree_size"));
        Rrcf {
            trees: (0..p.int("trees")).map(|_| Tree::new(shingle, tree_size + 1)).collect(),
            tree_size,
            shingle,
            recent: VecDeque::with_capacity(shingle + 1),
            point: vec![0.0; shingle],
            seen: 0,
            rng: ChaCha8Rng::seed_from_u64(p.int("seed") as u64),
            flags: RecentFlag::holding(p.float("threshold"), shingle - 1),
        }
    }
}

impl Detector for Rrcf {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.recent.push_back(x);
        if self.recent.len() > self.shingle {
            self.recent.pop_front();
        }
        if self.recent.len() < self.shingle {
            return Scored::WARMUP;
        }
        for (dst, v) in self.point.iter_mut().zip(&self.recent) {
            *dst = *v;
        }
        let mut total = 0.0;
        for tree in &mut self.trees {
            if tree.leaves.len() > self.tree_size {
                tree.forget_oldest();
            }
            let leaf = tree.insert(&self.point, &mut self.rng);
            total += tree.codisp(leaf);
        }
        self.seen += 1;
        if self.seen <= self.tree_size {
            return Scored::WARMUP;
        }
        let score = total / self.trees.len() as f64;
        let flagged = self.flags.judge((1.0 + score).ln());
        Scored::unbounded(score, flagged, None)
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

    fn params(tree_size: f64) -> Params {
        let json = serde_json::json!({ "trees": 1, "tree_size": tree_size, "shingle": 1 });
        Params::parse("rrcf", PARAMS, Some(&json)).unwrap()
    }

    /// Every branch's box is the union of its children's, its count their sum, and the
    /// parent links agree with the child links.
    fn check_invariants(t: &Tree) {
        if t.root == NONE {
            return;
        }
        let mut stack = vec![t.root];
        while let Some(n) = stack.pop() {
            let node = t.nodes[n as usize];
            if t.is_leaf(n) {
                assert_eq!(t.lo(n), t.hi(n));
                continue;
            }
            let (l, r) = (node.left, node.right);
            assert_eq!(t.nodes[l as usize].parent, n);
            assert_eq!(t.nodes[r as usize].parent, n);
            assert_eq!(node.count, t.nodes[l as usize].count + t.nodes[r as usize].count);
            for k in 0..t.dims {
                assert_eq!(t.lo(n)[k], t.lo(l)[k].min(t.lo(r)[k]));
                assert_eq!(t.hi(n)[k], t.hi(l)[k].max(t.hi(r)[k]));
                assert!(t.hi(l)[k] <= t.lo(r)[k] || k != node.dim as usize, "the cut separates the children");
            }
            stack.extend([l, r]);
        }
    }

    #[test]
    fn insert_and_forget_keep_the_tree_consistent_with_duplicates() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut tree = Tree::new(2, 50);
        for i in 0..500 {
            let point = [((i * 37) % 11) as f64, ((i * 13) % 7) as f64];
            if tree.leaves.len() >= 50 {
                tree.forget_oldest();
            }
            let leaf = tree.insert(&point, &mut rng);
            assert_eq!(tree.lo(leaf), &point);
            assert_eq!(tree.nodes[tree.root as usize].count as usize, tree.leaves.len());
            check_invariants(&tree);
        }
        while !tree.leaves.is_empty() {
            tree.forget_oldest();
            check_invariants(&tree);
        }
        assert_eq!(tree.root, NONE);
    }

    #[test]
    fn codisp_of_an_isolated_point_is_the_size_of_the_rest() {
        // Nine points together and one far away: the first cut almost surely isolates it, and
        // removing it displaces the nine.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut tree = Tree::new(1, 10);
        for i in 0..9 {
            tree.insert(&[i as f64 * 0.001], &mut rng);
        }
        let far = tree.insert(&[1000.0], &mut rng);
        assert_eq!(tree.codisp(far), 9.0);
    }

    #[test]
    fn a_spike_outscores_everything_else_and_is_flagged() {
        let noise = super::super::tests::white_noise(2000, 0.05);
        let mut xs: Vec<f64> = (0..2000).map(|i| (i as f64 / 10.0).sin() + noise[i]).collect();
        xs[1500] = 4.0;
        let out = (INFO.build)(&Params::defaults(PARAMS)).score_batch(&xs);
        assert!(out[..259].iter().all(|s| s.score.is_none()));
        let best = (0..2000).max_by(|&a, &b| out[a].score.unwrap_or(0.0).total_cmp(&out[b].score.unwrap_or(0.0)));
        assert!(matches!(best, Some(1500..=1503)), "{best:?}");
        assert_eq!(out[1500].is_anomaly, Some(true));
    }

    #[test]
    fn a_tree_keeps_at_most_tree_size_plus_one_points() {
        let mut d = Rrcf::new(&params(20.0));
        for i in 0..200 {
            d.update(i as f64);
            assert!(d.trees[0].leaves.len() <= 21);
        }
        assert!(d.trees[0].nodes.len() <= 2 * 21, "freed nodes are reused");
    }
}
