//! ADTK `VolatilityShiftAD`: at each point, the standard deviation of the `window` values from
//! it onward relative to that of the `window` values before it, (sd_after − sd_before) /
//! sd_before; IQR fences on that ratio (c = 6), flagging rises in volatility (ADTK's default
//! side). Needs values after the point: batch mode only.

use crate::parts::fences::{FittedFences, Least, Side, judge_all};
use crate::resolution::Resolution;

/// The least IQR of the relative changes in spread: 10%. On quantized or constant stretches
/// the spread, and so its changes, are 0 for long runs, and an IQR of 0 made a small change
/// score 1e9.
const LEAST_CHANGE: Least = Least::Fixed(0.1);
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("window", 10.0, 2.0, 100_000.0, "values on each side whose standard deviations are compared"),
    ParamSpec::float("c", 6.0, Bound::excl(0.0), Bound::incl(1e6), "fence width in interquartile ranges"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "volatility_shift",
    family: "ADTK",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "ADTK VolatilityShiftAD: relative rise of the rolling standard deviation, by interquartile fences",
    finds: Finds::VolatilityShifts,
    min_points: |p| 2 * p.int("window") + 10,
    cost: Cost { batch: Pass::linear(0.17), online: None },
    memory: Memory::Series,
    build: |p| Box::new(VolatilityShift { window: p.int("window"), c: p.float("c"), fitted: None }),
};

#[derive(Serialize, Deserialize)]
struct VolatilityShift {
    window: usize,
    c: f64,
    /// The fences and last values of the stretch it was fitted on, when it was.
    fitted: Option<FittedFences>,
}

impl VolatilityShift {
    /// The relative change of the rolling sd at each index.
    fn differences(&self, xs: &[f64]) -> (Vec<f64>, Option<Vec<f64>>) {
        let from = rolling_sd_from(xs, self.window);
        let w = self.window;
        // A spread below half the values' resolution is not measurable.
        let least = Resolution::of(xs).floor(0.0, 0.0);
        let d = (0..xs.len())
            .map(|i| if i < w { f64::NAN } else { (from[i].max(least) - from[i - w].max(least)) / from[i - w].max(least) })
            .collect();
        (d, None)
    }
}

/// Sample sd of each run of `w` values starting at i (NaN where fewer remain), by running sums.
fn rolling_sd_from(xs: &[f64], w: usize) -> Vec<f64> {
    let n = xs.len();
    let mut out = vec![f64::NAN; n];
    if w > n || w < 2 {
        return out;
    }
    let shift = xs[0];
    let (mut s, mut q) = (0.0, 0.0);
    for &x in &xs[..w] {
        s += x - shift;
        q += (x - shift) * (x - shift);
    }
    let sd = |s: f64, q: f64| ((q - s * s / w as f64) / (w - 1) as f64).max(0.0).sqrt();
    out[0] = sd(s, q);
    for i in 1..=n - w {
        crate::interrupt::check_every(i);
        let (old, new) = (xs[i - 1] - shift, xs[i + w - 1] - shift);
        s += new - old;
        q += new * new - old * old;
        out[i] = sd(s, q);
    }
    out
}

impl Detector for VolatilityShift {
    /// Batch only, unless fitted as a model: then each value is judged as it arrives, by the
    /// change its last `window` values show (a shift is seen `window` values after it starts).
    fn update(&mut self, x: f64) -> Scored {
        let (c, window) = (self.c, self.window);
        let Some(mut fitted) = self.fitted.take() else { return Scored::WARMUP };
        let scored = fitted.update(x, 2 * window, c, Side::Positive, |ext| self.differences(ext));
        self.fitted = Some(fitted);
        scored
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let (d, _) = self.differences(xs);
        judge_all(xs, &d, None, self.c, Side::Positive, LEAST_CHANGE)
    }

    /// A model: the fences of the training stretch and its last `window` values.
    fn fit(&mut self, xs: &[f64]) {
        let (d, _) = self.differences(xs);
        self.fitted = FittedFences::fit(xs, &d, 2 * self.window, LEAST_CHANGE);
    }

    fn score_fitted(&mut self, xs: &[f64]) -> Vec<Scored> {
        match &self.fitted {
            Some(fitted) => fitted.score(xs, self.c, Side::Positive, |ext| self.differences(ext)),
            None => self.score_batch(xs),
        }
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_sd_matches_direct() {
        let xs = [1.0, 2.0, 4.0, 7.0, 11.0];
        let sd = rolling_sd_from(&xs, 3);
        let direct = |s: &[f64]| crate::series::mean_sd(s).1;
        for i in 0..3 {
            assert!((sd[i] - direct(&xs[i..i + 3])).abs() < 1e-12);
        }
        assert!(sd[3].is_nan());
    }

    #[test]
    fn rising_noise_is_flagged_at_its_start() {
        let noise = |i: usize| ((i * 7919) % 100) as f64 / 100.0 - 0.5;
        let xs: Vec<f64> = (0..400).map(|i| noise(i) * if i >= 200 { 6.0 } else { 1.0 }).collect();
        let out = (INFO.build)(&crate::Params::defaults(PARAMS)).score_batch(&xs);
        let flagged: Vec<usize> = (0..400).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert!(flagged.contains(&200) || flagged.contains(&199) || flagged.contains(&201), "{flagged:?}");
        assert!(flagged.iter().all(|&i| (185..=215).contains(&i)), "{flagged:?}");
    }
}
