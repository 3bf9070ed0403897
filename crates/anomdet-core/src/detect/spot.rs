//! SPOT (Siffer et al., KDD 2017): streaming peaks-over-threshold. The first `n_init` values
//! calibrate a high threshold t (their `level` quantile) and a generalized Pareto fit of the
//! excesses over it, giving z_q, the value exceeded with probability `q`. Then each value above
//! z_q is an anomaly (and not learnt); a value between t and z_q is a new peak and the fit is
//! updated; the rest only count. Both tails are watched (biSPOT) unless `both` is off.
//!
//! Refitting after every peak costs O(peaks) each time; here the fit is redone after every
//! peak while there are fewer than 100, then each time the peak count has grown by 10%, which
//! keeps a stream linear in practice with the same thresholds to within that growth; beyond
//! 5,000 peaks a fit uses an even stride through them.

use super::{Detector, DetectorInfo, Scored};
use crate::evt::{Gpd, fit, quantile};
use crate::params::{Bound, ParamSpec};
use crate::series::quantile_sorted;

pub const PARAMS: &[ParamSpec] = &[
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

pub static INFO: DetectorInfo = DetectorInfo {
    name: "spot",
    family: "extreme value",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "SPOT: extreme-value thresholds fitted online (generalized Pareto on the peaks over a high quantile)",
    min_points: |p| p.int("n_init") + 1,
    build: |p| Box::new(Spot::new(p.float("q"), p.float("level"), p.int("n_init"), p.flag("both"))),
};

/// The most peaks one fit looks at.
const FIT_SAMPLE: usize = 5000;

/// One watched tail: peaks over `t`, the fit and the alarm threshold `z`.
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

    /// Where `x` stands: (x − t)/(z − t), above 1 beyond the alarm threshold.
    pub fn ratio(&self, x: f64) -> f64 {
        let span = crate::series::floor_scale(self.z - self.t, self.t);
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
    pub fn judge(&mut self, v: f64, offset: f64) -> Scored {
        let high = self.high.ratio(v);
        let low = self.low.as_ref().map_or(f64::NEG_INFINITY, |t| t.ratio(-v));
        let flagged = high > 1.0 || low > 1.0;
        let out = Scored {
            score: Some(high.max(low)),
            is_anomaly: Some(flagged),
            expected: None,
            lower: self.low.as_ref().map(|t| offset - t.threshold()),
            upper: Some(offset + self.high.threshold()),
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

struct Spot {
    q: f64,
    level: f64,
    n_init: usize,
    both: bool,
    init: Vec<f64>,
    tails: Option<BiTail>,
}

impl Spot {
    fn new(q: f64, level: f64, n_init: usize, both: bool) -> Spot {
        Spot { q, level, n_init, both, init: Vec::with_capacity(n_init), tails: None }
    }
}

impl Detector for Spot {
    fn update(&mut self, x: f64) -> Scored {
        match self.tails.as_mut() {
            Some(tails) => tails.judge(x, 0.0),
            None => {
                self.init.push(x);
                if self.init.len() >= self.n_init {
                    self.tails = Some(BiTail::calibrate(&self.init, self.level, self.q, self.both));
                    self.init = Vec::new();
                }
                Scored::WARMUP
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic standard-normal-like values (sum of 12 uniforms − 6).
    fn gaussian(n: usize) -> Vec<f64> {
        let mut state = 42u64;
        let mut uniform = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n).map(|_| (0..12).map(|_| uniform()).sum::<f64>() - 6.0).collect()
    }

    #[test]
    fn the_alarm_rate_on_clean_data_is_near_the_risk() {
        // q = 1e-3 per tail on 50,000 clean values after 5,000 for calibration: about 100
        // alarms expected over both tails.
        let xs = gaussian(55_000);
        let p = INFO.parse_params(Some(&serde_json::json!({"q": 1e-3, "n_init": 5000}))).unwrap();
        let mut d = (INFO.build)(&p);
        let alarms = xs.iter().filter(|&&x| d.update(x).is_anomaly == Some(true)).count();
        assert!((30..250).contains(&alarms), "{alarms} alarms");
    }

    #[test]
    fn extreme_values_are_flagged_and_not_learnt() {
        let mut xs = gaussian(3000);
        for i in [1500, 2000, 2500] {
            xs[i] = 12.0;
        }
        xs[1800] = -12.0;
        let p = INFO.parse_params(Some(&serde_json::json!({"n_init": 1000}))).unwrap();
        let mut d = (INFO.build)(&p);
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        for i in [1500, 1800, 2000, 2500] {
            assert_eq!(out[i].is_anomaly, Some(true), "row {i}");
        }
        assert!(out.iter().filter(|s| s.is_anomaly == Some(true)).count() <= 8);
        // The threshold did not move up to swallow the spikes.
        assert!(out[2999].upper.unwrap() < 12.0);
    }
}
