//! Small numeric helpers shared by detectors.

use serde::{Deserialize, Serialize};

/// Quantile of an ascending slice with linear interpolation (Hyndman & Fan type 7,
/// the default of R, NumPy and PostgreSQL's `percentile_cont`).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    QuantileAt::new(sorted.len(), q).of(sorted)
}

/// Where quantile `q` of `len` ascending values lies: the two values it falls between and how
/// far along. A rolling window keeps its length, so it works this out once, not every row.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QuantileAt {
    len: usize,
    lo: usize,
    hi: usize,
    frac: f64,
}

impl QuantileAt {
    pub fn new(len: usize, q: f64) -> QuantileAt {
        let pos = q * len.saturating_sub(1) as f64;
        // `floor` and `ceil` by conversion (`pos` is not negative), the same values without a
        // call into libm each.
        let lo = pos as usize;
        let hi = if (lo as f64) < pos { lo + 1 } else { lo };
        QuantileAt { len, lo, hi, frac: pos - lo as f64 }
    }

    /// The quantile of `sorted`, which has the length this was made for.
    pub fn of(&self, sorted: &[f64]) -> f64 {
        debug_assert_eq!(sorted.len(), self.len);
        sorted[self.lo] + (sorted[self.hi] - sorted[self.lo]) * self.frac
    }

    /// This place, or the same quantile's for `len` values when the length differs.
    pub fn for_len(self, len: usize, q: f64) -> QuantileAt {
        if self.len == len && len > 0 { self } else { QuantileAt::new(len, q) }
    }
}

/// Median absolute deviation around `median` of an ascending slice, in O(log len) without
/// allocating. Deviations left of the median grow leftwards and those right of it grow
/// rightwards: two ascending sequences, so the median deviation is a rank query on the union
/// of two sorted sequences, answered by binary search.
pub fn mad_sorted(sorted: &[f64], median: f64) -> f64 {
    let split = sorted.partition_point(|&v| v < median);
    median_deviation(sorted, median, split, None)
}

/// Where a rolling window's last median deviation was found. A window one value different
/// has its answer within a step or two, so [`mad_sorted_near`] starts looking there.
#[derive(Debug, Clone, Copy, Default)]
pub struct MadHint {
    from_left: usize,
}

/// [`mad_sorted`], bit for bit, for a window that moves one value at a time: the median's
/// place and the rank search start from where they were (a few probes instead of two
/// binary searches, a third of the rolling MAD's time).
pub fn mad_sorted_near(sorted: &[f64], median: f64, hint: &mut MadHint) -> f64 {
    let n = sorted.len();
    // Without NaN both tests below are monotone, so any search finds the binary search's
    // answer; with one (never from the pipeline, which drops unusable values) search as before.
    if n == 0 || !median.is_finite() || sorted[0].is_nan() || sorted[n - 1].is_nan() {
        return mad_sorted(sorted, median);
    }
    let split = first_false_near(0, n, n / 2, |i| i < n && sorted[i] < median);
    median_deviation(sorted, median, split, Some(&mut hint.from_left))
}

/// The median of |v − median| over `sorted`, whose first `split` values lie below `median`;
/// the rank search starts from `near` when given (and leaves its answer there).
fn median_deviation(sorted: &[f64], median: f64, split: usize, near: Option<&mut usize>) -> f64 {
    let n = sorted.len();
    let left = |j: usize| median - sorted[split - 1 - j]; // j-th smallest deviation on the left
    let right = |j: usize| sorted[split + j] - median; // j-th smallest deviation on the right
    let (lo, next) = rank_of_union(split, left, n - split, right, (n - 1) / 2, near);
    // Of even length, the median deviation is the mean of ranks (n - 1) / 2 and n / 2: the
    // second is the next element of the union, found with the first.
    let hi = if n.is_multiple_of(2) { next } else { lo };
    (lo + hi) / 2.0
}

