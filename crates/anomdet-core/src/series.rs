//! Small numeric helpers shared by detectors.

/// Quantile of an ascending slice with linear interpolation (Hyndman & Fan type 7,
/// the default of R, NumPy and PostgreSQL's `percentile_cont`).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Median absolute deviation around `median` of an ascending slice, in O(len) without allocating:
/// deviations left of the median grow leftwards and those right of it grow rightwards,
/// so walking two cursors outwards visits them in ascending order.
pub fn mad_sorted(sorted: &[f64], median: f64) -> f64 {
    let n = sorted.len();
    let split = sorted.partition_point(|&v| v < median);
    let (mut left, mut right) = (split, split); // left: next index is left-1; right: next index is right
    let want_lo = (n - 1) / 2;
    let want_hi = n / 2;
    let mut lo_value = 0.0;
    for rank in 0..=want_hi {
        let take_left = match (left > 0, right < n) {
            (true, true) => median - sorted[left - 1] <= sorted[right] - median,
            (true, false) => true,
            _ => false,
        };
        let dev = if take_left {
            left -= 1;
            median - sorted[left]
        } else {
            right += 1;
            sorted[right - 1] - median
        };
        if rank == want_lo {
            lo_value = dev;
        }
        if rank == want_hi {
            return (lo_value + dev) / 2.0;
        }
    }
    unreachable!("rank loop always reaches want_hi")
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
#[derive(Debug, Clone, Copy, Default)]
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

    #[test]
    fn welford_matches_two_pass() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let (m, sd) = mean_sd(&xs);
        assert_relative_eq!(m, 5.0);
        assert_relative_eq!(sd, (32.0f64 / 7.0).sqrt());
    }
}
