//! ADTK `LevelShiftAD`: at each point, the median of the `window` values from it onward minus
//! the median of the `window` values before it; IQR fences on that difference (c = 6, both
//! sides). It needs values after the point, so it runs in batch mode only.

use crate::parts::fences::{FittedFences, Least, Side, judge_all};
use crate::resolution::Resolution;
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::window::TrailingWindow;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("window", 10.0, 1.0, 100_000.0, "values on each side whose medians are compared"),
    ParamSpec::float("c", 6.0, Bound::excl(0.0), Bound::incl(1e6), "fence width in interquartile ranges"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "level_shift",
    family: "ADTK",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "ADTK LevelShiftAD: median after minus median before, judged by interquartile fences",
    finds: Finds::LevelShifts,
    min_points: |p| 2 * p.int("window") + 10,
    cost: Cost { batch: Pass::linear(0.22), online: None },
    memory: Memory::Series,
    build: |p| Box::new(LevelShift { window: p.int("window"), c: p.float("c"), fitted: None }),
};

#[derive(Serialize, Deserialize)]
struct LevelShift {
    window: usize,
    c: f64,
    /// The fences and last values of the stretch it was fitted on, when it was.
    fitted: Option<FittedFences>,
}

impl LevelShift {
    /// Median after minus median before at each index, and the medians before (the bases).
    fn differences(&self, xs: &[f64]) -> (Vec<f64>, Option<Vec<f64>>) {
        let before = medians_before(xs, self.window);
        let after = medians_from(xs, self.window);
        let d: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        (d, Some(before))
    }
}

/// Medians of the `w` values before each index (NaN until there are w).
pub fn medians_before(xs: &[f64], w: usize) -> Vec<f64> {
    let mut window = TrailingWindow::new(w);
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            crate::interrupt::check_every(i);
            let m = if window.is_full() { crate::series::quantile_sorted(window.sorted(), 0.5) } else { f64::NAN };
            window.push(x);
            m
        })
        .collect()
}

/// Medians of the `w` values from each index onward (NaN where fewer remain).
pub fn medians_from(xs: &[f64], w: usize) -> Vec<f64> {
    let reversed: Vec<f64> = xs.iter().rev().copied().collect();
    let mut before_rev = medians_before(&reversed, w);
    // medians_before on the reversed series at j covers reversed[j-w..j] = xs[n-j..n-j+w].
    before_rev.push({
        let mut last: Vec<f64> = reversed[reversed.len().saturating_sub(w)..].to_vec();
        last.sort_by(f64::total_cmp);
        if last.len() == w { crate::series::quantile_sorted(&last, 0.5) } else { f64::NAN }
    });
    let n = xs.len();
    (0..n).map(|i| before_rev[n - i]).collect()
}

impl Detector for LevelShift {
    /// Batch only, unless fitted as a model: then each value is judged as it arrives, by the
    /// change its last `window` values show (a shift is seen `window` values after it starts).
    fn update(&mut self, x: f64) -> Scored {
        let (c, window) = (self.c, self.window);
        let Some(mut fitted) = self.fitted.take() else { return Scored::WARMUP };
        let scored = fitted.update(x, 2 * window, c, Side::Both, |ext| self.differences(ext));
        self.fitted = Some(fitted);
        scored
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let (d, before) = self.differences(xs);
        judge_all(xs, &d, before.as_deref(), self.c, Side::Both, Least::Resolution(Resolution::default()))
    }

    /// A model: the fences of the training stretch and its last `window` values.
    fn fit(&mut self, xs: &[f64]) {
        let (d, _) = self.differences(xs);
        self.fitted = FittedFences::fit(xs, &d, 2 * self.window, Least::Resolution(Resolution::default()));
    }

    fn score_fitted(&mut self, xs: &[f64]) -> Vec<Scored> {
        match &self.fitted {
            Some(fitted) => fitted.score(xs, self.c, Side::Both, |ext| self.differences(ext)),
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
    fn window_medians_both_ways() {
        let xs = [1.0, 5.0, 2.0, 8.0, 3.0];
        let b = medians_before(&xs, 2);
        assert!(b[0].is_nan() && b[1].is_nan());
        assert_eq!(&b[2..], &[3.0, 3.5, 5.0]);
        let a = medians_from(&xs, 2);
        assert_eq!(&a[..4], &[3.0, 3.5, 5.0, 5.5]);
        assert!(a[4].is_nan());
    }

    #[test]
    fn a_step_is_flagged_where_it_happens() {
        let noise = |i: usize| ((i * 7919) % 100) as f64 / 100.0 - 0.5;
        let xs: Vec<f64> = (0..300).map(|i| noise(i) + if i >= 150 { 5.0 } else { 0.0 }).collect();
        let out = (INFO.build)(&crate::Params::defaults(PARAMS)).score_batch(&xs);
        let flagged: Vec<usize> = (0..300).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert!(flagged.contains(&150), "{flagged:?}");
        assert!(flagged.iter().all(|&i| (140..=160).contains(&i)), "{flagged:?}");
    }
}
