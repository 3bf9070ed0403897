//! Affiliation precision and recall (Huet, Navarro, Rossi; KDD 2022), exact.
//!
//! Row `t` is the interval [t, t+1). Each labelled range J_k owns an affiliation zone E_k
//! reaching halfway to its neighbours (the outer zones reach the series bounds); the flagged
//! intervals are cut into the zones. Per zone, with X and Y uniform on E_k:
//!
//! * precision P_k = mean over flagged y ∈ Y_k of Pr[dist(X, J_k) ≥ dist(y, J_k)];
//! * recall R_k = mean over x ∈ J_k of Pr[|x − Y| ≥ dist(x, Y_k)] (0 when Y_k is empty).
//!
//! Both integrands are piecewise linear in the integration variable, so the integrals are
//! exact sums of trapezoids between the breakpoints (the paper's closed forms, found
//! mechanically instead of case by case). Precision averages the zones holding a flag, recall
//! averages all zones. Cost O(K + |Y| log |Y|).

use super::point::{Prf, f1};
use super::runs;

/// A half-open interval [lo, hi) on the row axis.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    lo: f64,
    hi: f64,
}

impl Span {
    fn len(self) -> f64 {
        self.hi - self.lo
    }
}

/// Integral over [lo, hi] of a function that is linear between consecutive `breaks`.
fn integrate_linear_pieces(f: impl Fn(f64) -> f64, lo: f64, hi: f64, breaks: &mut Vec<f64>) -> f64 {
    breaks.retain(|&x| x > lo && x < hi);
    breaks.push(lo);
    breaks.push(hi);
    breaks.sort_by(f64::total_cmp);
    breaks.windows(2).map(|w| 0.5 * (f(w[0]) + f(w[1])) * (w[1] - w[0])).sum()
}

/// Σ over the flagged pieces of ∫ Pr[dist(X, J) ≥ dist(y, J)] dy, with X uniform on `zone`.
fn precision_integral(flags: &[Span], truth: Span, zone: Span) -> f64 {
    let left = truth.lo - zone.lo; // room left of J
    let right = zone.hi - truth.hi; // room right of J
    // Survival of dist(X, J) at d > 0: the part of the zone farther than d from J.
    let survival = |d: f64| ((left - d).max(0.0) + (right - d).max(0.0)) / zone.len();
    let outside = |y: f64| survival(if y < truth.lo { truth.lo - y } else { y - truth.hi });
    let mut total = 0.0;
    for (i, f) in flags.iter().enumerate() {
        crate::interrupt::check_every(i);
        // Inside J the distance is 0 and the survival is 1.
        total += (f.hi.min(truth.hi) - f.lo.max(truth.lo)).max(0.0);
        for side in [Span { lo: f.lo, hi: f.hi.min(truth.lo) }, Span { lo: f.lo.max(truth.hi), hi: f.hi }] {
            if side.len() > 0.0 {
                let mut breaks = vec![truth.lo - right, truth.hi + left];
                total += integrate_linear_pieces(outside, side.lo, side.hi, &mut breaks);
            }
        }
    }
    total
}

/// Distance from `x` to the nearest flagged piece (`flags` sorted, disjoint).
fn distance_to(flags: &[Span], x: f64) -> f64 {
    let i = flags.partition_point(|f| f.hi <= x);
    let after = flags.get(i).map_or(f64::INFINITY, |f| (f.lo - x).max(0.0));
    let before = if i > 0 { x - flags[i - 1].hi } else { f64::INFINITY };
    after.min(before)
}

/// ∫ over x ∈ J of Pr[|x − Y| ≥ dist(x, flags)], with Y uniform on `zone`.
fn recall_integral(flags: &[Span], truth: Span, zone: Span) -> f64 {
    let survival = |x: f64| {
        let d = distance_to(flags, x);
        let near = (x + d).min(zone.hi) - (x - d).max(zone.lo);
        1.0 - near / zone.len()
    };
    // dist(x, flags) changes slope at the pieces' ends and halfway between pieces.
    let mut breaks: Vec<f64> = flags.iter().flat_map(|f| [f.lo, f.hi]).collect();
    breaks.extend(flags.windows(2).map(|w| 0.5 * (w[0].hi + w[1].lo)));
    breaks.push(truth.lo);
    breaks.push(truth.hi);
    breaks.retain(|&x| x >= truth.lo && x <= truth.hi);
    breaks.sort_by(f64::total_cmp);
    // Within each piece the clipping by the zone's ends adds at most one more kink each.
    let mut kinks = Vec::new();
    for (i, w) in breaks.windows(2).enumerate() {
        crate::interrupt::check_every(i);
        for (edge, sign) in [(zone.hi, 1.0), (zone.lo, -1.0)] {
            let g = |x: f64| x + sign * distance_to(flags, x) - edge;
            let (g0, g1) = (g(w[0]), g(w[1]));
            if g0 * g1 < 0.0 {
                kinks.push(w[0] + (w[1] - w[0]) * g0 / (g0 - g1));
            }
        }
    }
    breaks.extend(kinks);
    integrate_linear_pieces(survival, truth.lo, truth.hi, &mut breaks)
}

