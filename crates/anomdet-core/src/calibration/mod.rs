//! A detector's score as a calibrated anomaly probability: the share of the detector's own
//! scores on this series that were lower. A robust z of 40 means something different on every
//! series and every detector; a probability of 0.999 means the same on all of them: on data
//! like the past, one row in a thousand reaches it. So one alert rule (`probability >= 0.999`)
//! serves a fleet of series, whatever detector watches each.
//!
//! Online, the reference is the detector's past scores only (causal), with a slow forgetting
//! (half-life [`HALF_LIFE`] scores) so a series that changes regime is judged against its recent
//! self; in batch mode it is every score of the series. The scores are kept in a histogram of
//! [`BINS`] bins on a log scale (5% wide in 1 + |score|), each remembering the least and
//! largest score it holds so the share is interpolated inside a bin and ties count half (a
//! constant score is 0.5, not 0 or 1). Above every score seen so far the probability goes on
//! rising: the tail beyond the largest is taken as exponential (on the log scale) with the
//! mean excess of the top 2%. No probability until [`MIN_SCORES`] scores are known.

use serde::{Deserialize, Serialize};

mod bins;

/// Bins of the histogram, 5% wide in 1 + |score|: scores from −1e8 to 1e19.
pub const BINS: usize = 1200;
const WIDTH: f64 = 0.05;
/// The bin of score 0 (negative scores below it, mirrored).
const ZERO: usize = 370;
/// Scores needed before a probability means anything.
pub const MIN_SCORES: u64 = 100;
/// Online: the weight of a score halves after this many more.
pub const HALF_LIFE: f64 = 10_000.0;
/// The share of the top the tail beyond the largest score is fitted on.
const TAIL_SHARE: f64 = 0.02;

/// Where a score falls on the bins' scale (bin b covers [b, b + 1)).
fn position(score: f64) -> f64 {
    let u = score.abs().ln_1p().copysign(score);
    ZERO as f64 + u / WIDTH
}

/// The bin of a score, by definition: [`bins::bin_of`] finds the same bin without a logarithm.
fn bin_by_logarithm(score: f64) -> usize {
    position(score).floor().clamp(0.0, (BINS - 1) as f64) as usize
}

use bins::bin_of;

/// The histogram of a detector's scores on one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct Calibration {
    /// A Fenwick tree of the (decayed) weight in each bin.
    tree: Vec<f64>,
    /// Per bin, the least and largest score it ever held (NaN while empty).
    low: Vec<f64>,
    high: Vec<f64>,
    total: f64,
    /// The weight of the next score: it grows, which decays every older one.
    weight: f64,
    /// Per score: how much faster the weight grows (1 in batch mode: no forgetting).
    growth: f64,
    seen: u64,
    /// The highest bin ever learnt (weights decay but never reach 0).
    top: Option<usize>,
}

impl Calibration {
    /// For a stream: the past scores, slowly forgotten.
    pub fn online() -> Calibration {
        Calibration::with_growth(2f64.powf(1.0 / HALF_LIFE))
    }

    /// Every score of a finished series, none forgotten.
    pub fn of(scores: impl IntoIterator<Item = f64>) -> Calibration {
        let mut c = Calibration::with_growth(1.0);
        for s in scores {
            c.learn(s);
        }
        c
    }

    fn with_growth(growth: f64) -> Calibration {
        Calibration {
            tree: vec![0.0; BINS],
            low: vec![f64::NAN; BINS],
            high: vec![f64::NAN; BINS],
            total: 0.0,
            weight: 1.0,
            growth,
            seen: 0,
            top: None,
        }
    }

    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Remember one more score (NaN and infinities are not scores).
    pub fn learn(&mut self, score: f64) {
        if score.is_finite() {
            self.learn_in(score, bin_of(score));
        }
    }

    /// The probability of `score` against the scores known so far, then learn it: what an
    /// online detector does with each score (its bin found once, the hot path of every row).
    pub fn judge(&mut self, score: f64) -> Option<f64> {
        if !score.is_finite() {
            return None;
        }
        let b = bin_of(score);
        let p = self.probability_in(score, b);
        self.learn_in(score, b);
        p
    }