/// The elements of 0-based rank `r` and `r + 1` (infinity when there is none) in the union of
/// two ascending sequences `a` and `b`. How many of the first r + 1 come from `a` is searched
/// for from `near` when given, and left there.
fn rank_of_union(
    na: usize,
    a: impl Fn(usize) -> f64,
    nb: usize,
    b: impl Fn(usize) -> f64,
    r: usize,
    near: Option<&mut usize>,
) -> (f64, f64) {
    // Take i elements from a and r + 1 - i from b. "Too few from a" (the last taken from b is
    // above the next in a) holds for every i below the one where both prefixes fit together
    // and for none from it on, and never at the largest i: so that i is the first where it fails.
    let too_few_from_a = |i: usize| {
        let j = r + 1 - i;
        i < na && j > 0 && b(j - 1) > a(i)
    };
    let (lo, hi) = ((r + 1).saturating_sub(nb), (r + 1).min(na));
    let i = match near {
        Some(near) => {
            *near = first_false_near(lo, hi, *near, too_few_from_a);
            *near
        }
        None => first_false(lo, hi, too_few_from_a),
    };
    let j = r + 1 - i;
    let from_a = if i > 0 { a(i - 1) } else { f64::NEG_INFINITY };
    let from_b = if j > 0 { b(j - 1) } else { f64::NEG_INFINITY };
    // The next element is the smaller of the two not taken.
    let next_a = if i < na { a(i) } else { f64::INFINITY };
    let next_b = if j < nb { b(j) } else { f64::INFINITY };
    (from_a.max(from_b), next_a.min(next_b))
}

/// The first i in lo..=hi where `holds` fails, for a test true then false and false at `hi`:
/// halving without a data-dependent branch (a mispredicted branch per halving cost more than
/// the comparisons).
fn first_false(lo: usize, hi: usize, holds: impl Fn(usize) -> bool) -> usize {
    let (mut first, mut size) = (lo, hi - lo + 1);
    while size > 1 {
        let half = size / 2;
        // Arithmetic, not `if`: the compiler keeps an `if` here as a branch.
        first += half * usize::from(holds(first + half - 1));
        size -= half;
    }
    first
}

/// [`first_false`] starting from `guess`: steps of 1, 2, 4, ... away from it bracket the
/// answer, then halving finishes. Two probes when the answer is at or next to the guess.
fn first_false_near(lo: usize, hi: usize, guess: usize, holds: impl Fn(usize) -> bool) -> usize {
    let guess = guess.clamp(lo, hi);
    let mut step = 1;
    if holds(guess) {
        let mut base = guess; // the answer is above base
        loop {
            let probe = (base + step).min(hi);
            if !holds(probe) {
                return first_false(base + 1, probe, &holds);
            }
            base = probe;
            step *= 2;
        }
    }
    let mut top = guess; // the answer is at or below top
    while top > lo {
        let probe = top.saturating_sub(step).max(lo);
        if holds(probe) {
            return first_false(probe + 1, top, &holds);
        }
        top = probe;
        step *= 2;
    }
    lo
}

/// The stable permutation that puts `ts` in ascending order, or None when it already is (the
/// usual case: tables of metrics are mostly stored in arrival order).
pub fn time_order(ts: &[i64]) -> Option<Vec<usize>> {
    if ts.windows(2).all(|w| w[0] <= w[1]) {
        return None;
    }
    let mut order: Vec<usize> = (0..ts.len()).collect();
    order.sort_by_key(|&i| ts[i]);
    Some(order)
}

/// `items` rearranged by a permutation from [`time_order`].
pub fn permute<T: Copy>(items: &[T], order: &[usize]) -> Vec<T> {
    order.iter().map(|&i| items[i]).collect()
}

/// Mean and sample standard deviation (ddof = 1) in two passes over a slice held whole: the
/// sum, then the squared deviations from the mean, each in four running sums. As accurate as
/// Welford's one pass (more, for long series) without its division per value, which made
/// batch z-scores' fit a tenth of their time.
pub fn mean_sd_two_pass(xs: &[f64]) -> (f64, f64) {
    fn sum_of(xs: &[f64], f: impl Fn(f64) -> f64) -> f64 {
        let mut sums = [0.0; 4];
        let blocks = xs.chunks_exact(4);
        let tail: f64 = blocks.remainder().iter().map(|&x| f(x)).sum();
        for block in blocks {
            for (sum, &x) in sums.iter_mut().zip(block) {
                *sum += f(x);
            }
        }
        (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
    }
    let n = xs.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = sum_of(xs, |x| x) / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let squares = sum_of(xs, |x| (x - mean) * (x - mean));
    (mean, (squares / (n - 1) as f64).sqrt())
}

/// Mean and sample standard deviation (ddof = 1) in one pass (Welford).
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let mut acc = Welford::default();
    for &x in xs {
        acc.push(x);
    }
    (acc.mean(), acc.sample_sd())
}

