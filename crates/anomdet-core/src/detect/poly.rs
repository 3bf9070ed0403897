//! POLY (TSB-AD's `POLY`, after Li et al.): cut the series into blocks of `window` points; for
//! each block, fit a polynomial of degree `power` by least squares to the neighbourhood around
//! it (half of `neighbourhood` points on each side, the block itself left out), and predict the
//! block. The prediction is the expected value. TSB-AD scores each block by ‖FFT(x) − FFT(x̂)‖/w,
//! which by Parseval is the block's RMS residual (`method` "block"); by default each point is
//! scored by its own residual |x − x̂|, so a spike flags one point instead of a whole block.
//! Batch only: the fit looks both ways. O(n · power) time.

use crate::parts::window_model::{THRESHOLD, WINDOW, min_points};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{ParamSpec, Params};
use crate::state::StateError;
use crate::subsequence::{flag_by_robust_z, robust_cut, window_length};
use serde::{Deserialize, Serialize};
use crate::tabular::linalg::solve_spd;

const PARAMS: &[ParamSpec] = &[
    WINDOW,
    ParamSpec::int("power", 3.0, 0.0, 8.0, "degree of the polynomial"),
    ParamSpec::int(
        "neighbourhood",
        0.0,
        0.0,
        1_000_000.0,
        "points the polynomial is fitted on, half each side of the block; 0: max(10 × window, 100)",
    ),
    ParamSpec::choice(
        "method",
        &["point", "block"],
        0,
        "score each point by its residual, or every point of a block by the block's RMS residual (TSB-AD)",
    ),
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "poly",
    family: "forecasting",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "polynomial fitted around each block of points, the block left out (TSB-AD's POLY): residual from it; the default cubic over max(10 × window, 100) points cannot follow a wave shorter than that, and its misfit swamps single spikes (set neighbourhood below a period)",
    finds: Finds::Spikes,
    min_points,
    cost: Cost { batch: Pass::linear(0.59), online: None },
    memory: Memory::WINDOWS,
    build: |p| Box::new(Poly::new(p)),
};

#[derive(Serialize, Deserialize)]
struct Poly {
    window: usize,
    power: usize,
    neighbourhood: usize,
    by_block: bool,
    threshold: f64,
    fitted: Option<Fitted>,
}

/// As a model, each block of `block` new values is predicted from the `half` values before it
/// (a one-sided fit, so a line), as batch mode predicts a block from its neighbourhood; a value
/// is scored by its residual (by block: the RMS of the last `block` residuals) and flagged above
/// the cut the training stretch's own one-sided scores set.
#[derive(Serialize, Deserialize)]
struct Fitted {
    block: usize,
    half: usize,
    cut: f64,
    /// The last `half` values, flagged ones replaced by their prediction.
    recent: Vec<f64>,
    /// The predictions left for the current block, next first.
    ahead: Vec<f64>,
    /// The last `block` residuals.
    residuals: Vec<f64>,
}

impl Fitted {
    fn step(&mut self, x: f64, power: usize, by_block: bool) -> (f64, f64) {
        if self.ahead.is_empty() {
            let h = self.recent.len();
            let at: Vec<usize> = (0..h).collect();
            self.ahead = fit_and_predict(&self.recent, &at, h..h + self.block, power);
            self.ahead.reverse();
        }
        let predicted = self.ahead.pop().unwrap_or(f64::NAN);
        if self.residuals.len() == self.block {
            self.residuals.remove(0);
        }
        self.residuals.push((x - predicted).abs());
        let score = if by_block {
            (self.residuals.iter().map(|r| r * r).sum::<f64>() / self.residuals.len() as f64).sqrt()
        } else {
            (x - predicted).abs()
        };
        (score, predicted)
    }

    fn keep(&mut self, kept: f64) {
        self.recent.push(kept);
        if self.recent.len() > self.half {
            self.recent.remove(0);
        }
    }
}

impl Poly {
    fn new(p: &Params) -> Poly {
        Poly {
            window: p.int("window"),
            power: p.int("power"),
            neighbourhood: p.int("neighbourhood"),
            by_block: p.int("method") == 1,
            threshold: p.float("threshold"),
            fitted: None,
        }
    }

