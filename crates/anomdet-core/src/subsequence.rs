//! Subsequence detection ("Sub-X" in TSB-AD): a series becomes the matrix of its sliding
//! windows, a tabular model scores the windows, and the window scores are spread back to the
//! points. Every tabular model thereby scores shapes, not just values. Window columns are
//! z-scored across windows, as TSB-AD does for univariate series.

use crate::scored::Scored;
use crate::series::{floor_scale, mad_sorted, quantile_sorted};
use crate::tabular::Matrix;

/// The windows of a series, ready for a model.
pub struct Subsequences<'a> {
    pub xs: &'a [f64],
    pub window: usize,
    /// Row i is `xs[i..i + window]`, each column z-scored when asked.
    pub rows: Matrix,
    /// Per column, the mean and standard deviation removed (0 and 1 when not z-scored).
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
}

impl<'a> Subsequences<'a> {
    pub fn new(xs: &'a [f64], window: usize, standardize: bool) -> Subsequences<'a> {
        let w = window.clamp(1, xs.len().max(1));
        let count = xs.len() + 1 - w;
        let mut data = Vec::with_capacity(count * w);
        for i in 0..count {
            crate::interrupt::check_every(i * w);
            data.extend_from_slice(&xs[i..i + w]);
        }
        let mut rows = Matrix::new(count, w, data);
        let (mean, sd) = if standardize {
            let (mean, sd) = rows.standardize_columns();
            (mean, sd.iter().map(|&s| if s > 0.0 { s } else { 1.0 }).collect())
        } else {
            (vec![0.0; w], vec![1.0; w])
        };
        Subsequences { xs, window: w, rows, mean, sd }
    }

    /// The series and window length only, no window matrix: for models that walk the series
    /// themselves (the matrix profile), which would otherwise hold n × window values for nothing.
    pub fn series_only(xs: &'a [f64], window: usize) -> Subsequences<'a> {
        let w = window.clamp(1, xs.len().max(1));
        Subsequences { xs, window: w, rows: Matrix::zeros(0, w), mean: vec![0.0; w], sd: vec![1.0; w] }
    }

    /// Offset of the point a window stands for: its centre.
    pub fn centre(&self) -> usize {
        (self.window - 1) / 2
    }

    /// A model value of the centre column back on the series' scale.
    pub fn unscale_centre(&self, z: f64) -> f64 {
        let c = self.centre();
        z * self.sd[c] + self.mean[c]
    }
}

/// The window length to use: `given` when positive, else the detected period (between 8 and
/// 512 rows), else 32; never more than half the series.
pub fn window_length(xs: &[f64], given: usize) -> usize {
    window_length_in_periods(xs, given, 1)
}

/// [`window_length`] with `periods` detected periods (or 32-row stretches) when not given.
pub fn window_length_in_periods(xs: &[f64], given: usize, periods: usize) -> usize {
    let w = if given > 0 {
        given
    } else {
        crate::seasonal::period_of(xs, 0).map_or(32, |p| p.clamp(8, 512)) * periods.max(1)
    };
    w.min((xs.len() / 2).max(1))
}

/// How window scores become point scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// Each window's score goes to its centre point; the edges repeat the first and last.
    Centre,
    /// A point gets the mean of the windows that cover it.
    CoveringMean,
    /// A point gets the least score of the windows that cover it: high only where every window
    /// through the point is unusual, so one odd value flags itself, not a window's width of
    /// neighbours around it.
    CoveringMin,
}

/// One value per point from one value per window.
pub fn spread(per_window: &[f64], window: usize, n: usize, how: Spread) -> Vec<f64> {
    if per_window.is_empty() {
        return vec![0.0; n];
    }
    let last = per_window.len() - 1;
    match how {
        Spread::Centre => {
            let c = (window - 1) / 2;
            (0..n).map(|t| per_window[t.saturating_sub(c).min(last)]).collect()
        }
        Spread::CoveringMin => {
            // Sliding minimum over `window` consecutive window indices: those covering the
            // point, or near the ends (where fewer cover it) the first or last `window`, so a
            // point at the edge is not judged by one or two windows alone.
            let span = window.min(per_window.len());
            let mut out = Vec::with_capacity(n);
            let mut deque: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
            let mut next = 0;
            for t in 0..n {
                let lo = (t + 1).saturating_sub(window).min(per_window.len() - span);
                let hi = lo + span - 1;
                while next <= hi {
                    while deque.back().is_some_and(|&b| per_window[b] >= per_window[next]) {
                        deque.pop_back();
                    }
                    deque.push_back(next);
                    next += 1;
                }
                while deque.front().is_some_and(|&f| f < lo) {
                    deque.pop_front();
                }
                out.push(deque.front().map_or(0.0, |&f| per_window[f]));
            }
            out
        }
        Spread::CoveringMean => {
            let mut prefix = Vec::with_capacity(per_window.len() + 1);
            prefix.push(0.0);
            for v in per_window {
                prefix.push(prefix[prefix.len() - 1] + v);
            }
            (0..n)
                .map(|t| {
                    let lo = (t + 1).saturating_sub(window);
                    let hi = t.min(last);
                    (prefix[hi + 1] - prefix[lo]) / (hi + 1 - lo) as f64
                })
                .collect()
        }
    }
}

/// The expected value of each point for window models that reconstruct nothing: the typical
/// cycle at the point's phase, at the local level (an additive decomposition with period `w`,
/// robust: the level is the median of the w values centred on the point — one of each phase,
/// so the season cancels — and the cycle the median at each phase of the values minus their
/// level). An outlier therefore expects what its phase usually holds. With `w` 1, the series'
/// median.
pub fn typical_cycle(xs: &[f64], w: usize) -> Vec<f64> {
    let n = xs.len();
    if n == 0 {
        return Vec::new();
    }
    if w < 2 || w > n {
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        return vec![quantile_sorted(&sorted, 0.5); n];
    }
    let mut window = crate::window::SortedWindow::with_capacity(w + 1);
    let mut level = Vec::with_capacity(n);
    let mut included = 0; // xs[..included] have entered the window
    for t in 0..n {
        crate::interrupt::check_every(t);
        let start = t.saturating_sub(w / 2).min(n - w);
        while included < start + w {
            window.insert(xs[included]);
            included += 1;
            if included > w {
                window.remove(xs[included - w - 1]);
            }
        }
        level.push(quantile_sorted(window.as_slice(), 0.5));
    }
    let profile: Vec<f64> = (0..w)
        .map(|p| {
            let mut d: Vec<f64> = (p..n).step_by(w).map(|t| xs[t] - level[t]).collect();
            d.sort_by(f64::total_cmp);
            quantile_sorted(&d, 0.5)
        })
        .collect();
    (0..n).map(|t| level[t] + profile[t % w]).collect()
}

/// The score above which `flag_by_robust_z` flags: the median plus `threshold` robust sd.
pub fn robust_cut(scores: &[f64], threshold: f64) -> f64 {
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = quantile_sorted(&sorted, 0.5);
    let mean_deviation = sorted.iter().map(|s| (s - median).abs()).sum::<f64>() / sorted.len().max(1) as f64;
    let scale = (1.4826 * mad_sorted(&sorted, median)).max(1.2533 * mean_deviation);
    median + threshold * floor_scale(scale, median)
}

/// Flag the points whose score is more than `threshold` robust standard deviations (1.4826 ×
/// MAD of all the series' scores) above the median score: a model's raw scores have no
/// common scale, their spread across the series does. When most scores tie (a window minimum
/// repeats along a stretch) the MAD is near zero and would flag everything above the median,
/// so the scale is at least the mean absolute deviation × 1.2533 (also σ for normal data).
pub fn flag_by_robust_z(scores: &[f64], expected: Option<&[f64]>, threshold: f64) -> Vec<Scored> {
    if scores.is_empty() {
        return Vec::new();
    }
    let cut = robust_cut(scores, threshold);
    scores.iter().enumerate().map(|(t, &s)| Scored::unbounded(s, s > cut, expected.map(|e| e[t]))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_hold_the_series_and_unscale_the_centre() {
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        let s = Subsequences::new(&xs, 3, false);
        assert_eq!(s.rows.rows, 8);
        assert_eq!(s.rows.row(2), &[2.0, 3.0, 4.0]);
        let z = Subsequences::new(&xs, 3, true);
        assert!((z.unscale_centre(z.rows.row(2)[1]) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn spreading_window_scores_to_points() {
        // 4 windows of length 3 over 6 points.
        let w = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(spread(&w, 3, 6, Spread::Centre), vec![1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
        // Point 2 is covered by windows 0, 1 and 2; point 5 only by window 3.
        assert_eq!(spread(&w, 3, 6, Spread::CoveringMean), vec![1.0, 1.5, 2.0, 3.0, 3.5, 4.0]);
        // Points 2 and 3 see windows 0-2 and 1-3; the ends take the first and last three.
        assert_eq!(spread(&[5.0, 1.0, 3.0, 4.0], 3, 6, Spread::CoveringMin), vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(spread(&[5.0, 6.0, 3.0, 4.0], 3, 6, Spread::CoveringMin), vec![3.0, 3.0, 3.0, 3.0, 3.0, 3.0]);
        assert_eq!(
            spread(&[1.0, 6.0, 5.0, 7.0, 1.0], 3, 7, Spread::CoveringMin),
            vec![1.0, 1.0, 1.0, 5.0, 1.0, 1.0, 1.0]
        );
    }

    #[test]
    fn the_typical_cycle_recovers_a_periodic_shape_around_an_outlier() {
        let shape = [0.0, 3.0, 1.0, -2.0, -2.0];
        let mut xs: Vec<f64> = (0..100).map(|t| 10.0 + 0.01 * t as f64 + shape[t % 5]).collect();
        let clean = xs[42];
        xs[42] += 50.0;
        let expected = typical_cycle(&xs, 5);
        assert!((expected[42] - clean).abs() < 0.05, "{} vs {clean}", expected[42]);
        assert!((expected[70] - xs[70]).abs() < 0.05, "{} vs {}", expected[70], xs[70]);
        assert_eq!(typical_cycle(&[1.0, 9.0, 2.0], 1), vec![2.0; 3]);
    }

    #[test]
    fn robust_flags_only_the_outlying_score() {
        let mut scores: Vec<f64> = (0..100).map(|i| 1.0 + (i % 10) as f64 / 100.0).collect();
        scores[40] = 5.0;
        let out = flag_by_robust_z(&scores, None, 5.0);
        let flagged: Vec<usize> = (0..100).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert_eq!(flagged, vec![40]);
    }

    #[test]
    fn tied_scores_do_not_make_everything_above_the_median_an_anomaly() {
        // 60% of the scores equal, the rest spread a little, one far out.
        let mut scores: Vec<f64> = (0..100).map(|i| if i < 60 { 1.0 } else { 1.0 + (i % 10) as f64 / 100.0 }).collect();
        scores[99] = 5.0;
        let out = flag_by_robust_z(&scores, None, 5.0);
        let flagged: Vec<usize> = (0..100).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert_eq!(flagged, vec![99]);
    }

    #[test]
    fn window_length_rules() {
        let sine: Vec<f64> = (0..2000).map(|i| (i as f64 * std::f64::consts::TAU / 50.0).sin()).collect();
        assert_eq!(window_length(&sine, 0), 50);
        assert_eq!(window_length(&sine, 7), 7);
        assert_eq!(window_length(&sine[..20], 0), 10);
    }
}
