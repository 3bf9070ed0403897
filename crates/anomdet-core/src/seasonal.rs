//! Seasonality helpers: the period of a series from its autocorrelation.

/// Sample autocorrelation of `xs` at `lag` (biased estimator, as statsmodels' `acf`).
pub fn autocorrelation(xs: &[f64], lag: usize) -> f64 {
    let n = xs.len();
    if lag >= n {
        return 0.0;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    if var <= 0.0 {
        return 0.0;
    }
    let cov: f64 = (0..n - lag).map(|i| (xs[i] - mean) * (xs[i + lag] - mean)).sum();
    cov / var
}

/// The most likely period: the lag in 2..=max_lag (at most n/2) whose autocorrelation is the
/// highest local maximum, if that is at least `min_acf`; None for a series without one.
pub fn detect_period(xs: &[f64], max_lag: usize, min_acf: f64) -> Option<usize> {
    let max_lag = max_lag.min(xs.len() / 2);
    if max_lag < 3 {
        return None;
    }
    let acf: Vec<f64> = (0..=max_lag + 1).map(|lag| autocorrelation(xs, lag)).collect();
    (2..=max_lag)
        .filter(|&l| acf[l] > acf[l - 1] && acf[l] >= acf[l + 1] && acf[l] >= min_acf)
        .max_by(|&a, &b| acf[a].total_cmp(&acf[b]))
}

/// The given period (≥ 2, when the series holds two full cycles), or the one detected by
/// autocorrelation (`given` 0 or 1); `None`: no seasonality to use.
pub fn period_of(xs: &[f64], given: usize) -> Option<usize> {
    if given >= 2 {
        return (xs.len() >= 2 * given).then_some(given);
    }
    // Autocorrelation of at most the first 10,000 values, lags up to a third of them: periods
    // up to 3,333 rows, at a bounded cost whatever the series' length.
    let head = &xs[..xs.len().min(10_000)];
    detect_period(head, head.len() / 3, 0.3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_period_of_a_noisy_seasonal_series() {
        let noise = |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
        let xs: Vec<f64> =
            (0..600).map(|i| 5.0 * (2.0 * std::f64::consts::PI * i as f64 / 24.0).sin() + noise(i)).collect();
        assert_eq!(detect_period(&xs, 100, 0.3), Some(24));
    }

    #[test]
    fn none_for_noise_or_constants() {
        let mut state = 88172645463325252u64;
        let noise: Vec<f64> = (0..600)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 10_000) as f64 / 10_000.0
            })
            .collect();
        assert_eq!(detect_period(&noise, 100, 0.3), None);
        assert_eq!(detect_period(&[1.0; 100], 20, 0.3), None);
    }

    #[test]
    fn lag_one_autocorrelation_by_hand() {
        // 1, 2, 3: mean 2, var sum 2, lag-1 cross sum (−1·0 + 0·1) = 0 → 0.
        assert_eq!(autocorrelation(&[1.0, 2.0, 3.0], 1), 0.0);
        // 1, 3, 1, 3: mean 2; deviations −1, 1, −1, 1; lag 1: three products of −1 → −3/4.
        assert_eq!(autocorrelation(&[1.0, 3.0, 1.0, 3.0], 1), -0.75);
    }
}