/// Affiliation precision, recall and their harmonic mean. Precision is NaN when nothing is
/// flagged (it averages over zones holding a flag, and there are none); everything is NaN
/// without labels.
pub fn prf(labels: &[bool], predicted: &[bool]) -> Prf {
    let truth: Vec<Span> = runs(labels).iter().map(|r| Span { lo: r.start as f64, hi: r.end as f64 }).collect();
    let flags: Vec<Span> = runs(predicted).iter().map(|r| Span { lo: r.start as f64, hi: r.end as f64 }).collect();
    if truth.is_empty() {
        return Prf { precision: f64::NAN, recall: f64::NAN, f1: f64::NAN };
    }
    let n = labels.len() as f64;
    let (mut precision_sum, mut zones_flagged, mut recall_sum) = (0.0, 0usize, 0.0);
    for (k, &j) in truth.iter().enumerate() {
        let zone = Span {
            lo: if k == 0 { 0.0 } else { 0.5 * (truth[k - 1].hi + j.lo) },
            hi: truth.get(k + 1).map_or(n, |next| 0.5 * (j.hi + next.lo)),
        };
        crate::interrupt::check_every(k);
        // The flags are sorted and disjoint: those reaching into the zone are one run of them.
        let first = flags.partition_point(|f| f.hi <= zone.lo);
        let inside: Vec<Span> = flags[first..]
            .iter()
            .take_while(|f| f.lo < zone.hi)
            .map(|f| Span { lo: f.lo.max(zone.lo), hi: f.hi.min(zone.hi) })
            .filter(|f| f.len() > 0.0)
            .collect();
        if inside.is_empty() {
            continue; // recall 0, precision undefined for this zone
        }
        let flagged: f64 = inside.iter().map(|f| f.len()).sum();
        precision_sum += precision_integral(&inside, j, zone) / flagged;
        zones_flagged += 1;
        recall_sum += recall_integral(&inside, j, zone) / j.len();
    }
    let precision = if zones_flagged == 0 { f64::NAN } else { precision_sum / zones_flagged as f64 };
    let recall = recall_sum / truth.len() as f64;
    let f = if precision.is_nan() { 0.0 } else { f1(precision, recall) };
    Prf { precision, recall, f1: f }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn mask(n: usize, on: &[usize]) -> Vec<bool> {
        (0..n).map(|i| on.contains(&i)).collect()
    }

    #[test]
    fn exact_hit_is_perfect() {
        let l = mask(10, &[4, 5]);
        let p = prf(&l, &l);
        assert_relative_eq!(p.precision, 1.0);
        assert_relative_eq!(p.recall, 1.0);
    }

    /// Series of 10 rows, J = [4, 6), one zone E = [0, 10), flag at row 7 = [7, 8).
    /// Precision: y ∈ [7, 8) is d = y − 6 ∈ [1, 2) from J; room is 4 on each side, so
    /// Pr[dist(X, J) ≥ d] = (8 − 2d)/10, whose mean over d ∈ [1, 2) is (8 − 3)/10 = 0.5.
    /// Recall: x ∈ [4, 6) is δ = 7 − x from the flag; [x − δ, x + δ] = [2x − 7, 7] lies in E,
    /// so Pr[|x − Y| ≥ δ] = 1 − (14 − 2x)/10 = (2x − 4)/10, mean over x ∈ [4, 6) = 0.6.
    #[test]
    fn one_late_flag_by_hand() {
        let p = prf(&mask(10, &[4, 5]), &mask(10, &[7]));
        assert_relative_eq!(p.precision, 0.5, epsilon = 1e-12);
        assert_relative_eq!(p.recall, 0.6, epsilon = 1e-12);
        assert_relative_eq!(p.f1, 2.0 * 0.5 * 0.6 / 1.1, epsilon = 1e-12);
    }

    /// J = [0, 1) at the series start, E = [0, 4) (n = 4), flag [3, 4).
    /// Precision: d = y − 1 ∈ [2, 3), room left 0, right 3: (3 − d)/4, mean (3 − 2.5)/4 = 0.125.
    /// Recall: x ∈ [0, 1), δ = 3 − x; [x − δ, x + δ] ∩ E = [0, 3] (x − δ < 0, x + δ = 3 < 4):
    /// Pr = 1 − 3/4 = 0.25 everywhere.
    #[test]
    fn zone_clipped_at_the_series_start() {
        let p = prf(&mask(4, &[0]), &mask(4, &[3]));
        assert_relative_eq!(p.precision, 0.125, epsilon = 1e-12);
        assert_relative_eq!(p.recall, 0.25, epsilon = 1e-12);
    }

    /// Two events: zones split halfway. A flag only near the second event leaves the first
    /// zone empty: recall averages 0 in with the second zone's, precision ignores the first.
    #[test]
    fn empty_zone_counts_zero_recall_only() {
        let l = mask(20, &[2, 15]);
        let both = prf(&l, &mask(20, &[2, 15]));
        assert_relative_eq!(both.recall, 1.0);
        let second = prf(&l, &mask(20, &[15]));
        assert_relative_eq!(second.precision, 1.0);
        assert_relative_eq!(second.recall, 0.5);
    }

    #[test]
    fn nothing_flagged_or_nothing_labelled() {
        let p = prf(&mask(10, &[3]), &mask(10, &[]));
        assert!(p.precision.is_nan());
        assert_eq!(p.recall, 0.0);
        assert_eq!(p.f1, 0.0);
        assert!(prf(&mask(10, &[]), &mask(10, &[3])).recall.is_nan());
    }

    /// Golden values from the reference code (TSB-AD 1.5, `evaluation/affiliation`,
    /// `pr_from_events(convert_vector_to_events(pred), convert_vector_to_events(label), (0, n))`),
    /// run on these masks; it also reproduces the three hand-derived cases above.
    #[test]
    fn agrees_with_the_reference_implementation() {
        type Case<'a> = (usize, &'a [usize], &'a [usize], f64, f64);
        let cases: [Case; 2] = [
            (
                60,
                &[5, 6, 7, 20, 21, 40],
                &[1, 9, 10, 13, 14, 21, 22, 23, 30, 45, 59],
                0.40846252294021057,
                0.7716684374899385,
            ),
            (
                100,
                &[10, 11, 12, 13, 50, 51, 52, 90],
                &[3, 14, 15, 40, 55, 56, 60, 61, 62, 63, 95, 99],
                0.5860752223385468,
                0.7939984454807906,
            ),
        ];
        for (n, labels, flags, precision, recall) in cases {
            let p = prf(&mask(n, labels), &mask(n, flags));
            assert_relative_eq!(p.precision, precision, epsilon = 1e-12);
            assert_relative_eq!(p.recall, recall, epsilon = 1e-12);
        }
    }

    /// Brute-force midpoint integration on a fine grid agrees with the exact sums on a messy
    /// case: several events, flags straddling zone borders and events.
    #[test]
    fn agrees_with_numeric_integration() {
        let n = 60;
        let l = mask(n, &[5, 6, 7, 20, 21, 40]);
        let p = mask(n, &[1, 9, 10, 13, 14, 21, 22, 23, 30, 45, 59]);
        let exact = prf(&l, &p);
        let truth: Vec<Span> = runs(&l).iter().map(|r| Span { lo: r.start as f64, hi: r.end as f64 }).collect();
        let flags: Vec<Span> = runs(&p).iter().map(|r| Span { lo: r.start as f64, hi: r.end as f64 }).collect();
        let steps = 4_000;
        let (mut ps, mut rs) = (0.0, 0.0);
        for (k, &j) in truth.iter().enumerate() {
            let zone = Span {
                lo: if k == 0 { 0.0 } else { 0.5 * (truth[k - 1].hi + j.lo) },
                hi: truth.get(k + 1).map_or(n as f64, |nx| 0.5 * (j.hi + nx.lo)),
            };
            let inside: Vec<Span> = flags
                .iter()
                .map(|f| Span { lo: f.lo.max(zone.lo), hi: f.hi.min(zone.hi) })
                .filter(|f| f.len() > 0.0)
                .collect();
            let grid = |s: Span| (0..steps).map(move |i| s.lo + (i as f64 + 0.5) * s.len() / steps as f64);
            let dist_j = |x: f64| (j.lo - x).max(x - j.hi).max(0.0);
            let zone_pts: Vec<f64> = grid(zone).collect();
            let (mut num, mut den) = (0.0, 0.0);
            for f in &inside {
                for y in grid(*f).step_by(4) {
                    let d = dist_j(y);
                    let surv = zone_pts.iter().filter(|&&x| dist_j(x) >= d).count() as f64 / steps as f64;
                    num += surv * f.len();
                    den += f.len();
                }
            }
            ps += num / den;
            let mut r = 0.0;
            for x in grid(j).step_by(4) {
                let d = distance_to(&inside, x);
                r += zone_pts.iter().filter(|&&y| (x - y).abs() >= d).count() as f64 / steps as f64;
            }
            rs += r / (steps / 4) as f64;
        }
        assert_relative_eq!(exact.precision, ps / truth.len() as f64, epsilon = 5e-3);
        assert_relative_eq!(exact.recall, rs / truth.len() as f64, epsilon = 5e-3);
    }
}
