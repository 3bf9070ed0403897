//! Point-wise, point-adjusted and event-wise precision/recall/F1, and the best-F1 oracle.

use super::ranking::Ranking;
use super::runs;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

pub fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Point-wise: P = TP/(TP+FP) (0 without predictions), R = TP/(TP+FN).
pub fn prf(labels: &[bool], predicted: &[bool]) -> Prf {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (&l, &p) in labels.iter().zip(predicted) {
        match (l, p) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            _ => {}
        }
    }
    let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
    Prf { precision, recall, f1: f1(precision, recall) }
}

/// Point adjustment (Xu et al. 2018) generalised to PA%K (Kim et al. 2022): a labelled range
/// counts as wholly detected when more than `k_percent` % of it is flagged (0 = classic PA).
pub fn adjust(labels: &[bool], predicted: &[bool], k_percent: f64) -> Vec<bool> {
    let mut out = predicted.to_vec();
    for r in runs(labels) {
        let hits = predicted[r.clone()].iter().filter(|&&p| p).count();
        if hits > 0 && hits as f64 / r.len() as f64 * 100.0 > k_percent {
            out[r].iter_mut().for_each(|p| *p = true);
        }
    }
    out
}

/// Event-wise (Garg et al. 2021): recall over labelled ranges, precision point-wise.
pub fn event_f1(labels: &[bool], predicted: &[bool]) -> Prf {
    let ranges = runs(labels);
    let found = ranges.iter().filter(|r| predicted[(*r).clone()].iter().any(|&p| p)).count();
    let precision = prf(labels, predicted).precision;
    let recall = ratio(found, ranges.len());
    Prf { precision, recall, f1: f1(precision, recall) }
}

/// The best point-wise F1 over every distinct score threshold (s ≥ θ): an oracle upper bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best {
    pub f1: f64,
    pub threshold: f64,
}

pub fn best_f1(labels: &[bool], scores: &[f64]) -> Best {
    best_f1_ranked(labels, &Ranking::new(scores))
}

pub fn best_f1_ranked(labels: &[bool], ranking: &Ranking) -> Best {
    let positives = labels.iter().filter(|&&l| l).count();
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best = Best { f1: 0.0, threshold: f64::INFINITY };
    for tie in ranking.ties() {
        let theta = ranking.score_at(tie.start);
        let hits = tie.clone().filter(|&p| labels[ranking.row_at(p)]).count();
        tp += hits;
        fp += tie.len() - hits;
        let f = f1(ratio(tp, tp + fp), ratio(tp, positives));
        if f > best.f1 {
            best = Best { f1: f, threshold: theta };
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn point_known_answer() {
        let l = [true, true, false, false, true];
        let p = [true, false, true, false, true];
        let r = prf(&l, &p);
        assert_relative_eq!(r.precision, 2.0 / 3.0);
        assert_relative_eq!(r.recall, 2.0 / 3.0);
        assert_relative_eq!(r.f1, 2.0 / 3.0);
        assert_eq!(prf(&l, &[false; 5]), Prf::default());
    }

    #[test]
    fn point_adjustment_and_pa_k() {
        let l = [false, true, true, true, true, false];
        let p = [false, false, true, false, false, false];
        assert_eq!(adjust(&l, &p, 0.0), vec![false, true, true, true, true, false]);
        assert_eq!(adjust(&l, &p, 30.0), p.to_vec()); // 25% flagged is not > 30%
        assert_relative_eq!(prf(&l, &adjust(&l, &p, 0.0)).f1, 1.0);
    }

    #[test]
    fn event_f1_counts_ranges() {
        let l = [true, true, false, false, true, false];
        let p = [false, true, false, true, false, false];
        let e = event_f1(&l, &p);
        assert_relative_eq!(e.recall, 0.5);
        assert_relative_eq!(e.precision, 0.5);
    }

    #[test]
    fn best_f1_finds_the_separating_threshold_and_respects_ties() {
        let l = [false, false, true, true, false];
        let s = [0.1, 0.2, 0.9, 0.8, 0.3];
        let b = best_f1(&l, &s);
        assert_relative_eq!(b.f1, 1.0);
        assert_relative_eq!(b.threshold, 0.8);
        // All tied: the only threshold flags everything.
        let t = best_f1(&l, &[1.0; 5]);
        assert_relative_eq!(t.f1, f1(0.4, 1.0));
    }
}
