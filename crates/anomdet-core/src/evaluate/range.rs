//! Range-based precision and recall (Tatbul, Lee, Zdonik, Alam, Gottschlich; NeurIPS 2018)
//! with flat positional bias and reciprocal cardinality γ(x) = 1/x.
//!
//! Recall_T(R_i) = α·Existence + (1−α)·Cardinality·ω(R_i, R_i∩P); Precision_T(P_j) has no
//! existence term. With flat bias ω is the overlapped share of the range.

use super::point::{Prf, f1};
use super::runs;
use std::ops::Range;

fn overlap(a: &Range<usize>, b: &Range<usize>) -> usize {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

/// Score of one range against a set of others: cardinality × overlapped share.
fn range_score(target: &Range<usize>, others: &[Range<usize>], alpha: f64) -> f64 {
    // `others` are sorted and disjoint: the ones touching the target are one run of them.
    let first = others.partition_point(|o| o.end <= target.start);
    let touching: Vec<&Range<usize>> = others[first..].iter().take_while(|o| o.start < target.end).collect();
    if touching.is_empty() {
        return 0.0;
    }
    let covered: usize = touching.iter().map(|o| overlap(target, o)).sum();
    let cardinality = 1.0 / touching.len() as f64;
    alpha + (1.0 - alpha) * cardinality * covered as f64 / target.len() as f64
}

/// Range-based P/R/F1 with recall existence reward `alpha` (precision uses α = 0).
pub fn prf(labels: &[bool], predicted: &[bool], alpha: f64) -> Prf {
    let real = runs(labels);
    let pred = runs(predicted);
    let recall = if real.is_empty() {
        0.0
    } else {
        real.iter()
            .enumerate()
            .map(|(i, r)| {
                crate::interrupt::check_every(i);
                range_score(r, &pred, alpha)
            })
            .sum::<f64>()
            / real.len() as f64
    };
    let precision = if pred.is_empty() {
        0.0
    } else {
        pred.iter()
            .enumerate()
            .map(|(i, p)| {
                crate::interrupt::check_every(i);
                range_score(p, &real, 0.0)
            })
            .sum::<f64>()
            / pred.len() as f64
    };
    Prf { precision, recall, f1: f1(precision, recall) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn mask(n: usize, ranges: &[Range<usize>]) -> Vec<bool> {
        (0..n).map(|i| ranges.iter().any(|r| r.contains(&i))).collect()
    }

    #[test]
    fn known_answers() {
        // One real range of 10; a prediction covering its first half.
        let l = mask(20, &[5..15]);
        let p = mask(20, &[5..10]);
        let r = prf(&l, &p, 0.0);
        assert_relative_eq!(r.recall, 0.5);
        assert_relative_eq!(r.precision, 1.0);
        // Existence reward 0.2: 0.2 + 0.8 × 0.5.
        assert_relative_eq!(prf(&l, &p, 0.2).recall, 0.6);
        // Two predictions splitting the range: reciprocal cardinality halves the recall.
        let split = mask(20, &[5..8, 10..13]);
        assert_relative_eq!(prf(&l, &split, 0.0).recall, 0.5 * 6.0 / 10.0);
        // A prediction half outside the range has precision 0.5.
        let half = mask(20, &[10..20]);
        assert_relative_eq!(prf(&l, &half, 0.0).precision, 0.5);
    }
}