    fn learn_in(&mut self, score: f64, b: usize) {
        self.add(b, self.weight);
        self.total += self.weight;
        self.low[b] = if self.low[b].is_nan() { score } else { self.low[b].min(score) };
        self.high[b] = if self.high[b].is_nan() { score } else { self.high[b].max(score) };
        self.seen += 1;
        self.top = Some(self.top.map_or(b, |t| t.max(b)));
        self.weight *= self.growth;
        // Rescale long before overflow; every weight scales alike, so no share changes.
        if self.weight > 1e200 {
            let shrink = 1.0 / self.weight;
            self.tree.iter_mut().for_each(|w| *w *= shrink);
            self.total *= shrink;
            self.weight = 1.0;
        }
    }

    fn add(&mut self, bin: usize, w: f64) {
        let mut i = bin + 1;
        while i <= BINS {
            self.tree[i - 1] += w;
            i += i & i.wrapping_neg();
        }
    }

    /// The weight in bins below `bin`.
    fn below(&self, bin: usize) -> f64 {
        let (mut i, mut sum) = (bin, 0.0);
        while i > 0 {
            sum += self.tree[i - 1];
            i -= i & i.wrapping_neg();
        }
        sum
    }

    fn in_bin(&self, bin: usize) -> f64 {
        self.below(bin + 1) - self.below(bin)
    }

    /// The share of the known scores below `score`, ties counting half; None before
    /// [`MIN_SCORES`] scores, or for a score that is not finite.
    pub fn probability(&self, score: f64) -> Option<f64> {
        if !score.is_finite() {
            return None;
        }
        self.probability_in(score, bin_of(score))
    }

    fn probability_in(&self, score: f64, b: usize) -> Option<f64> {
        if self.seen < MIN_SCORES {
            return None;
        }
        let top = self.top?;
        if b > top || (b == top && score > self.high[top]) {
            return Some(self.beyond(score, top));
        }
        // As `in_bin`, with the prefix below the bin summed once.
        let below = self.below(b);
        let mass = self.below(b + 1) - below;
        let (lo, hi) = (self.low[b], self.high[b]);
        let inside = if mass <= 0.0 || lo.is_nan() || score < lo {
            0.0
        } else if score > hi {
            1.0
        } else if hi > lo {
            // The bin's k scores spread evenly from its least to its largest, each counting
            // half at its own value: from 1/2k at the least to 1 − 1/2k at the largest.
            let half = 0.5 / (mass / self.mean_weight()).max(1.0);
            half + ((score - lo) / (hi - lo)).clamp(0.0, 1.0) * (1.0 - 2.0 * half)
        } else {
            0.5
        };
        Some(((below + inside * mass) / self.total).clamp(0.0, 1.0))
    }

    /// The weight of one score, on average.
    fn mean_weight(&self) -> f64 {
        self.total / self.seen.max(1) as f64
    }

    /// Above every known score: 1 − (weight of the largest)/(total) · e^{−Δ/β}, Δ the distance
    /// past the largest on the log scale, β the mean excess of the top 2% over their least.
    fn beyond(&self, score: f64, top: usize) -> f64 {
        let largest = self.high[top];
        let at_largest = 1.0 - 0.5 * self.in_bin(top).min(self.mean_weight()) / self.total;
        let tail_weight = TAIL_SHARE * self.total;
        let (mut weight, mut sum, mut b) = (0.0, 0.0, top as isize);
        while b >= 0 && weight < tail_weight {
            let w = self.in_bin(b as usize);
            if w > 0.0 {
                weight += w;
                sum += w * (position(self.low[b as usize]) + position(self.high[b as usize])) / 2.0;
            }
            b -= 1;
        }
        let floor = position(self.low[(b + 1).max(0) as usize]);
        let beta = if weight > 0.0 { (sum / weight - floor).max(0.5) } else { 1.0 };
        let delta = (position(score) - position(largest)).max(0.0);
        1.0 - (1.0 - at_largest) * (-delta / beta).exp()
    }
}