/// Numerically stable running mean and variance.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Welford {
    count: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }
    pub fn count(&self) -> u64 {
        self.count
    }
    pub fn mean(&self) -> f64 {
        self.mean
    }
    pub fn sample_sd(&self) -> f64 {
        if self.count < 2 { 0.0 } else { (self.m2 / (self.count - 1) as f64).sqrt() }
    }
}

/// A scale never below a tiny fraction of the centre, so a constant stretch of data
/// gives large but finite scores instead of a division by zero.
pub fn floor_scale(scale: f64, center: f64) -> f64 {
    let floor = 1e-9 * center.abs().max(1.0);
    if scale > floor { scale } else { floor }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn quantiles_by_conversion_are_floor_and_ceil_bit_for_bit() {
        let by_libm = |sorted: &[f64], q: f64| {
            let pos = q * (sorted.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        };
        for n in 1..300 {
            let sorted: Vec<f64> = (0..n).map(|i| (i as f64).sqrt() * 3.7 - 10.0).collect();
            for k in 0..=200 {
                let q = k as f64 / 200.0;
                assert_eq!(quantile_sorted(&sorted, q).to_bits(), by_libm(&sorted, q).to_bits(), "n {n} q {q}");
            }
            for q in [0.25, 0.5, 0.75, 0.95, 0.99, 1.0 / 3.0] {
                assert_eq!(quantile_sorted(&sorted, q).to_bits(), by_libm(&sorted, q).to_bits(), "n {n} q {q}");
            }
        }
    }

    #[test]
    fn a_quantile_place_is_kept_for_its_length_and_redone_for_another() {
        let (five, six) = ([1.0, 2.0, 4.0, 8.0, 16.0], [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
        let place = QuantileAt::default().for_len(5, 0.25);
        assert_eq!(place.of(&five).to_bits(), quantile_sorted(&five, 0.25).to_bits());
        assert_eq!(place.for_len(5, 0.25), place);
        let moved = place.for_len(6, 0.25);
        assert_eq!(moved.of(&six).to_bits(), quantile_sorted(&six, 0.25).to_bits());
    }

    #[test]
    fn quantiles_match_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_relative_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert_relative_eq!(quantile_sorted(&v, 0.25), 1.75);
        assert_relative_eq!(quantile_sorted(&v, 0.75), 3.25);
        assert_relative_eq!(quantile_sorted(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn mad_matches_the_naive_definition() {
        let cases: &[&[f64]] = &[
            &[1.0, 2.0, 3.0, 4.0, 100.0],
            &[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0],
            &[5.0],
            &[1.0, 2.0],
            &[-3.0, -1.0, 0.0, 0.0, 0.0, 8.0],
        ];
        for &case in cases {
            let med = quantile_sorted(case, 0.5);
            let mut dev: Vec<f64> = case.iter().map(|v| (v - med).abs()).collect();
            dev.sort_by(f64::total_cmp);
            assert_relative_eq!(mad_sorted(case, med), quantile_sorted(&dev, 0.5));
        }
        // Textbook example: median 2, deviations {1,1,0,0,2,4,7}, MAD 1.
        assert_relative_eq!(mad_sorted(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0], 2.0), 1.0);
    }

    /// A small deterministic generator (xorshift), each number mapped by `value`: enough to
    /// cover odd and even sizes, ties and skew.
    fn xorshift(mut state: u64, value: impl Fn(u64) -> f64) -> impl FnMut() -> f64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            value(state)
        }
    }

    #[test]
    fn rank_of_union_gives_each_rank_and_the_next() {
        let mut next = xorshift(0x9E3779B97F4A7C15, |s| (s % 40) as f64);
        for (na, nb) in [(0, 5), (5, 0), (1, 1), (7, 3), (30, 30), (2, 61)] {
            let mut a: Vec<f64> = (0..na).map(|_| next()).collect();
            let mut b: Vec<f64> = (0..nb).map(|_| next()).collect();
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            let mut union: Vec<f64> = a.iter().chain(&b).copied().collect();
            union.sort_by(f64::total_cmp);
            union.push(f64::INFINITY);
            for r in 0..na + nb {
                assert_eq!(
                    rank_of_union(na, |i| a[i], nb, |j| b[j], r, None),
                    (union[r], union[r + 1]),
                    "{na} {nb} {r}"
                );
            }
        }
    }

    #[test]
    fn mad_matches_the_naive_definition_on_random_windows() {
        let mut next = xorshift(0x2545F4914F6CDD1D, |s| (s % 1000) as f64 / 10.0);
        for len in 1..80 {
            for _ in 0..20 {
                let mut w: Vec<f64> = (0..len).map(|_| next()).collect();
                w.sort_by(f64::total_cmp);
                let med = quantile_sorted(&w, 0.5);
                let mut dev: Vec<f64> = w.iter().map(|v| (v - med).abs()).collect();
                dev.sort_by(f64::total_cmp);
                assert_relative_eq!(mad_sorted(&w, med), quantile_sorted(&dev, 0.5));
            }
        }
    }

    #[test]
    fn first_false_near_finds_the_answer_from_any_guess() {
        for (lo, hi) in [(0, 0), (0, 1), (3, 9), (0, 64)] {
            for answer in lo..=hi {
                for guess in 0..hi + 3 {
                    assert_eq!(first_false_near(lo, hi, guess, |i| i < answer), answer, "{lo}..={hi} from {guess}");
                }
            }
        }
    }

    #[test]
    fn rolling_mad_from_the_last_answer_is_the_mad_bit_for_bit() {
        // Windows sliding one value at a time, as the rolling MAD sees them: rounded values
        // (ties, a MAD of 0), a level shift (the answer moves far), both parities.
        let mut next = xorshift(0x9E3779B97F4A7C15, |s| (s % 2000) as f64 / 100.0);
        for (len, round) in [(5, false), (6, true), (60, false), (61, true), (200, false)] {
            let xs: Vec<f64> = (0..3000)
                .map(|i| {
                    let v = next() + if (1000..1500).contains(&i) { 500.0 } else { 0.0 };
                    if round { v.round() } else { v }
                })
                .collect();
            let mut hint = MadHint::default();
            for w in xs.windows(len) {
                let mut sorted = w.to_vec();
                sorted.sort_by(f64::total_cmp);
                let median = quantile_sorted(&sorted, 0.5);
                let near = mad_sorted_near(&sorted, median, &mut hint);
                assert_eq!(near.to_bits(), mad_sorted(&sorted, median).to_bits(), "window {len}");
            }
        }
        // An infinite value at an end, and a NaN median, take the plain search.
        let mut hint = MadHint::default();
        let w = [1.0, 2.0, 4.0, f64::INFINITY];
        assert_eq!(mad_sorted_near(&w, 3.0, &mut hint).to_bits(), mad_sorted(&w, 3.0).to_bits());
        assert!(mad_sorted_near(&[1.0, 2.0], f64::NAN, &mut hint).is_nan());
    }

    #[test]
    fn time_order_is_stable_and_lazy() {
        assert_eq!(time_order(&[1, 2, 2, 5]), None);
        let order = time_order(&[3, 1, 2, 1]).unwrap();
        assert_eq!(order, vec![1, 3, 2, 0]); // the two 1s keep their order
        assert_eq!(permute(&['d', 'a', 'c', 'b'], &order), vec!['a', 'b', 'c', 'd']);
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let (m, sd) = mean_sd(&xs);
        assert_relative_eq!(m, 5.0);
        assert_relative_eq!(sd, (32.0f64 / 7.0).sqrt());
        // Any length (the four sums and the tail), far from zero, as Welford's to 1e-12.
        for n in [0, 1, 2, 3, 5, 8, 1001] {
            let ys: Vec<f64> = (0..n).map(|i| 1e6 + (i as f64 * 0.7).sin() * 3.0 + (i % 7) as f64).collect();
            let ((m1, sd1), (m2, sd2)) = (mean_sd(&ys), mean_sd_two_pass(&ys));
            assert_relative_eq!(m1, m2, max_relative = 1e-12);
            assert_relative_eq!(sd1, sd2, max_relative = 1e-9, epsilon = 1e-12);
        }
        assert_eq!(mean_sd_two_pass(&xs), (5.0, (32.0f64 / 7.0).sqrt()));
    }
}