    /// The window (block) length and the half-neighbourhood for a series.
    fn lengths(&self, xs: &[f64]) -> (usize, usize) {
        let w = window_length(xs, self.window).min(xs.len());
        let half = match self.neighbourhood {
            0 => (10 * w).max(100),
            given => given,
        }
        .div_ceil(2);
        (w, half)
    }
}

/// Least-squares polynomial through the points (i, xs[i]) for i in `at`, evaluated at each
/// index of `block`. At the ends of the series the neighbourhood is one-sided and a cubic
/// extrapolated over a block runs away, so there the degree is at most 1, and every prediction
/// is clipped to the fitted values' range widened by its width each side. Indices are centred
/// and scaled to about [−1, 1] for conditioning; a singular fit falls back to a lower degree.
fn fit_and_predict(xs: &[f64], at: &[usize], block: std::ops::Range<usize>, power: usize) -> Vec<f64> {
    let centre = (block.start + block.end) as f64 / 2.0;
    let half = at.iter().map(|&i| (i as f64 - centre).abs()).fold(1.0, f64::max);
    let t = |i: usize| (i as f64 - centre) / half;
    let two_sided = at.first().is_some_and(|&i| i < block.start) && at.last().is_some_and(|&i| i >= block.end);
    let power = if two_sided { power } else { power.min(1) };
    let (lo, hi) = at.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &i| (l.min(xs[i]), h.max(xs[i])));
    let (lo, hi) = (lo - (hi - lo), hi + (hi - lo));
    for degree in (0..=power.min(at.len().saturating_sub(1))).rev() {
        let d = degree + 1;
        let (mut a, mut b) = (vec![0.0; d * d], vec![0.0; d]);
        let mut powers = vec![0.0; 2 * d - 1];
        for &i in at {
            let (ti, mut p) = (t(i), 1.0);
            for v in powers.iter_mut() {
                *v = p;
                p *= ti;
            }
            for r in 0..d {
                b[r] += powers[r] * xs[i];
                for c in 0..d {
                    a[r * d + c] += powers[r + c];
                }
            }
        }
        if let Some(coef) = solve_spd(&a, &b, d) {
            return block.map(|i| coef.iter().rev().fold(0.0, |acc, c| acc * t(i) + c).clamp(lo, hi)).collect();
        }
    }
    vec![f64::NAN; block.len()]
}

impl Detector for Poly {
    /// Batch only, unless fitted as a model.
    fn update(&mut self, x: f64) -> Scored {
        let (power, by_block) = (self.power, self.by_block);
        let Some(fitted) = &mut self.fitted else { return Scored::WARMUP };
        let (score, predicted) = fitted.step(x, power, by_block);
        let flagged = score > fitted.cut;
        fitted.keep(if flagged { predicted } else { x });
        Scored::unbounded(score, flagged, Some(predicted))
    }

