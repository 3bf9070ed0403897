//! Extreme-value machinery of SPOT (Siffer, Fouque, Termier, Largouët; KDD 2017): a
//! generalized Pareto distribution fitted to the excesses over a high threshold t by
//! Grimshaw's maximum-likelihood method, and the threshold z_q exceeded with probability q.

use crate::log_sums::{sum_ln_1p_scaled, sum_reciprocal_and_ln_1p_scaled};
use serde::{Deserialize, Serialize};

/// GPD shape γ and scale σ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gpd {
    pub gamma: f64,
    pub sigma: f64,
}

/// Log-likelihood of the excesses `y` under a GPD (−∞ outside its support). For γ = 0 this is
/// the exponential's −n(1 + ln σ) at σ = mean; Siffer's reference code has the sign flipped
/// there, which we do not copy.
pub fn log_likelihood(y: &[f64], g: Gpd) -> f64 {
    let n = y.len() as f64;
    if g.sigma <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if g.gamma.abs() < 1e-12 {
        return -n * g.sigma.ln() - y.iter().sum::<f64>() / g.sigma;
    }
    let tau = g.gamma / g.sigma;
    let sum = sum_ln_1p_scaled(y, tau);
    // Some 1 + τ·y is not positive (a logarithm of −∞ or NaN): outside the support.
    if sum.is_nan() || sum == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    -n * g.sigma.ln() - (1.0 + 1.0 / g.gamma) * sum
}

/// Grimshaw's equation w(x) = u(x)·v(x) − 1 with u = mean 1/(1 + x y), v = 1 + mean ln(1 + x y):
/// its roots x give candidate MLEs γ = v(x) − 1, σ = γ / x.
fn grimshaw_w(y: &[f64], x: f64) -> f64 {
    let (u, v) = sum_reciprocal_and_ln_1p_scaled(y, x);
    let n = y.len() as f64;
    (u / n) * (1.0 + v / n) - 1.0
}

/// Roots of `f` between consecutive points of `grid` (ascending) where it changes sign,
/// refined by regula falsi with the Illinois modification (superlinear, never leaves the bracket).
fn roots(f: impl Fn(f64) -> f64, grid: &[f64]) -> Vec<f64> {
    let values: Vec<f64> = grid.iter().map(|&x| f(x)).collect();
    let mut out = Vec::new();
    for k in 0..grid.len().saturating_sub(1) {
        let (mut a, mut b, mut fa, mut fb) = (grid[k], grid[k + 1], values[k], values[k + 1]);
        if !(fa.is_finite() && fb.is_finite()) || fa.signum() == fb.signum() {
            continue;
        }
        let mut side = 0i8;
        for _ in 0..50 {
            let c = (a * fb - b * fa) / (fb - fa);
            let fc = f(c);
            if fc == 0.0 || (b - a).abs() <= 1e-12 * c.abs().max(1e-300) {
                a = c;
                b = c;
                break;
            }
            if fc.signum() == fb.signum() {
                b = c;
                fb = fc;
                if side == -1 {
                    fa *= 0.5;
                }
                side = -1;
            } else {
                a = c;
                fa = fc;
                if side == 1 {
                    fb *= 0.5;
                }
                side = 1;
            }
        }
        out.push(0.5 * (a + b));
    }
    out
}

/// Fit a GPD to positive excesses `y` (Grimshaw 1993, as in SPOT): every root of w in the two
/// intervals where it can lie, plus the exponential (γ = 0); the best likelihood wins.
pub fn fit(y: &[f64]) -> Gpd {
    let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
    let exponential = Gpd { gamma: 0.0, sigma: mean.max(f64::MIN_POSITIVE) };
    let (ymin, ymax) = y.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    if y.len() < 3 || ymin.is_nan() || ymin <= 0.0 || ymax <= ymin {
        return exponential;
    }
    // Roots lie in (−1/Y_max, 0) (γ < 0) or in (0, 2(Ȳ − Y_min)/Y_min²] (γ > 0; Grimshaw
    // 1993). The positive interval can span many orders of magnitude, so its grid is
    // logarithmic. (SPOT's reference code searches from 2(Ȳ − Y_min)/(Ȳ Y_min) upward, which
    // misses the root when the smallest excess is tiny; we search the whole interval.)
    const POINTS: usize = 12;
    let lo = -1.0 / ymax;
    let left: Vec<f64> = (1..POINTS).map(|i| lo * (1.0 - i as f64 / POINTS as f64)).collect();
    let upper = 2.0 * (mean - ymin) / (ymin * ymin);
    let start = 1e-6 / mean;
    let right: Vec<f64> = if upper > start {
        (0..=POINTS).map(|i| start * (upper / start).powf(i as f64 / POINTS as f64)).collect()
    } else {
        Vec::new()
    };
    let w = |x: f64| grimshaw_w(y, x);
    let mut best = (exponential, log_likelihood(y, exponential));
    for x in roots(w, &left).into_iter().chain(roots(w, &right)) {
        let gamma = sum_ln_1p_scaled(y, x) / y.len() as f64;
        let candidate = Gpd { gamma, sigma: gamma / x };
        let ll = log_likelihood(y, candidate);
        if ll > best.1 {
            best = (candidate, ll);
        }
    }
    best.0
}

/// The value exceeded with probability `q`, given threshold `t`, `peaks` excesses out of `n`
/// values: z_q = t + σ/γ ((q n / N_t)^(−γ) − 1), or t − σ ln(q n / N_t) when γ = 0.
pub fn quantile(g: Gpd, t: f64, q: f64, n: usize, peaks: usize) -> f64 {
    let r = q * n as f64 / peaks.max(1) as f64;
    if g.gamma.abs() < 1e-12 { t - g.sigma * r.ln() } else { t + g.sigma / g.gamma * (r.powf(-g.gamma) - 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact GPD quantiles by inversion, deterministic: y_i = F⁻¹((i + 0.5)/n).
    fn gpd_sample(g: Gpd, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let p = (i as f64 + 0.5) / n as f64;
                if g.gamma == 0.0 {
                    -g.sigma * (1.0 - p).ln()
                } else {
                    g.sigma / g.gamma * ((1.0 - p).powf(-g.gamma) - 1.0)
                }
            })
            .collect()
    }

    #[test]
    fn recovers_the_parameters_of_gpd_samples() {
        for truth in [Gpd { gamma: 0.2, sigma: 1.5 }, Gpd { gamma: -0.2, sigma: 2.0 }, Gpd { gamma: 0.0, sigma: 1.0 }] {
            let fitted = fit(&gpd_sample(truth, 2000));
            assert!((fitted.gamma - truth.gamma).abs() < 0.03, "{truth:?} → {fitted:?}");
            assert!((fitted.sigma - truth.sigma).abs() / truth.sigma < 0.05, "{truth:?} → {fitted:?}");
        }
    }

    #[test]
    fn quantile_of_the_exponential_tail() {
        // Exponential excesses of scale 2 over t = 10 in 100 of 1000 values: the 1e-3 quantile
        // is t − 2 ln(1e-3 · 1000 / 100) = 10 + 2 ln 100.
        let z = quantile(Gpd { gamma: 0.0, sigma: 2.0 }, 10.0, 1e-3, 1000, 100);
        assert!((z - (10.0 + 2.0 * 100f64.ln())).abs() < 1e-12);
    }
}
