//! Autoregressive forecast residual: an AR(p) model fitted to the first `train` values by
//! Yule-Walker (Levinson-Durbin), with the order p ≤ `max_order` that minimises AIC
//! (n ln σ²_p + 2p); each value is scored by its one-step prediction error in sigmas
//! (σ from the fit, then an exponentially smoothed mean absolute error of the errors, each
//! clipped at the control limit). With `refit` > 0 the
//! model is refitted every `refit` values on the latest `train`. A flagged value enters the
//! lags clipped at its control limit, so one outlier barely disturbs the next p predictions.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::resolution::Resolution;
use std::collections::VecDeque;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("max_order", 10.0, 1.0, 200.0, "largest AR order tried; AIC picks the order"),
    ParamSpec::int("train", 200.0, 20.0, 1e7, "values the model is fitted on"),
    ParamSpec::int("refit", 0.0, 0.0, 1e7, "refit every this many values on the latest train values; 0: never"),
    ParamSpec::float(
        "threshold",
        3.5,
        Bound::excl(0.0),
        Bound::incl(1e6),
        "prediction error in sigmas that flags a value",
    ),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "ar_residual",
    family: "forecasting",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "autoregressive one-step forecast (Yule-Walker, order by AIC), error in sigmas",
    finds: Finds::Spikes,
    min_points: |p| p.int("train") + 1,
    cost: Cost { batch: Pass::linear(0.22), online: Some(Pass::linear(0.13)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(ArResidual {
            max_order: p.int("max_order"),
            train: p.int("train"),
            refit: p.int("refit"),
            threshold: p.float("threshold"),
            history: VecDeque::new(),
            model: None,
            since_fit: 0,
            mae: 0.0,
            resolution: Resolution::default(),
        })
    },
};

/// An AR(p) model: mean, coefficients φ_1..φ_p, innovation variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ar {
    pub mean: f64,
    pub phi: Vec<f64>,
    pub variance: f64,
}

/// Yule-Walker fits of every order up to `max_order` by Levinson-Durbin; the AIC-best one.
pub fn fit_ar(xs: &[f64], max_order: usize) -> Ar {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let max_order = max_order.min(n / 2).max(1);
    let r: Vec<f64> = (0..=max_order)
        .map(|k| (0..n - k).map(|i| (xs[i] - mean) * (xs[i + k] - mean)).sum::<f64>() / n as f64)
        .collect();
    if r[0] <= 0.0 {
        return Ar { mean, phi: Vec::new(), variance: 0.0 };
    }
    let mut phi: Vec<f64> = Vec::new();
    let mut variance = r[0];
    let mut best = Ar { mean, phi: Vec::new(), variance };
    let mut best_aic = n as f64 * variance.ln();
    for p in 1..=max_order {
        let k = (r[p] - (1..p).map(|j| phi[j - 1] * r[p - j]).sum::<f64>()) / variance;
        let mut next = phi.clone();
        for j in 1..p {
            next[j - 1] = phi[j - 1] - k * phi[p - j - 1];
        }
        next.push(k);
        phi = next;
        variance *= 1.0 - k * k;
        if variance <= 0.0 {
            break;
        }
        let aic = n as f64 * variance.ln() + 2.0 * p as f64;
        if aic < best_aic {
            best_aic = aic;
            best = Ar { mean, phi: phi.clone(), variance };
        }
    }
    best
}

impl Ar {
    /// The prediction from `lags`, most recent last.
    fn predict(&self, lags: &VecDeque<f64>) -> f64 {
        let n = lags.len();
        self.mean + self.phi.iter().enumerate().map(|(j, c)| c * (lags[n - 1 - j] - self.mean)).sum::<f64>()
    }
}

#[derive(Serialize, Deserialize)]
struct ArResidual {
    max_order: usize,
    train: usize,
    refit: usize,
    threshold: f64,
    history: VecDeque<f64>,
    model: Option<Ar>,
    since_fit: usize,
    mae: f64,
    resolution: Resolution,
}

impl Detector for ArResidual {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        let Some(model) = &self.model else {
            self.history.push_back(x);
            if self.history.len() >= self.train {
                let ar = fit_ar(self.history.make_contiguous(), self.max_order);
                self.mae = ar.variance.sqrt() / 1.25;
                self.model = Some(ar);
            }
            return Scored::WARMUP;
        };
        let f = model.predict(&self.history);
        let sigma = self.resolution.floor(1.25 * self.mae, f);
        let scored = Scored::banded(x, f, sigma, self.threshold);
        let flagged = scored.is_anomaly == Some(true);
        // A flagged value enters the lags clipped at its control limit: bounded for a spike,
        // close to reality for a near miss (substituting the prediction itself lets a
        // misfitted model drift away from the data).
        self.history.push_back(if flagged { f + (x - f).signum() * self.threshold * sigma } else { x });
        if self.history.len() > self.train {
            self.history.pop_front();
        }
        // The scale learns from every error, a flagged one clipped at the limit: it can grow
        // when the fit was too optimistic, but one outlier cannot inflate it.
        self.mae = 0.02 * (x - f).abs().min(self.threshold * sigma) + 0.98 * self.mae;
        self.since_fit += 1;
        if self.refit > 0 && self.since_fit >= self.refit {
            let ar = fit_ar(self.history.make_contiguous(), self.max_order);
            self.model = Some(ar);
            self.since_fit = 0;
        }
        scored
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

    /// An AR(2) process x_t = 0.6 x_{t−1} − 0.3 x_{t−2} + e_t: AIC picks order 2 and the
    /// coefficients come back within sampling error.
    #[test]
    fn recovers_an_ar2_process() {
        let mut state = 88172645463325252u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut e = move || (0..12).map(|_| uniform()).sum::<f64>() - 6.0;
        let mut xs = vec![0.0, 0.0];
        for t in 2..20_000 {
            let v = 0.6 * xs[t - 1] - 0.3 * xs[t - 2] + e();
            xs.push(v);
        }
        let ar = fit_ar(&xs, 10);
        assert!(ar.phi.len() >= 2 && ar.phi.len() <= 4, "order {}", ar.phi.len());
        assert!((ar.phi[0] - 0.6).abs() < 0.05 && (ar.phi[1] + 0.3).abs() < 0.05, "{:?}", ar.phi);
    }

    /// AR(1) by hand: for 1, −1, 1, … (n = 100, mean 0) the biased autocovariances are
    /// r0 = 1 and r1 = −99/100, so Yule-Walker gives φ1 = r1 / r0 = −0.99.
    #[test]
    fn first_order_by_hand() {
        let xs: Vec<f64> = (0..100).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let ar = fit_ar(&xs, 1);
        assert!((ar.phi[0] + 0.99).abs() < 1e-12, "{:?}", ar.phi);
    }

    #[test]
    fn flags_a_spike_once() {
        let mut xs: Vec<f64> =
            (0..1500).map(|i| (i as f64 / 15.0).sin() * 3.0 + ((i * 7919) % 100) as f64 / 500.0).collect();
        xs[1000] += 3.0;
        let mut d = (INFO.build)(&crate::Params::defaults(PARAMS));
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        assert_eq!(out[1000].is_anomaly, Some(true));
        let flagged: Vec<usize> = (0..1500).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert!(flagged.len() <= 3, "{flagged:?}");
    }
}
