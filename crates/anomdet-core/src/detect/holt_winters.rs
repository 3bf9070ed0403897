//! Additive Holt-Winters (Holt 1957; Winters 1960): level ℓ, trend b and `period` seasonal
//! terms s, smoothed by α, β, γ; the one-step forecast ℓ + b + s is scored by its error in
//! sigmas, σ ≈ 1.25 × the exponentially smoothed mean absolute error (as `ewma`).
//!
//! Start: with `period` = 0 the period is the autocorrelation peak of the first `warmup`
//! values (none found: no seasonal terms). The first two seasons set ℓ, b and s (classical
//! initialisation), all warm-up values are then replayed to settle the error scale. A flagged
//! value is learnt as its nearest control limit, so one outlier does not bend the forecasts
//! that follow (robust updating, as in Gelper, Fried & Croux 2010).

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::resolution::Resolution;

const MAE_TO_SIGMA: f64 = 1.25;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int(
        "period",
        0.0,
        0.0,
        100_000.0,
        "season length in rows; 0: found from the warm-up values' autocorrelation",
    ),
    ParamSpec::float("alpha", 0.2, Bound::excl(0.0), Bound::incl(1.0), "level smoothing"),
    ParamSpec::float("beta", 0.01, Bound::incl(0.0), Bound::incl(1.0), "trend smoothing"),
    ParamSpec::float("gamma", 0.1, Bound::incl(0.0), Bound::incl(1.0), "seasonal smoothing"),
    ParamSpec::float(
        "threshold",
        3.5,
        Bound::excl(0.0),
        Bound::incl(1e6),
        "forecast error in sigmas that flags a value",
    ),
    ParamSpec::int("warmup", 200.0, 10.0, 1e7, "values that set the period, the start and the error scale"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "holt_winters",
    family: "forecasting",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "additive Holt-Winters forecast (period given or found), one-step error in sigmas",
    finds: Finds::Spikes,
    min_points: |p| p.int("warmup").max(2 * p.int("period")) + 1,
    cost: Cost { batch: Pass::linear(0.22), online: Some(Pass::linear(0.12)) },
    memory: Memory::Series,
    build: |p| {
        Box::new(HoltWinters {
            period: p.int("period"),
            alpha: p.float("alpha"),
            beta: p.float("beta"),
            gamma: p.float("gamma"),
            threshold: p.float("threshold"),
            warmup: p.int("warmup").max(2 * p.int("period")),
            buffer: Vec::new(),
            state: None,
            resolution: Resolution::default(),
        })
    },
};

#[derive(Serialize, Deserialize)]
struct State {
    level: f64,
    trend: f64,
    season: Vec<f64>,
    t: usize,
    mae: f64,
    errors_seen: usize,
}

impl State {
    fn start(xs: &[f64], period: usize) -> State {
        let m = period.max(1);
        if m == 1 || xs.len() < 2 * m {
            let level = xs[0];
            return State { level, trend: 0.0, season: vec![0.0], t: 0, mae: 0.0, errors_seen: 0 };
        }
        let first = xs[..m].iter().sum::<f64>() / m as f64;
        let second = xs[m..2 * m].iter().sum::<f64>() / m as f64;
        let season = xs[..m].iter().map(|x| x - first).collect();
        State { level: first, trend: (second - first) / m as f64, season, t: 0, mae: 0.0, errors_seen: 0 }
    }

    fn forecast(&self) -> f64 {
        self.level + self.trend + self.season[self.t % self.season.len()]
    }

    fn learn(&mut self, x: f64, alpha: f64, beta: f64, gamma: f64) {
        let k = self.t % self.season.len();
        let s = self.season[k];
        let level = alpha * (x - s) + (1.0 - alpha) * (self.level + self.trend);
        self.trend = beta * (level - self.level) + (1.0 - beta) * self.trend;
        if self.season.len() > 1 {
            self.season[k] = gamma * (x - level) + (1.0 - gamma) * s;
        }
        self.level = level;
        self.t += 1;
    }
}

