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
    let tricube = |j: usize| {
        let d = (j as f64 - x0).abs() / h;
        if d >= 1.0 {
            return 0.0;
        }
        let t = 1.0 - d * d * d;
        t * t * t
    };
    fit_line(y, rw, lo..hi, x0, tricube)
}

/// The tricube weights of the offsets −half..=half of an odd window, times the offset and its
/// square: what every interior point's fit shares (its q nearest positions are centred on it and
/// the bandwidth is half, exactly as `loess_at` finds them).
struct Kernel {
    w: Vec<f64>,
    wx: Vec<f64>,
    wxx: Vec<f64>,
}

impl Kernel {
    fn new(q: usize) -> Kernel {
        let half = (q / 2) as f64;
        let w: Vec<f64> = (0..q)
            .map(|k| {
                let d = (k as f64 - half).abs() / half;
                let t = 1.0 - d * d * d;
                if d >= 1.0 { 0.0 } else { t * t * t }
            })
            .collect();
        let wx: Vec<f64> = w.iter().enumerate().map(|(k, w)| w * (k as f64 - half)).collect();
        let wxx: Vec<f64> = wx.iter().enumerate().map(|(k, wx)| wx * (k as f64 - half)).collect();
        Kernel { w, wx, wxx }
    }

    /// The fit at interior `x0`, given `ry` = rw·y; None when every robustness weight in the
    /// window is zero (the caller then takes `loess_at`'s fallback). Sums run in four lanes so
    /// they vectorise; the result equals `loess_at`'s up to rounding.
    fn fit(&self, rw: &[f64], ry: &[f64], x0: usize) -> Option<f64> {
        let q = self.w.len();
        let lo = x0 - q / 2;
        let (rw, ry) = (&rw[lo..lo + q], &ry[lo..lo + q]);
        let mut acc = [[0.0f64; 4]; 5];
        let chunks = q / 4 * 4;
        for i in (0..chunks).step_by(4) {
            // Lane l of every sum: four independent chains the compiler can run side by side.
            #[allow(clippy::needless_range_loop)]
            for l in 0..4 {
                let j = i + l;
                acc[0][l] += self.w[j] * rw[j];
                acc[1][l] += self.wx[j] * rw[j];
                acc[2][l] += self.w[j] * ry[j];
                acc[3][l] += self.wxx[j] * rw[j];
                acc[4][l] += self.wx[j] * ry[j];
            }
        }
        for j in chunks..q {
            acc[0][0] += self.w[j] * rw[j];
            acc[1][0] += self.wx[j] * rw[j];
            acc[2][0] += self.w[j] * ry[j];
            acc[3][0] += self.wxx[j] * rw[j];
            acc[4][0] += self.wx[j] * ry[j];
        }
        let [sw, swx, swy, swxx, swxy] = acc.map(|lanes| (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]));
        (sw > 0.0).then(|| line_at_zero(sw, swx, swy, swxx, swxy))
    }
}

/// The weighted least-squares line through (j, y[j]) for j in `range`, with weights
/// `weight(j) · rw[j]`, evaluated at `x0`. A window whose every robustness weight is zero is
/// fitted without them (the Fortran falls back to the raw value there, which hands an outlier
/// its own seasonal value when its neighbours were pulled beyond the bisquare's reach); None
/// when every weight is zero.
fn fit_line(
    y: &[f64],
    rw: &[f64],
    range: std::ops::Range<usize>,
    x0: f64,
    weight: impl Fn(usize) -> f64,
) -> Option<f64> {
    let sums = |robust: bool| {
        let mut s = [0.0f64; 5];
        for j in range.clone() {
            let w = weight(j);
            if w == 0.0 {
                continue;
            }
            let xj = j as f64 - x0;
            let terms = [w, w * xj, w * y[j], w * xj * xj, w * xj * y[j]];
            let r = if robust { rw[j] } else { 1.0 };
            for k in 0..5 {
                s[k] += terms[k] * r;
            }
        }
        s
    };
    let robust = sums(true);
    let [sw, swx, swy, swxx, swxy] = if robust[0] > 0.0 { robust } else { sums(false) };
    (sw > 0.0).then(|| line_at_zero(sw, swx, swy, swxx, swxy))
}

