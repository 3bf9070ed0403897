//! The steps of the generalized ESD test (Rosner 1983), shared by `gesd` (mean and sd) and
//! `shesd` (median and MAD on the seasonal residual). Step i removes the value farthest from
//! the centre of those left and compares R_i = |x − centre| / scale with
//! λ_i = (n_i − 1) t / sqrt((n_i − 2 + t²) n_i), t = t_{1 − α/(2 n_i), n_i − 2}.
//!
//! The farthest value is always the smallest or the largest left, so one sort and two
//! pointers give every step in O(1): O(n log n) in all.

use crate::scored::Scored;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// λ for `left` values at significance `alpha`.
pub fn critical_value(left: usize, alpha: f64) -> f64 {
    let n = left as f64;
    let p = 1.0 - alpha / (2.0 * n);
    let t = StudentsT::new(0.0, 1.0, n - 2.0).map(|d| d.inverse_cdf(p)).unwrap_or(f64::INFINITY);
    (n - 1.0) * t / ((n - 2.0 + t * t) * n).sqrt()
}

/// Indices removed in order, with R_i and λ_i of each step, and the count of outliers.
pub struct EsdSteps {
    pub removed: Vec<(usize, f64, f64)>,
    pub outliers: usize,
    /// Mean and sd of the values left after the last step.
    pub center: f64,
    pub scale: f64,
    pub last_lambda: f64,
}

/// Run up to `max_steps` ESD steps with centre/scale `stats` of the values left (mean and
/// sd for GESD; S-H-ESD passes median and MAD).
pub fn esd(xs: &[f64], max_steps: usize, alpha: f64, robust: bool) -> EsdSteps {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let sorted: Vec<f64> = order.iter().map(|&i| xs[i]).collect();
    // Sums about a shift keep the running variance accurate.
    let shift = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    let (mut sum, mut sq) = (0.0, 0.0);
    for &x in xs {
        sum += x - shift;
        sq += (x - shift) * (x - shift);
    }
    let (mut lo, mut hi) = (0usize, xs.len());
    let mut steps = EsdSteps { removed: Vec::new(), outliers: 0, center: 0.0, scale: 0.0, last_lambda: f64::INFINITY };
    let stats = |lo: usize, hi: usize, sum: f64, sq: f64| -> (f64, f64) {
        let n = (hi - lo) as f64;
        if robust {
            // The values left are a contiguous run of the sorted values: O(log n) per step.
            let left = &sorted[lo..hi];
            let median = crate::series::quantile_sorted(left, 0.5);
            (median, 1.4826 * crate::series::mad_sorted(left, median))
        } else {
            let mean = sum / n;
            (mean + shift, ((sq - sum * mean) / (n - 1.0)).max(0.0).sqrt())
        }
    };
    for step in 0..max_steps.min(xs.len().saturating_sub(3)) {
        // Each step is O(1) (robust: O(n)); check often enough either way.
        if step % 64 == 0 {
            crate::interrupt::check();
        }
        let (center, scale) = stats(lo, hi, sum, sq);
        let (a, b) = (xs[order[lo]], xs[order[hi - 1]]);
        let take_low = (center - a) > (b - center);
        let idx = if take_low { order[lo] } else { order[hi - 1] };
        let r = if scale > 0.0 { (xs[idx] - center).abs() / scale } else { 0.0 };
        let lambda = critical_value(hi - lo, alpha);
        steps.removed.push((idx, r, lambda));
        if r > lambda {
            steps.outliers = step + 1;
        }
        if take_low {
            lo += 1;
        } else {
            hi -= 1;
        }
        sum -= xs[idx] - shift;
        sq -= (xs[idx] - shift) * (xs[idx] - shift);
    }
    let (center, scale) = stats(lo, hi, sum, sq);
    steps.center = center;
    steps.scale = scale;
    steps.last_lambda = critical_value(hi - lo, alpha);
    steps
}

/// Scores as R / λ: above 1 for the detected outliers' steps; the rest against the values left.
pub fn esd_scores(xs: &[f64], steps: &EsdSteps) -> Vec<Scored> {
    let band = |x: f64, lambda: f64| {
        let score = if steps.scale > 0.0 { (x - steps.center).abs() / steps.scale / lambda } else { 0.0 };
        Scored {
            score: Some(score),
            is_anomaly: Some(false),
            expected: Some(steps.center),
            lower: Some(steps.center - lambda * steps.scale),
            upper: Some(steps.center + lambda * steps.scale),
            probability: None,
        }
    };
    let mut out: Vec<Scored> = xs.iter().map(|&x| band(x, steps.last_lambda)).collect();
    for (k, &(idx, r, lambda)) in steps.removed.iter().enumerate() {
        out[idx].score = Some(r / lambda);
        out[idx].is_anomaly = Some(k < steps.outliers);
    }
    out
}