/// Batch mode: each score's share of the series' scores below it, ties counting half, from an
/// exact sort (None for a missing score, and for all when fewer than [`MIN_SCORES`]).
pub fn shares_below(scores: &[Option<f64>]) -> Vec<Option<f64>> {
    // (score, position) sorted once; each run of equal scores shares one share. Linear after
    // the sort, where a binary search per score would miss the cache twice per row.
    let mut known: Vec<(f64, u32)> =
        scores.iter().enumerate().filter_map(|(i, s)| s.filter(|s| s.is_finite()).map(|s| (s, i as u32))).collect();
    let mut out = vec![None; scores.len()];
    if (known.len() as u64) < MIN_SCORES {
        return out;
    }
    known.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let n = known.len() as f64;
    let mut start = 0;
    while start < known.len() {
        let value = known[start].0;
        // Walked, not searched: a binary search over the rest for each run missed the cache at
        // every step (a third of batch mode's time with every probability read).
        let mut end = start + 1;
        while end < known.len() && known[end].0 == value {
            end += 1;
        }
        let share = (start as f64 + 0.5 * (end - start) as f64) / n;
        for &(_, i) in &known[start..end] {
            out[i as usize] = Some(share);
        }
        start = end;
    }
    out
}

/// [`shares_below`] at the positions `at` only (in that order), without sorting the series: the
/// few scores asked for are sorted, and each score of the series is placed among them
/// (O(n log k) for k positions; flagged rows are few). Bit for bit what `shares_below` gives
/// there.
pub fn shares_below_at(scores: &[Option<f64>], at: &[usize]) -> Vec<Option<f64>> {
    let finite = |s: Option<f64>| s.filter(|s| s.is_finite());
    let known = scores.iter().filter(|s| finite(**s).is_some()).count();
    if (known as u64) < MIN_SCORES {
        return vec![None; at.len()];
    }
    // The distinct scores asked for, ascending.
    let mut wanted: Vec<f64> = at.iter().filter_map(|&i| finite(scores[i])).collect();
    // Compared as `shares_below` groups ties: by value, so -0.0 and 0.0 are one score.
    wanted.sort_unstable_by(f64::total_cmp);
    wanted.dedup_by(|a, b| a == b);
    // at_most[j]: scores whose place among `wanted` is j (j wanted ones are below them);
    // equal[j]: scores equal to wanted[j].
    let mut at_most = vec![0usize; wanted.len() + 1];
    let mut equal = vec![0usize; wanted.len()];
    for s in scores.iter().filter_map(|s| finite(*s)) {
        let j = wanted.partition_point(|w| *w < s);
        at_most[j] += 1;
        if j < wanted.len() && wanted[j] == s {
            equal[j] += 1;
        }
    }
    // Scores below wanted[j]: those placed at or before j, less the ones equal to it.
    let mut below = Vec::with_capacity(wanted.len());
    let mut placed = 0;
    for j in 0..wanted.len() {
        placed += at_most[j];
        below.push(placed - equal[j]);
    }
    let n = known as f64;
    at.iter()
        .map(|&i| {
            let s = finite(scores[i])?;
            let j = wanted.partition_point(|w| *w < s);
            Some((below[j] as f64 + 0.5 * equal[j] as f64) / n)
        })
        .collect()
}

/// What is saved: only what is not empty (a few dozen bins where the whole has 1,200), the tree
/// node by node so that a restored histogram answers bit for bit as the saved one would.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// (node, weight) of the Fenwick tree's non-zero nodes.
    tree: Vec<(u16, f64)>,
    /// (bin, least, largest) of the bins that held a score.
    bounds: Vec<(u16, f64, f64)>,
    total: f64,
    weight: f64,
    growth: f64,
    seen: u64,
}

impl From<Calibration> for Stored {
    fn from(c: Calibration) -> Stored {
        let tree = (0..BINS).filter(|&i| c.tree[i] != 0.0).map(|i| (i as u16, c.tree[i])).collect();
        let bounds = (0..BINS).filter(|&b| !c.low[b].is_nan()).map(|b| (b as u16, c.low[b], c.high[b])).collect();
        Stored { tree, bounds, total: c.total, weight: c.weight, growth: c.growth, seen: c.seen }
    }
}

