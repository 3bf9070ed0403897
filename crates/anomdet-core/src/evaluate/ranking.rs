//! The rows of one scored series ordered by score, highest first, sorted once per evaluation:
//! every threshold sweep (best F1, the ROC and PR curves, VUS, NAB) walks this one order
//! instead of sorting the scores again. NaN (unscored) ranks as the lowest score.

use crate::interrupt;
use std::ops::Range;

pub struct Ranking {
    /// The scores with NaN replaced by −∞, in row order.
    pub clean: Vec<f64>,
    /// Row indices, highest score first; ties in row order.
    pub order: Vec<u32>,
}

/// A key whose unsigned order is the descending order of `x` (IEEE total order, reversed).
fn descending_key(x: f64) -> u64 {
    let bits = x.to_bits();
    let ascending = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    !ascending
}

/// Sort by `key`, letting a cancel in meanwhile: sorting 3,000,000 scores takes a few tenths of
/// a second. A cancel unwinds out of the comparison, which leaves the slice permuted but whole.
pub fn sort_checked<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    let mut comparisons = 0usize;
    items.sort_unstable_by(|a, b| {
        comparisons += 1;
        interrupt::check_every(comparisons);
        key(a).cmp(&key(b))
    });
}

impl Ranking {
    pub fn new(scores: &[f64]) -> Ranking {
        let clean: Vec<f64> = scores.iter().map(|&s| if s.is_nan() { f64::NEG_INFINITY } else { s }).collect();
        let mut keyed: Vec<(u64, u32)> =
            clean.iter().enumerate().map(|(i, &s)| (descending_key(s), i as u32)).collect();
        sort_checked(&mut keyed, |&k| k);
        Ranking { clean, order: keyed.into_iter().map(|(_, i)| i).collect() }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The score at `position` of the order (0 = the highest).
    pub fn score_at(&self, position: usize) -> f64 {
        self.clean[self.order[position] as usize]
    }

    /// The row at `position` of the order.
    pub fn row_at(&self, position: usize) -> usize {
        self.order[position] as usize
    }

    /// Positions of the order split into runs of one score each, highest first: the steps of a
    /// threshold that goes down one distinct score at a time.
    pub fn ties(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= self.len() {
                return None;
            }
            interrupt::check_every(start);
            let level = self.score_at(start);
            let mut end = start + 1;
            while end < self.len() && self.score_at(end) == level {
                end += 1;
            }
            let run = start..end;
            start = end;
            Some(run)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_high_to_low_with_nan_last() {
        let r = Ranking::new(&[0.5, f64::NAN, 2.0, -1.0, 2.0, f64::NEG_INFINITY, 0.0, -0.0]);
        let scores: Vec<f64> = (0..r.len()).map(|p| r.score_at(p)).collect();
        assert_eq!(&scores[..5], &[2.0, 2.0, 0.5, 0.0, -0.0]);
        assert_eq!(scores[5], -1.0);
        assert!(scores[6..].iter().all(|&s| s == f64::NEG_INFINITY));
        // Ties keep row order, so the order is reproducible.
        assert_eq!(&r.order[..2], &[2, 4]);
        let ties: Vec<_> = r.ties().collect();
        // 0.0 and -0.0 compare equal as thresholds: one tie, as `s >= theta` sees them.
        assert_eq!(ties, vec![0..2, 2..3, 3..5, 5..6, 6..8]);
    }

    #[test]
    fn keys_follow_the_total_order() {
        let xs = [f64::NEG_INFINITY, -1e300, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1.0, 1e300, f64::INFINITY];
        for w in xs.windows(2) {
            assert!(descending_key(w[0]) > descending_key(w[1]), "{} {}", w[0], w[1]);
        }
    }
}
