//! Isolation Forest (Liu, Ting & Zhou, ICDM 2008), as scikit-learn's `IsolationForest`:
//! `trees` trees, each grown on `sample_size` rows drawn without replacement, splitting on a
//! random non-constant column at a uniform value between its extremes, to depth
//! ⌈log₂ sample_size⌉. A row's score is 2^(−E[h(x)] / c(sample_size)) in (0, 1], where h is the
//! depth of its leaf plus c(rows left in that leaf): near 1 for rows isolated early.

use super::{Matrix, average_path_length};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One node. Children are `left` (values below `split`) and `left + 1`. A leaf points at
/// itself with a NaN split (no value, not even +∞, is `>=` NaN), so a walk can take a fixed
/// number of steps without testing for leaves, which lets several rows walk one tree at once.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Node {
    split: f64,
    column: u32,
    left: u32,
    /// At a leaf: the depth reached plus c(rows in the leaf).
    path: f64,
}

/// Rows walked through a tree together: independent walks overlap in the CPU.
const LANES: usize = 8;
/// Rows scored by all trees before the next block: large enough that each tree is fetched
/// rarely, small enough to split the work evenly between the threads.
const ROWS_PER_BLOCK: usize = 16_384;
/// Below this many rows one thread scores them all (starting a helper costs more).
const PARALLEL_ROWS: usize = 2 * ROWS_PER_BLOCK;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IsolationForest {
    trees: Vec<Vec<Node>>,
    max_depth: usize,
    normaliser: f64,
}

impl IsolationForest {
    pub fn fit(data: &Matrix, trees: usize, sample_size: usize, seed: u64) -> IsolationForest {
        let psi = sample_size.min(data.rows).max(1);
        let max_depth = (psi as f64).log2().ceil() as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut forest = Vec::with_capacity(trees);
        for _ in 0..trees {
            crate::interrupt::check();
            let mut rows: Vec<u32> = sample(&mut rng, data.rows, psi).into_iter().map(|i| i as u32).collect();
            let mut nodes = vec![leaf_at(0, 0.0)];
            grow(data, &mut rows, 0, 0, max_depth, &mut nodes, &mut rng);
            forest.push(nodes);
        }
        IsolationForest { trees: forest, max_depth, normaliser: average_path_length(psi) }
    }

    /// The anomaly score of every row of `data`: tree by tree so each tree stays in cache,
    /// `LANES` rows at a time; large inputs split into blocks of rows shared by two threads
    /// (each row's depths are summed in tree order all the same, so the scores do not change).
    pub fn score_all(&self, data: &Matrix) -> Vec<f64> {
        let blocks = data.rows.div_ceil(ROWS_PER_BLOCK);
        let threads = if data.rows >= PARALLEL_ROWS { crate::parallel::THREADS } else { 1 };
        let per_thread = crate::parallel::on_threads(threads, |t, turn| {
            let mut out = Vec::new();
            for b in (t..blocks).step_by(threads) {
                let rows = b * ROWS_PER_BLOCK..((b + 1) * ROWS_PER_BLOCK).min(data.rows);
                match self.mean_depths(data, rows, turn) {
                    Some(depths) => out.push(depths),
                    None => break,
                }
            }
            out
        });
        let mut iters: Vec<_> = per_thread.into_iter().map(Vec::into_iter).collect();
        let mut scores = Vec::with_capacity(data.rows);
        for b in 0..blocks {
            if let Some(depths) = iters[b % threads].next() {
                scores.extend(depths.into_iter().map(|d| self.score_of_mean_depth(d)));
            }
        }
        scores
    }

    /// The mean depth of each row in `rows`; None once a helper thread is told to stop.
    fn mean_depths(
        &self,
        data: &Matrix,
        rows: std::ops::Range<usize>,
        turn: &crate::parallel::Turn,
    ) -> Option<Vec<f64>> {
        let mut depth = vec![0.0; rows.len()];
        for tree in &self.trees {
            if !turn.go_on() {
                return None;
            }
            let mut start = 0;
            while start + LANES <= depth.len() {
                let mut at = [0usize; LANES];
                for _ in 0..self.max_depth {
                    for (lane, a) in at.iter_mut().enumerate() {
                        let node = tree[*a];
                        let value = data.data[(rows.start + start + lane) * data.cols + node.column as usize];
                        *a = node.left as usize + usize::from(value >= node.split);
                    }
                }
                for (lane, a) in at.iter().enumerate() {
                    depth[start + lane] += tree[*a].path;
                }
                start += LANES;
            }
            for (i, d) in depth.iter_mut().enumerate().skip(start) {
                *d += path_length(tree, data.row(rows.start + i), self.max_depth);
            }
        }
        let t = self.trees.len().max(1) as f64;
        Some(depth.into_iter().map(|d| d / t).collect())
    }

    pub fn score(&self, row: &[f64]) -> f64 {
        let total: f64 = self.trees.iter().map(|t| path_length(t, row, self.max_depth)).sum();
        self.score_of_mean_depth(total / self.trees.len().max(1) as f64)
    }

    /// Mean depth at which the trees isolate the row.
    pub fn mean_depth(&self, row: &[f64]) -> f64 {
        let total: f64 = self.trees.iter().map(|t| path_length(t, row, self.max_depth)).sum();
        total / self.trees.len().max(1) as f64
    }