impl From<Stored> for Calibration {
    fn from(s: Stored) -> Calibration {
        let mut c = Calibration::with_growth(s.growth);
        for &(i, w) in &s.tree {
            c.tree[usize::from(i).min(BINS - 1)] = w;
        }
        for &(b, lo, hi) in &s.bounds {
            let b = usize::from(b).min(BINS - 1);
            c.low[b] = lo;
            c.high[b] = hi;
            c.top = Some(c.top.map_or(b, |t| t.max(b)));
        }
        (c.total, c.weight, c.seen) = (s.total, s.weight, s.seen);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn shares_below_with_ties_counting_half() {
        let c = Calibration::of((0..1000).map(|i| i as f64 / 10.0));
        // 500 of 1000 scores lie below 50.0 (0.0 .. 49.9), one is equal.
        let p = c.probability(50.0).unwrap();
        assert!((p - 0.5).abs() < 0.01, "{p}");
        // A constant score: every tie counts half.
        let flat = Calibration::of(std::iter::repeat_n(3.0, 500));
        assert_eq!(flat.probability(3.0), Some(0.5));
        assert_eq!(flat.probability(0.0), Some(0.0));
        // Saved and restored, it answers the same.
        let bytes = postcard::to_stdvec(&c).unwrap();
        assert!(bytes.len() < 4000, "{}", bytes.len());
        let back: Calibration = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(postcard::to_stdvec(&back).unwrap(), bytes);
        assert_eq!(back.probability(50.0), c.probability(50.0));
        // Too few scores: no probability.
        assert_eq!(Calibration::of([1.0, 2.0]).probability(1.5), None);
    }

    #[test]
    fn shares_at_some_positions_are_the_shares_of_the_whole() {
        // Ties, missing and infinite scores, -0.0 beside 0.0, positions asked twice.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let normal = Normal::new(0.0, 3.0).unwrap();
        let scores: Vec<Option<f64>> = (0..5_000)
            .map(|i| match i % 97 {
                0 => None,
                1 => Some(f64::INFINITY),
                2 => Some(-0.0),
                3 => Some(0.0),
                _ => Some((normal.sample(&mut rng) * 4.0_f64).round() / 4.0),
            })
            .collect();
        let whole = shares_below(&scores);
        let at: Vec<usize> = (0..scores.len()).filter(|i| i % 13 == 0 || i % 97 < 4).chain([5, 5, 0]).collect();
        let some = shares_below_at(&scores, &at);
        for (k, &i) in at.iter().enumerate() {
            assert_eq!(some[k].map(f64::to_bits), whole[i].map(f64::to_bits), "position {i}");
        }
        assert!(some.iter().flatten().count() > 300);
        // Too few scores: none, as for the whole.
        assert_eq!(shares_below_at(&scores[..50], &[3, 4]), vec![None, None]);
    }

    #[test]
    fn beyond_the_largest_it_keeps_rising() {
        let c = Calibration::of((0..1000).map(|i| i as f64 / 100.0));
        let at_max = c.probability(9.99).unwrap();
        let beyond = c.probability(20.0).unwrap();
        let far = c.probability(1e6).unwrap();
        assert!(at_max > 0.998 && at_max < 1.0 && beyond > at_max && far >= beyond, "{at_max} {beyond} {far}");
    }

    #[test]
    fn calibrated_on_gaussian_scores() {
        // |z| of white noise, online: rows at or above p are within 20% of 1 − p.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let g = Normal::new(0.0, 1.0).unwrap();
        let mut c = Calibration::online();
        let (mut n, mut at99, mut at999) = (0, 0, 0);
        for _ in 0..200_000 {
            let s: f64 = g.sample(&mut rng);
            if let Some(p) = c.probability(s.abs()) {
                n += 1;
                at99 += usize::from(p >= 0.99);
                at999 += usize::from(p >= 0.999);
            }
            c.learn(s.abs());
        }
        let (r99, r999) = (at99 as f64 / n as f64, at999 as f64 / n as f64);
        assert!((r99 / 0.01 - 1.0).abs() < 0.2, "{r99}");
        assert!((r999 / 0.001 - 1.0).abs() < 0.2, "{r999}");
    }
}
