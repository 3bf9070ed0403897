//! The tails of SPOT (Siffer et al., KDD 2017), shared by `spot` (on the values) and `dspot`
//! (on the deviations from a moving mean): peaks over a high quantile t, a generalized
//! Pareto fit of them, and the alarm threshold z_q exceeded with probability q.
//!
//! Refitting after every peak costs O(peaks) each time; here the fit is redone after every
//! peak while there are fewer than 100, then each time the peak count has grown by 10%, which
//! keeps a stream linear in practice with the same thresholds to within that growth; beyond
//! 5,000 peaks a fit uses an even stride through them.

use crate::evt::{Gpd, fit, quantile};
use crate::params::{Bound, ParamSpec};
use crate::resolution::Resolution;
use crate::scored::Scored;
use crate::series::quantile_sorted;
use serde::{Deserialize, Serialize};

/// The parameters of SPOT, which DSPOT shares.
pub const SPOT_PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "q",
        1e-4,
        Bound::excl(0.0),
        Bound::excl(0.5),
        "risk: probability of a value beyond the alarm threshold",
    ),
    ParamSpec::float(
        "level",
        0.98,
        Bound::excl(0.5),
        Bound::excl(1.0),
        "quantile of the calibration values used as the peak threshold t",
    ),
    ParamSpec::int("n_init", 200.0, 20.0, 1e7, "calibration values at the start (more: a better first fit)"),
    ParamSpec::flag("both", true, "watch both tails (biSPOT); off: only high values"),
];

/// The most peaks one fit looks at.
const FIT_SAMPLE: usize = 5000;

/// One watched tail: peaks over `t`, the fit and the alarm threshold `z`.
#[derive(Serialize, Deserialize)]
pub struct Tail {
    t: f64,
    z: f64,
    q: f64,
    peaks: Vec<f64>,
    n: usize,
    gpd: Gpd,
    refit_at: usize,
}

impl Tail {
    /// Calibrate on `init` (this tail's orientation: large values are extreme).
    pub fn calibrate(init: &[f64], level: f64, q: f64) -> Tail {
        let mut sorted = init.to_vec();
        sorted.sort_by(f64::total_cmp);
        let t = quantile_sorted(&sorted, level);
        let peaks: Vec<f64> = init.iter().filter(|&&x| x > t).map(|&x| x - t).collect();
        let mut tail = Tail { t, z: t, q, peaks, n: init.len(), gpd: Gpd { gamma: 0.0, sigma: 1.0 }, refit_at: 0 };
        tail.refit();
        tail
    }

    fn refit(&mut self) {
        // Beyond FIT_SAMPLE peaks the fit uses an even stride through them (in arrival order):
        // the likelihood's shape barely changes, and a drifting series cannot make refits slow.
        self.gpd = if self.peaks.len() > FIT_SAMPLE {
            let stride = self.peaks.len().div_ceil(FIT_SAMPLE);
            let sample: Vec<f64> = self.peaks.iter().step_by(stride).copied().collect();
            fit(&sample)
        } else {
            fit(&self.peaks)
        };
        self.z = quantile(self.gpd, self.t, self.q, self.n, self.peaks.len());
        if !self.z.is_finite() || self.z < self.t {
            self.z = self.t;
        }
        let len = self.peaks.len();
        self.refit_at = if len < 100 { len + 1 } else { len + (len / 10).max(1) };
    }

    /// Where `x` stands: (x − t)/(z − t), above 1 beyond the alarm threshold; z − t is never
    /// taken below half the series' resolution (on counts the two are often equal).
    pub fn ratio(&self, x: f64, resolution: &Resolution) -> f64 {
        let span = resolution.floor(self.z - self.t, self.t);
        (x - self.t) / span
    }

    pub fn threshold(&self) -> f64 {
        self.z
    }

    /// Learn a value that raised no alarm.
    pub fn learn(&mut self, x: f64) {
        self.n += 1;
        if x > self.t {
            self.peaks.push(x - self.t);
            if self.peaks.len() >= self.refit_at {
                self.refit();
            }
        }
    }
}

/// The two tails of SPOT on some value stream (raw values for SPOT, residuals for DSPOT).
#[derive(Serialize, Deserialize)]
pub struct BiTail {
    pub high: Tail,
    pub low: Option<Tail>,
}

impl BiTail {
    pub fn calibrate(init: &[f64], level: f64, q: f64, both: bool) -> BiTail {
        let negated: Vec<f64> = init.iter().map(|x| -x).collect();
        BiTail { high: Tail::calibrate(init, level, q), low: both.then(|| Tail::calibrate(&negated, level, q)) }
    }

    /// Score `v`, learning it when it raised no alarm; `offset` shifts the bounds back to values.
    pub fn judge(&mut self, v: f64, offset: f64, resolution: &Resolution) -> Scored {
        let high = self.high.ratio(v, resolution);
        let low = self.low.as_ref().map_or(f64::NEG_INFINITY, |t| t.ratio(-v, resolution));
        let flagged = high > 1.0 || low > 1.0;
        let out = Scored {
            score: Some(high.max(low)),
            is_anomaly: Some(flagged),
            expected: None,
            lower: self.low.as_ref().map(|t| offset - t.threshold()),
            upper: Some(offset + self.high.threshold()),
            probability: None,
        };
        if !flagged {
            self.high.learn(v);
            if let Some(t) = self.low.as_mut() {
                t.learn(-v);
            }
        }
        out
    }
}