    fn score_of_mean_depth(&self, mean: f64) -> f64 {
        if self.normaliser > 0.0 { 2f64.powf(-mean / self.normaliser) } else { 0.5 }
    }
}

#[inline]
fn path_length(tree: &[Node], row: &[f64], max_depth: usize) -> f64 {
    let mut at = 0usize;
    for _ in 0..max_depth {
        let node = tree[at];
        at = node.left as usize + usize::from(row[node.column as usize] >= node.split);
    }
    tree[at].path
}

/// A leaf at index `at`: it points at itself, and every comparison with its split is false.
fn leaf_at(at: usize, path: f64) -> Node {
    Node { split: f64::NAN, column: 0, left: at as u32, path }
}

fn grow(
    data: &Matrix,
    rows: &mut [u32],
    at: usize,
    depth: usize,
    max_depth: usize,
    nodes: &mut Vec<Node>,
    rng: &mut ChaCha8Rng,
) {
    let leaf = |nodes: &mut Vec<Node>| nodes[at] = leaf_at(at, depth as f64 + average_path_length(rows.len()));
    if depth >= max_depth || rows.len() <= 1 {
        return leaf(nodes);
    }
    // A random column that is not constant on these rows: random draws first, then a scan
    // from a random start (scikit-learn also skips constant features).
    let extremes = |c: usize| {
        rows.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            let v = data.data[r as usize * data.cols + c];
            (lo.min(v), hi.max(v))
        })
    };
    let start = rng.random_range(0..data.cols);
    let mut chosen = None;
    for k in 0..data.cols {
        let c = (start + k) % data.cols;
        let (lo, hi) = extremes(c);
        if hi > lo {
            chosen = Some((c, lo, hi));
            break;
        }
    }
    let Some((column, lo, hi)) = chosen else { return leaf(nodes) };
    let mut split = lo + rng.random::<f64>() * (hi - lo);
    if split <= lo {
        split = hi; // keep both sides non-empty: values >= split go right
    }
    let mut left_len = 0;
    for k in 0..rows.len() {
        if data.data[rows[k] as usize * data.cols + column] < split {
            rows.swap(k, left_len);
            left_len += 1;
        }
    }
    let left = nodes.len();
    nodes.push(leaf_at(left, 0.0));
    nodes.push(leaf_at(left + 1, 0.0));
    nodes[at] = Node { split, column: column as u32, left: left as u32, path: 0.0 };
    let (l, r) = rows.split_at_mut(left_len);
    grow(data, l, left, depth + 1, max_depth, nodes, rng);
    grow(data, r, left + 1, depth + 1, max_depth, nodes, rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_split_between_threads_equal_each_row_scored_alone() {
        // Enough rows for two threads and a partial last block.
        let rows = PARALLEL_ROWS + ROWS_PER_BLOCK / 3;
        let data: Vec<f64> = (0..rows * 3).map(|i| ((i as f64) * 0.618).fract() + (i % 7) as f64).collect();
        let m = Matrix::new(rows, 3, data);
        let forest = IsolationForest::fit(&m, 20, 256, 7);
        let all = forest.score_all(&m);
        assert_eq!(all.len(), rows);
        for i in (0..rows).step_by(97).chain([rows - 1]) {
            assert_eq!(all[i].to_bits(), forest.score(m.row(i)).to_bits(), "row {i}");
        }
    }

    fn cloud_with_outlier() -> Matrix {
        // 500 points on a 2-D grid-like cloud around the origin, and one far away.
        let mut data = Vec::new();
        for i in 0..500 {
            data.push(((i * 37) % 100) as f64 / 100.0 - 0.5);
            data.push(((i * 61) % 100) as f64 / 100.0 - 0.5);
        }
        data.extend_from_slice(&[6.0, -6.0]);
        Matrix::new(501, 2, data)
    }

    #[test]
    fn the_outlier_scores_highest_and_above_the_normal_points() {
        let m = cloud_with_outlier();
        let forest = IsolationForest::fit(&m, 100, 256, 7);
        let scores = forest.score_all(&m);
        let top = (0..501).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        assert_eq!(top, 500);
        assert!(scores[500] > 0.7, "{}", scores[500]);
        let mut sorted = scores.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(sorted[250] < 0.6 && sorted[250] < scores[500] - 0.15, "median score {}", sorted[250]);
        assert!((forest.score(m.row(500)) - scores[500]).abs() < 1e-12);
    }

    #[test]
    fn the_same_seed_gives_the_same_forest_and_another_seed_another() {
        let m = cloud_with_outlier();
        let a = IsolationForest::fit(&m, 20, 64, 1).score_all(&m);
        let b = IsolationForest::fit(&m, 20, 64, 1).score_all(&m);
        let c = IsolationForest::fit(&m, 20, 64, 2).score_all(&m);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn constant_data_gives_equal_scores() {
        let m = Matrix::new(100, 3, vec![1.0; 300]);
        let scores = IsolationForest::fit(&m, 10, 50, 3).score_all(&m);
        assert!(scores.iter().all(|&s| (s - scores[0]).abs() < 1e-12));
    }
}
