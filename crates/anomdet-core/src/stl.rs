//! STL: seasonal-trend decomposition by loess (Cleveland, Cleveland, McRae & Terpenning 1990),
//! additive, with the robustness iterations: y = S + T + R.
//!
//! Defaults follow the paper and statsmodels' robust STL: seasonal smoother 7 (or periodic), trend smoother
//! the next odd number ≥ 1.5·period / (1 − 1.5/seasonal), low-pass smoother the next odd
//! number ≥ period, loess degree 1, 2 inner loops, 15 outer (robustness) loops. Loess is
//! evaluated every ⌈q/10⌉ points and interpolated linearly in between, as in the original
//! Fortran, which keeps a million points within seconds.

/// The components, each as long as the series.
#[derive(Debug, Clone)]
pub struct Decomposition {
    pub seasonal: Vec<f64>,
    pub trend: Vec<f64>,
    pub residual: Vec<f64>,
}

fn next_odd(x: f64) -> usize {
    let n = x.ceil() as usize;
    if n.is_multiple_of(2) { n + 1 } else { n }
}

/// Degree-1 loess of `y` (at positions 0..n, weights `rw`) evaluated at position `x0`, with a
/// window of the `q` nearest positions (tricube weights). None when every weight is zero.
fn loess_at(y: &[f64], rw: &[f64], q: usize, x0: f64) -> Option<f64> {
    let n = y.len();
    let q = q.max(2);
    // The q nearest integer positions to x0 form a contiguous block.
    let (lo, hi) = if q >= n {
        (0, n)
    } else {
        let mut lo = (x0 - (q as f64 - 1.0) / 2.0).round().max(0.0) as usize;
        lo = lo.min(n - q);
        (lo, lo + q)
    };
    let mut h = (x0 - lo as f64).abs().max((hi - 1) as f64 - x0);
    if q > n {
        h += ((q - n) / 2) as f64;
    }
    let h = h.max(1e-12);
    // Sums with robustness weights, and without them for a window whose every robustness
    // weight is zero (the Fortran falls back to the raw value there, which hands an outlier
    // its own seasonal value when its neighbours were pulled beyond the bisquare's reach).
    let mut robust = [0.0f64; 5];
    let mut plain = [0.0f64; 5];
    for j in lo..hi {
        let d = (j as f64 - x0).abs() / h;
        if d >= 1.0 {
            continue;
        }
        let t = 1.0 - d * d * d;
        let w = t * t * t;
        let xj = j as f64 - x0;
        let terms = [w, w * xj, w * y[j], w * xj * xj, w * xj * y[j]];
        for k in 0..5 {
            plain[k] += terms[k];
            robust[k] += terms[k] * rw[j];
        }
    }
    let [sw, swx, swy, swxx, swxy] = if robust[0] > 0.0 { robust } else { plain };
    if sw <= 0.0 {
        return None;
    }
    let mean_x = swx / sw;
    let var_x = swxx / sw - mean_x * mean_x;
    let mean_y = swy / sw;
    // Degree 1; a degenerate spread falls back to the weighted mean (degree 0).
    if var_x.abs() < 1e-12 {
        return Some(mean_y);
    }
    let slope = (swxy / sw - mean_x * mean_y) / var_x;
    Some(mean_y + slope * (0.0 - mean_x))
}

/// Loess at every position 0..n (every `jump` points, interpolated), plus optionally at −1
/// and n (the cycle-subseries extension).
fn loess(y: &[f64], rw: &[f64], q: usize, extend: bool) -> Vec<f64> {
    let n = y.len();
    let (first, last) = if extend { (-1i64, n as i64) } else { (0, n as i64 - 1) };
    let jump = q.div_ceil(10).max(1) as i64;
    let mut at: Vec<i64> = (first..=last).step_by(jump as usize).collect();
    if *at.last().unwrap_or(&first) != last {
        at.push(last);
    }
    let fitted: Vec<f64> = at
        .iter()
        .map(|&x| loess_at(y, rw, q, x as f64).unwrap_or_else(|| y[(x.clamp(0, n as i64 - 1)) as usize]))
        .collect();
    let mut out = Vec::with_capacity((last - first + 1) as usize);
    for k in 0..at.len() {
        out.push(fitted[k]);
        if k + 1 < at.len() {
            let (a, b) = (at[k], at[k + 1]);
            for x in a + 1..b {
                let t = (x - a) as f64 / (b - a) as f64;
                out.push(fitted[k] + t * (fitted[k + 1] - fitted[k]));
            }
        }
    }
    out
}

fn moving_average(x: &[f64], w: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len().saturating_sub(w) + 1);
    let mut sum: f64 = x[..w].iter().sum();
    out.push(sum / w as f64);
    for i in w..x.len() {
        sum += x[i] - x[i - w];
        out.push(sum / w as f64);
    }
    out
}