    /// A model: the training stretch scored one-sidedly, value by value as new values will
    /// be, sets the cut (robust z as in batch mode); its last `half` values start the history.
    fn fit(&mut self, xs: &[f64]) {
        if xs.len() < 3 {
            return;
        }
        let (w, half) = self.lengths(xs);
        let start = half.min(xs.len() / 2).max(2);
        let mut fitted = Fitted {
            block: w,
            half,
            cut: f64::INFINITY,
            recent: xs[..start].to_vec(),
            ahead: Vec::new(),
            residuals: Vec::new(),
        };
        let mut scores = Vec::with_capacity(xs.len() - start);
        for (i, &x) in xs.iter().enumerate().skip(start) {
            crate::interrupt::check_every(i);
            scores.push(fitted.step(x, self.power, self.by_block).0);
            fitted.keep(x);
        }
        fitted.cut = robust_cut(&scores, self.threshold);
        self.fitted = Some(fitted);
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let n = xs.len();
        if n < 2 {
            return vec![Scored::WARMUP; n];
        }
        let (w, half) = self.lengths(xs);
        let mut expected = Vec::with_capacity(n);
        let mut scores = Vec::with_capacity(n);
        let mut at = Vec::with_capacity(2 * half);
        for start in (0..n).step_by(w) {
            crate::interrupt::check_every(start);
            let end = (start + w).min(n);
            at.clear();
            at.extend(start.saturating_sub(half)..start);
            at.extend(end..(end + half).min(n));
            let predicted = fit_and_predict(xs, &at, start..end, self.power);
            let residuals: Vec<f64> = (start..end).map(|i| (xs[i] - predicted[i - start]).abs()).collect();
            if self.by_block {
                let rms = (residuals.iter().map(|r| r * r).sum::<f64>() / residuals.len() as f64).sqrt();
                scores.extend(std::iter::repeat_n(rms, residuals.len()));
            } else {
                scores.extend(residuals);
            }
            expected.extend(predicted);
        }
        let mut out = flag_by_robust_z(&scores, Some(&expected), self.threshold);
        for s in out.iter_mut().filter(|s| s.score.is_some_and(f64::is_nan)) {
            *s = Scored::WARMUP; // no neighbourhood to fit (a series of one block)
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: serde_json::Value) -> Params {
        Params::parse("poly", PARAMS, Some(&json)).unwrap()
    }

    #[test]
    fn a_cubic_is_predicted_exactly_from_its_neighbourhood() {
        let xs: Vec<f64> = (0..400).map(|i| 0.001 * (i as f64 - 200.0).powi(3) - 0.5 * i as f64 + 7.0).collect();
        let at: Vec<usize> = (100..150).chain(170..220).collect();
        let predicted = fit_and_predict(&xs, &at, 150..170, 3);
        for (k, p) in predicted.iter().enumerate() {
            assert!((p - xs[150 + k]).abs() < 1e-6 * xs[150 + k].abs().max(1.0), "{k}: {p} vs {}", xs[150 + k]);
        }
    }

    #[test]
    fn a_prediction_past_the_end_stays_near_the_values_fitted() {
        let xs: Vec<f64> = (0..300).map(|i| (i as f64 / 20.0).sin() + 0.001 * (i as f64).powi(2)).collect();
        let at: Vec<usize> = (0..200).collect();
        let (lo, hi) = (-1.0, 40.0);
        let predicted = fit_and_predict(&xs, &at, 200..300, 3);
        assert!(predicted.iter().all(|p| (lo - (hi - lo)..=hi + (hi - lo)).contains(p)), "{predicted:?}");
        // A straight line is extrapolated exactly.
        let line: Vec<f64> = (0..300).map(|i| 3.0 - 0.5 * i as f64).collect();
        let predicted = fit_and_predict(&line, &at, 200..300, 3);
        assert!(predicted.iter().enumerate().all(|(k, p)| (p - line[200 + k]).abs() < 1e-6));
    }

    #[test]
    fn a_spike_on_a_trend_is_flagged_alone_with_the_trend_as_expected() {
        let noise = super::super::tests::white_noise(1000, 0.1);
        let mut xs: Vec<f64> = (0..1000).map(|i| 0.02 * i as f64 + noise[i]).collect();
        xs[600] += 5.0;
        let out = (INFO.build)(&params(serde_json::json!({ "window": 20 }))).score_batch(&xs);
        let flagged: Vec<usize> = (0..1000).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert_eq!(flagged, vec![600]);
        assert!((out[600].expected.unwrap() - 12.0).abs() < 0.2, "{:?}", out[600].expected);
    }

    #[test]
    fn block_scores_are_the_rms_residual_of_the_block() {
        let mut xs: Vec<f64> = (0..500).map(|i| i as f64).collect();
        xs[205] += 10.0;
        let out =
            (INFO.build)(&params(serde_json::json!({ "window": 10, "power": 1, "method": "block" }))).score_batch(&xs);
        // A line is fitted exactly around the block 200..210; its RMS residual is 10/√10.
        for s in &out[200..210] {
            assert!((s.score.unwrap() - 10.0 / 10f64.sqrt()).abs() < 1e-6);
        }
        // Blocks whose neighbourhood (50 points each side) misses the spike fit the line exactly.
        assert!(out[100].score.unwrap() < 1e-6 && out[260].score.unwrap() < 1e-6);
    }
}
