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

/// The most likely period: the lag in 2..=max_lag (at most n/2) whose autocorrelation (of the
/// series minus its least-squares line) is the highest local maximum, if that is at least
/// `min_acf` and rises at least `MIN_PROMINENCE` above the lowest autocorrelation at a shorter
/// lag; None for a series without one.
///
/// The prominence rule matters for slow seasons: there the autocorrelation falls gently from
/// lag 0, and sampling noise puts tiny local maxima on that slope (lag 5 of a 3,141-row sine
/// had 0.99); a real season first falls and then climbs back. The line is removed because a
/// trend adds a falling slope that moves the seasonal peaks to shorter lags.
pub fn detect_period(xs: &[f64], max_lag: usize, min_acf: f64) -> Option<usize> {
    const MIN_PROMINENCE: f64 = 0.1;
    let max_lag = max_lag.min(xs.len() / 2);
    if max_lag < 3 {
        return None;
    }
    let xs = &detrended(xs);
    let acf: Vec<f64> = (0..=max_lag + 1).map(|lag| autocorrelation(xs, lag)).collect();
    let mut lowest_before = acf[1];
    let mut best: Option<usize> = None;
    for l in 2..=max_lag {
        let peak = acf[l] > acf[l - 1] && acf[l] >= acf[l + 1];
        if peak && acf[l] >= min_acf && acf[l] - lowest_before >= MIN_PROMINENCE && best.is_none_or(|b| acf[l] > acf[b])
        {
            best = Some(l);
        }
        lowest_before = lowest_before.min(acf[l]);
    }
    best
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
    let found = detect_period(head, head.len() / 3, 0.3)?;
    Some(refine_period(xs, found))
}

/// The autocorrelation peak is a rough estimate: flat-topped for a long season, jagged when the
/// noise has structure of its own, and leaning to shorter lags by the estimator's taper; a
/// periodic season with a period a few rows off drifts out of phase by that much every cycle.
/// So re-measure within ±3% by what a periodic season needs: the period whose phase means
/// (every value at one phase of the cycle, averaged) leave the least residual variance
/// SS / (n − P), on up to 200,000 rows of the detrended series.
fn refine_period(xs: &[f64], found: usize) -> usize {
    let sample = detrended(&xs[..xs.len().min(200_000)]);
    let n = sample.len();
    let spread = (found * 3 / 100).max(2);
    let (lo, hi) = (found.saturating_sub(spread).max(2), (found + spread).min(n / 2));
    let total: f64 = sample.iter().map(|v| v * v).sum();
    let mut best = (f64::INFINITY, found);
    let mut sums = Vec::with_capacity(hi + 1);
    let mut counts = Vec::with_capacity(hi + 1);
    for period in lo..=hi {
        crate::interrupt::check();
        sums.clear();
        sums.resize(period, 0.0);
        counts.clear();
        counts.resize(period, 0usize);
        for cycle in sample.chunks(period) {
            for (k, &v) in cycle.iter().enumerate() {
                sums[k] += v;
                counts[k] += 1;
            }
        }
        // Residual sum of squares around the phase means: Σv² − Σ_k (sum_k)² / count_k.
        let explained: f64 = sums.iter().zip(&counts).map(|(s, &c)| s * s / c as f64).sum();
        let variance = (total - explained) / (n - period) as f64;
        if variance < best.0 {
            best = (variance, period);
        }
    }
    best.1
}

/// `xs` minus its least-squares line.
fn detrended(xs: &[f64]) -> Vec<f64> {
    let n = xs.len() as f64;
    let mean_t = (n - 1.0) / 2.0;
    let mean_x = xs.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (t, &x) in xs.iter().enumerate() {
        let dt = t as f64 - mean_t;
        sxy += dt * (x - mean_x);
        sxx += dt * dt;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    xs.iter().enumerate().map(|(t, &x)| x - mean_x - slope * (t as f64 - mean_t)).collect()
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
    fn a_slow_season_is_not_mistaken_for_noise_wiggles_on_its_slope() {
        let noise = crate::detect::tests::white_noise(10_000, 1.7);
        let xs: Vec<f64> =
            (0..10_000).map(|i| 5.0 * (2.0 * std::f64::consts::PI * i as f64 / 3141.0).sin() + noise[i]).collect();
        // Three cycles give the season within 2% (refine_period does better on more rows).
        let found = detect_period(&xs, 3333, 0.3).unwrap();
        assert!((3078..=3204).contains(&found), "{found}");
    }

    #[test]
    fn a_long_period_is_refined_on_the_whole_series() {
        let noise = crate::detect::tests::white_noise(200_000, 1.7);
        let xs: Vec<f64> =
            (0..200_000).map(|i| 5.0 * (2.0 * std::f64::consts::PI * i as f64 / 3141.0).sin() + noise[i]).collect();
        assert_eq!(period_of(&xs, 0), Some(3141));
    }

    #[test]
    fn a_season_on_a_trend_is_found_though_the_autocorrelation_stays_positive() {
        let noise = crate::detect::tests::white_noise(2_000, 0.5);
        let xs: Vec<f64> = (0..2_000)
            .map(|i| 0.01 * i as f64 + 3.0 * (2.0 * std::f64::consts::PI * i as f64 / 50.0).sin() + noise[i])
            .collect();
        assert_eq!(detect_period(&xs, 600, 0.3), Some(50));
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