/// Decompose `y` with season length `period` (≥ 2; the series needs two full seasons) and a
/// seasonal smoother of `seasonal` cycles (odd, ≥ 3), or `None` for a periodic season (every
/// cycle the same: the robustness-weighted mean of each cycle-subseries, R's
/// `s.window = "periodic"`).
pub fn stl(y: &[f64], period: usize, seasonal_window: Option<usize>, robust: bool) -> Decomposition {
    let n = y.len();
    let np = period.max(2);
    // The trend smoother follows the paper's rule; a periodic season counts as a very long one.
    let ns = seasonal_window.map(|w| next_odd(w.max(3) as f64)).unwrap_or(10 * y.len() + 1);
    let nt = next_odd(1.5 * np as f64 / (1.0 - 1.5 / ns as f64));
    let nl = next_odd(np as f64);
    let (inner, outer) = if robust { (2, 15) } else { (5, 0) };
    let mut trend = vec![0.0; n];
    let mut seasonal = vec![0.0; n];
    let mut rw = vec![1.0; n];
    for o in 0..=outer {
        for _ in 0..inner {
            crate::interrupt::check();
            // Cycle-subseries smoothing of the detrended series, extended one cycle each side.
            let detrended: Vec<f64> = (0..n).map(|i| y[i] - trend[i]).collect();
            let mut c = vec![0.0; n + 2 * np];
            for k in 0..np {
                let idx: Vec<usize> = (k..n).step_by(np).collect();
                let sub: Vec<f64> = idx.iter().map(|&i| detrended[i]).collect();
                let subw: Vec<f64> = idx.iter().map(|&i| rw[i]).collect();
                let smooth = match seasonal_window {
                    Some(_) => loess(&sub, &subw, ns, true),
                    None => {
                        let total: f64 = subw.iter().sum();
                        let mean = if total > 0.0 {
                            sub.iter().zip(&subw).map(|(v, w)| v * w).sum::<f64>() / total
                        } else {
                            sub.iter().sum::<f64>() / sub.len().max(1) as f64
                        };
                        vec![mean; sub.len() + 2]
                    }
                };
                for (j, v) in smooth.into_iter().enumerate() {
                    c[k + j * np] = v;
                }
            }
            // Low-pass filter of C: MA(np), MA(np), MA(3), loess(nl).
            let l = moving_average(&moving_average(&moving_average(&c, np), np), 3);
            let ones = vec![1.0; l.len()];
            let l = loess(&l, &ones, nl, false);
            for i in 0..n {
                seasonal[i] = c[np + i] - l[i];
            }
            let deseasonal: Vec<f64> = (0..n).map(|i| y[i] - seasonal[i]).collect();
            trend = loess(&deseasonal, &rw, nt, false);
        }
        if o < outer {
            // Bisquare robustness weights on |R| / (6 · median |R|).
            let r: Vec<f64> = (0..n).map(|i| (y[i] - seasonal[i] - trend[i]).abs()).collect();
            // The median by selection (O(n)), the upper middle value for an even count.
            let mut work = r.clone();
            let (_, median, _) = work.select_nth_unstable_by(n / 2, f64::total_cmp);
            let h = 6.0 * *median;
            // A (nearly) exact fit leaves nothing to down-weight.
            let scale = r.iter().copied().fold(0.0, f64::max);
            for i in 0..n {
                let u = if h > 1e-9 * scale.max(1e-300) { r[i] / h } else { 0.0 };
                rw[i] = if u < 1.0 { (1.0 - u * u).powi(2) } else { 0.0 };
            }
        }
    }
    let residual = (0..n).map(|i| y[i] - seasonal[i] - trend[i]).collect();
    Decomposition { seasonal, trend, residual }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_trend_and_season_of_a_clean_series() {
        let n = 480;
        let y: Vec<f64> =
            (0..n).map(|i| 0.05 * i as f64 + 3.0 * (2.0 * std::f64::consts::PI * i as f64 / 24.0).sin()).collect();
        let d = stl(&y, 24, Some(7), true);
        for i in 48..n - 48 {
            assert!((d.trend[i] - 0.05 * i as f64).abs() < 0.15, "trend at {i}: {}", d.trend[i]);
            let s = 3.0 * (2.0 * std::f64::consts::PI * i as f64 / 24.0).sin();
            assert!((d.seasonal[i] - s).abs() < 0.2, "season at {i}: {} vs {s}", d.seasonal[i]);
            assert!(d.residual[i].abs() < 0.2);
        }
    }

    #[test]
    fn robust_loops_keep_an_outlier_in_the_residual() {
        let n = 480;
        let noise = |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 * 0.4 - 0.2;
        let mut y: Vec<f64> =
            (0..n).map(|i| 10.0 + 3.0 * (2.0 * std::f64::consts::PI * i as f64 / 24.0).sin() + noise(i)).collect();
        y[250] += 20.0;
        let d = stl(&y, 24, Some(7), true);
        assert!(d.residual[250] > 18.0, "{}", d.residual[250]);
        // Its neighbours' seasonal and trend values are not dragged up by it.
        assert!(d.residual[250 - 24].abs() < 0.6 && d.residual[251].abs() < 0.6);
    }

    #[test]
    fn loess_of_a_line_is_the_line() {
        let y: Vec<f64> = (0..50).map(|i| 2.0 * i as f64 + 1.0).collect();
        let w = vec![1.0; 50];
        let fit = loess(&y, &w, 7, true);
        assert_eq!(fit.len(), 52);
        assert!((fit[0] - (-1.0)).abs() < 1e-9); // extrapolated at −1
        for (k, v) in fit.iter().enumerate().skip(1).take(50) {
            assert!((v - y[k - 1]).abs() < 1e-9);
        }
    }
}
