//! The smallest step a series moves in, and the floor it puts under every scale estimate.
//!
//! On integer counts, values rounded to a coarse step, or a constant stretch, a rolling spread
//! (MAD, IQR, standard deviation, mean absolute error) is 0 for long stretches; divided into a
//! difference of one count it gave scores of 1e9 and more. No spread below half a step is
//! measurable, so no scale here is taken below half the series' resolution, the finest decimal
//! step its values are written with (1 for counts, 0.1 for one decimal): a jump of k steps
//! then scores at most 2k robust units. Continuous data (values with all their digits) has no
//! resolution; a constant stretch of it (a stuck sensor) is floored by its longer-term spread
//! instead: a hundredth of its mean absolute change from one value to the next (a slow
//! average, which a stretch of a thousand constant values only shrinks by e).

use serde::{Deserialize, Serialize};

/// The finest decimal step `x` is written with, 1 at most: 1 for 17, 0.01 for 0.25, 1e-6 for
/// 73.967322; 0 for a value with more than 12 decimals (continuous data) or not finite.
pub fn decimal_step(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let mut step = 1.0;
    for _ in 0..=12 {
        let scaled = x / step;
        if scaled.abs() > 1e14 {
            break; // past the digits a double holds
        }
        // A few ulps of slack: 0.1 + 0.2 is written with one decimal.
        if (scaled - scaled.round()).abs() <= 1e-14 * scaled.abs().max(1.0) {
            return step;
        }
        step /= 10.0;
    }
    0.0
}

/// A series' resolution, learnt value by value (online) or from a whole series (batch).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The finest step seen; +∞ before any value, 0 once the data proved continuous.
    step: f64,
    last: Option<f64>,
    /// The slow average of |x_t − x_{t−1}|.
    change: f64,
    changes: u64,
}

/// The longer-term spread's memory, in values.
const CHANGE_MEMORY: f64 = 1000.0;

impl Default for Resolution {
    fn default() -> Self {
        Resolution { step: f64::INFINITY, last: None, change: 0.0, changes: 0 }
    }
}

impl Resolution {
    /// The resolution of every value of `xs`.
    pub fn of(xs: &[f64]) -> Resolution {
        let mut r = Resolution::default();
        for &x in xs {
            r.observe(x);
        }
        r
    }

    /// Learn from one more value: its decimal step, and its change from the last value.
    pub fn observe(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        if self.step > 0.0 {
            self.step = self.step.min(decimal_step(x));
        }
        if let Some(last) = self.last {
            // A running mean over the first values, then an exponential one.
            self.changes += 1;
            // The division only while the mean is still a running one: past it the weight
            // is a constant (the same bits), and a division a row was half of a rolling
            // detector's own update.
            let weight =
                if self.changes as f64 >= CHANGE_MEMORY { 1.0 / CHANGE_MEMORY } else { 1.0 / self.changes as f64 };
            self.change += weight * ((x - last).abs() - self.change);
        }
        self.last = Some(x);
    }

    /// The finest step seen (+∞ before any value, 0 for continuous data).
    pub fn step(&self) -> f64 {
        self.step
    }

    /// `scale`, but never below half the resolution, a hundredth of the longer-term spread,
    /// nor a billionth of the level `center`.
    pub fn floor(&self, scale: f64, center: f64) -> f64 {
        let half_step = if self.step.is_finite() { 0.5 * self.step } else { 0.0 };
        let floor = (1e-9 * center.abs().max(1.0)).max(half_step).max(0.01 * self.change);
        if scale > floor { scale } else { floor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_steps() {
        assert_eq!(decimal_step(17.0), 1.0);
        assert_eq!(decimal_step(1e6), 1.0);
        assert!((decimal_step(0.25) - 0.01).abs() < 1e-15);
        assert!((decimal_step(73.967322) - 1e-6).abs() < 1e-18);
        assert!((decimal_step(0.1 + 0.2) - 0.1).abs() < 1e-15);
        assert_eq!(decimal_step(std::f64::consts::PI), 0.0);
        assert_eq!(decimal_step(f64::NAN), 0.0);
    }

    #[test]
    fn the_floor_is_half_the_finest_step() {
        // Counts: a rolling spread of 0 is floored at half a count.
        let counts = Resolution::of(&[3.0, 3.0, 4.0, 3.0]);
        assert_eq!(counts.step(), 1.0);
        assert_eq!(counts.floor(0.0, 3.0), 0.5);
        assert_eq!(counts.floor(2.0, 3.0), 2.0);
        // Quarters are written with two decimals.
        let quarters = Resolution::of(&[1.0, 1.25, 1.5]);
        assert!((quarters.step() - 0.01).abs() < 1e-15);
        // Continuous data: a hundredth of the mean change (here 1), or the relative floor.
        let smooth = Resolution::of(&[std::f64::consts::PI, std::f64::consts::PI + 1.0, std::f64::consts::PI]);
        assert_eq!(smooth.step(), 0.0);
        assert!((smooth.floor(0.0, 100.0) - 0.01).abs() < 1e-15);
        assert!((Resolution::of(&[std::f64::consts::PI]).floor(0.0, 100.0) - 1e-7).abs() < 1e-20);
        // Nothing seen yet: the relative floor.
        assert_eq!(Resolution::default().floor(0.0, 0.0), 1e-9);
    }

    #[test]
    fn the_slow_average_is_a_running_mean_then_an_exponential_one() {
        let xs: Vec<f64> = (0..3000).map(|i| (i as f64 * 0.37).sin() * 10.0 + i as f64 * 1e-3).collect();
        let mut r = Resolution::default();
        let mut expected = 0.0;
        for (i, &x) in xs.iter().enumerate() {
            r.observe(x);
            if i > 0 {
                let weight = 1.0 / (i as f64).min(CHANGE_MEMORY);
                expected += weight * ((x - xs[i - 1]).abs() - expected);
                assert_eq!(r.change.to_bits(), expected.to_bits(), "after value {i}");
            }
        }
    }
}
