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

use crate::resolution::Resolution;
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::parts::spot_tail::{BiTail, SPOT_PARAMS as PARAMS};

pub static INFO: DetectorInfo = DetectorInfo {
    name: "spot",
    family: "extreme value",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "SPOT: extreme-value thresholds fitted online (generalized Pareto on the peaks over a high quantile); thresholds the raw values, so it flags values beyond the series' extremes, not a spike inside a seasonal swing (dspot does those)",
    finds: Finds::Spikes,
    min_points: |p| p.int("n_init") + 1,
    cost: Cost { batch: Pass::linear(0.26), online: Some(Pass::linear(0.18)) },
    memory: Memory::Series,
    build: |p| Box::new(Spot::new(p.float("q"), p.float("level"), p.int("n_init"), p.flag("both"))),
};

#[derive(Serialize, Deserialize)]
struct Spot {
    q: f64,
    level: f64,
    n_init: usize,
    both: bool,
    init: Vec<f64>,
    tails: Option<BiTail>,
    resolution: Resolution,
}

impl Spot {
    fn new(q: f64, level: f64, n_init: usize, both: bool) -> Spot {
        Spot { q, level, n_init, both, init: Vec::with_capacity(n_init), tails: None, resolution: Resolution::default() }
    }
}

impl Detector for Spot {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        match self.tails.as_mut() {
            Some(tails) => tails.judge(x, 0.0, &self.resolution),
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