/// The weighted least-squares line from its sums (x measured from the point), at x = 0.
fn line_at_zero(sw: f64, swx: f64, swy: f64, swxx: f64, swxy: f64) -> f64 {
    let mean_x = swx / sw;
    let var_x = swxx / sw - mean_x * mean_x;
    let mean_y = swy / sw;
    // Degree 1; a degenerate spread falls back to the weighted mean (degree 0).
    if var_x.abs() < 1e-12 {
        return mean_y;
    }
    let slope = (swxy / sw - mean_x * mean_y) / var_x;
    mean_y + slope * (0.0 - mean_x)
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
    // Interior points of an odd window share one kernel.
    let half = q.max(2) / 2;
    let kernel = (q % 2 == 1 && q >= 3 && q < n).then(|| Kernel::new(q));
    let ry: Vec<f64> = if kernel.is_some() { y.iter().zip(rw).map(|(y, w)| y * w).collect() } else { Vec::new() };
    let fitted: Vec<f64> = at
        .iter()
        .map(|&x| {
            let interior = x >= half as i64 && x + (half as i64) < n as i64;
            let fit = match &kernel {
                Some(k) if interior => k.fit(rw, &ry, x as usize).or_else(|| loess_at(y, rw, q, x as f64)),
                _ => loess_at(y, rw, q, x as f64),
            };
            fit.unwrap_or_else(|| y[(x.clamp(0, n as i64 - 1)) as usize])
        })
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

/// Each cycle-subseries (the values at one phase of the season) smoothed by loess over `ns`
/// cycles and extended one cycle each side: C, of length n + 2·np, C[k + j·np] for phase k.
fn smoothed_cycles(detrended: &[f64], rw: &[f64], np: usize, ns: usize) -> Vec<f64> {
    let n = detrended.len();
    let mut c = vec![0.0; n + 2 * np];
    for k in 0..np {
        let sub: Vec<f64> = detrended[k..].iter().step_by(np).copied().collect();
        let subw: Vec<f64> = rw[k..].iter().step_by(np).copied().collect();
        for (j, v) in loess(&sub, &subw, ns, true).into_iter().enumerate() {
            c[k + j * np] = v;
        }
    }
    c
}

/// A periodic season: every cycle-subseries is its robustness-weighted mean (the median when
/// all its weights are zero), so C[p] is the mean of phase p mod np. One sequential pass,
/// where gathering each phase's values with a stride of np missed the cache at every value.
fn periodic_cycles(detrended: &[f64], rw: &[f64], np: usize) -> Vec<f64> {
    let mut weighted = vec![0.0; np];
    let mut weights = vec![0.0; np];
    // Cycle by cycle rather than i % np: an integer division per value was a tenth of the time.
    for (cycle_values, cycle_weights) in detrended.chunks(np).zip(rw.chunks(np)) {
        for (k, (&v, &w)) in cycle_values.iter().zip(cycle_weights).enumerate() {
            weighted[k] += v * w;
            weights[k] += w;
        }
    }
    let mean: Vec<f64> = (0..np)
        .map(|k| {
            if weights[k] > 0.0 {
                weighted[k] / weights[k]
            } else {
                // Every value of this phase was pushed beyond the bisquare's reach, usually by one
                // outlier that pulled the first season towards itself: the median of the phase,
                // which the outlier cannot move, lets the next pass give its mates their weight back.
                let mut phase: Vec<f64> = detrended[k..].iter().step_by(np).copied().collect();
                phase.sort_by(f64::total_cmp);
                if phase.is_empty() { 0.0 } else { crate::series::quantile_sorted(&phase, 0.5) }
            }
        })
        .collect();
    let total = detrended.len() + 2 * np;
    mean.iter().copied().cycle().take(total).collect()
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
            let c = match seasonal_window {
                Some(_) => smoothed_cycles(&detrended, &rw, np, ns),
                None => periodic_cycles(&detrended, &rw, np),
            };
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
    fn the_interior_kernel_gives_what_the_general_loess_gives() {
        let y = crate::detect::tests::white_noise(300, 5.0);
        let mut rw: Vec<f64> = crate::detect::tests::white_noise(300, 1.0).iter().map(|v| v.abs()).collect();
        rw[100..110].iter_mut().for_each(|w| *w = 0.0);
        let ry: Vec<f64> = y.iter().zip(&rw).map(|(y, w)| y * w).collect();
        for q in [3usize, 7, 31, 101] {
            let kernel = Kernel::new(q);
            for x0 in q / 2..300 - q / 2 {
                let general = loess_at(&y, &rw, q, x0 as f64).unwrap();
                match kernel.fit(&rw, &ry, x0) {
                    Some(fast) => assert!((general - fast).abs() <= 1e-9 * general.abs().max(1.0), "q {q} at {x0}"),
                    // Only where every robustness weight the kernel reaches is zero.
                    None => assert!(rw[x0 + 1 - q / 2..x0 + q / 2].iter().all(|&w| w == 0.0), "q {q} at {x0}"),
                }
            }
        }
    }

    #[test]
    fn a_big_outlier_does_not_shift_its_phase_of_a_periodic_season() {
        // Quiet noise and an outlier 80 noise-widths high: the first pass pulls its phase's mean
        // so far that every value of that phase loses its robustness weight.
        let noise = crate::detect::tests::white_noise(1000, 0.3);
        let mut y: Vec<f64> = (0..1000).map(|i| (i as f64 / 20.0).sin() * 2.0 + noise[i]).collect();
        y[200] += 25.0;
        let d = stl(&y, 126, None, true);
        assert!(d.residual[200] > 20.0);
        for mate in [74, 326, 452, 578, 704, 830, 956] {
            assert!(d.residual[mate].abs() < 0.6, "phase mate {mate}: {}", d.residual[mate]);
        }
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