#[derive(Serialize, Deserialize)]
struct HoltWinters {
    period: usize,
    alpha: f64,
    beta: f64,
    gamma: f64,
    threshold: f64,
    warmup: usize,
    buffer: Vec<f64>,
    state: Option<State>,
    resolution: Resolution,
}

impl HoltWinters {
    fn observe(&mut self, x: f64) -> Scored {
        let (alpha, beta, gamma, threshold) = (self.alpha, self.beta, self.gamma, self.threshold);
        let st = self.state.as_mut().expect("started");
        let f = st.forecast();
        let error = x - f;
        let sigma = self.resolution.floor(MAE_TO_SIGMA * st.mae, f);
        let scored = Scored::banded(x, f, sigma, threshold);
        let flagged = st.errors_seen >= 10 && scored.is_anomaly == Some(true);
        // Learn a flagged value as its control limit.
        let learnt = if flagged { f + error.signum() * threshold * sigma } else { x };
        st.mae = if st.errors_seen < 10 {
            (st.mae * st.errors_seen as f64 + error.abs()) / (st.errors_seen + 1) as f64
        } else {
            0.05 * (learnt - f).abs() + 0.95 * st.mae
        };
        st.errors_seen += 1;
        st.learn(learnt, alpha, beta, gamma);
        Scored { is_anomaly: Some(flagged), ..scored }
    }
}

impl Detector for HoltWinters {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        if self.state.is_some() {
            return self.observe(x);
        }
        self.buffer.push(x);
        if self.buffer.len() < self.warmup {
            return Scored::WARMUP;
        }
        let period =
            if self.period > 0 { self.period } else { crate::seasonal::period_of(&self.buffer, 0).unwrap_or(1) };
        self.state = Some(State::start(&self.buffer, period));
        // Replay the warm-up through the model to settle the error scale; not scored.
        for v in std::mem::take(&mut self.buffer) {
            self.observe(v);
        }
        Scored::WARMUP
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

    fn seasonal(n: usize, period: f64) -> Vec<f64> {
        let noise = |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
        (0..n)
            .map(|i| {
                20.0 + 0.01 * i as f64 + 5.0 * (2.0 * std::f64::consts::PI * i as f64 / period).sin() + 0.3 * noise(i)
            })
            .collect()
    }

    #[test]
    fn forecasts_a_seasonal_series_and_flags_a_dip_inside_the_season() {
        // The dip stays within the series' overall range: only a seasonal model sees it.
        let mut xs = seasonal(2000, 48.0);
        xs[1512] -= 4.0; // at a seasonal peak (1512 = 31.5 periods + 12)
        let mut d = (INFO.build)(&crate::Params::defaults(PARAMS));
        let out: Vec<Scored> = xs.iter().map(|&x| d.update(x)).collect();
        assert_eq!(out[1512].is_anomaly, Some(true), "{:?}", out[1512]);
        let flagged = out.iter().filter(|s| s.is_anomaly == Some(true)).count();
        assert!(flagged <= 5, "{flagged} flagged");
        // The forecast tracks the series closely once warm.
        let err = (out[1800].expected.unwrap() - xs[1800]).abs();
        assert!(err < 1.0, "forecast error {err}");
    }

    #[test]
    fn known_answer_without_season() {
        // period 1 (no season), α = 0.5, β = 0: after a warm-up of 9, 11, 9, 11, … the level
        // update on an unflagged 12 is ℓ' = 0.5·12 + 0.5·ℓ, and ℓ' is the next forecast.
        let p = INFO
            .parse_params(Some(&serde_json::json!({"period": 1, "alpha": 0.5, "beta": 0.0, "warmup": 10})))
            .unwrap();
        let mut d = (INFO.build)(&p);
        for i in 0..10 {
            assert_eq!(d.update(if i % 2 == 0 { 9.0 } else { 11.0 }), Scored::WARMUP);
        }
        let first = d.update(12.0);
        assert_eq!(first.is_anomaly, Some(false));
        let level = first.expected.unwrap();
        let second = d.update(12.0);
        assert!((second.expected.unwrap() - (0.5 * 12.0 + 0.5 * level)).abs() < 1e-12);
    }
}
