//! LSTM forecast residual (AnomDet's LSTM model): a small LSTM (see `crate::lstm`) is trained
//! on the z-scored series to predict each value from the `lookback` before it; a value is
//! scored by its forecast error in robust sd of the training errors (1.4826 MAD) and flagged
//! beyond `threshold`. The forecast is the expected value. A flagged value enters the next
//! forecasts' inputs clipped at the control limit, so one spike does not spoil the following
//! `lookback` forecasts. Batch only: the network is trained on the series it scores (about
//! `epochs` × `sample` windows; seeded and deterministic).

use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::lstm::{Lstm, Settings};
use crate::params::{Bound, ParamSpec, Params};
use crate::resolution::Resolution;
use crate::series::{mad_sorted, quantile_sorted};
use crate::state::StateError;
use crate::tabular::params::SEED;
use serde::{Deserialize, Serialize};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("lookback", 16.0, 1.0, 1000.0, "values each forecast reads"),
    ParamSpec::int("hidden", 16.0, 1.0, 256.0, "LSTM cells"),
    ParamSpec::int("epochs", 20.0, 0.0, 10_000.0, "training passes"),
    ParamSpec::int("sample", 1000.0, 1.0, 10_000_000.0, "training windows drawn per pass at most"),
    ParamSpec::float("learning_rate", 0.01, Bound::excl(0.0), Bound::incl(1.0), "Adam's step size"),
    SEED,
    ParamSpec::float(
        "threshold",
        5.0,
        Bound::excl(0.0),
        Bound::incl(1e6),
        "forecast error, in robust sd of the training errors, that flags a value",
    ),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "lstm",
    family: "forecasting",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "LSTM forecaster trained on the series (AnomDet's LSTM): forecast error in robust sd",
    finds: Finds::Spikes,
    min_points: |p: &Params| p.int("lookback") + 10,
    cost: Cost { batch: Pass::linear(18.4), online: None },
    memory: Memory::Series,
    build: |p| {
        Box::new(LstmResidual {
            settings: Settings {
                lookback: p.int("lookback"),
                hidden: p.int("hidden"),
                epochs: p.int("epochs"),
                sample: p.int("sample"),
                batch: 32,
                learning_rate: p.float("learning_rate"),
                seed: p.int("seed") as u64,
            },
            threshold: p.float("threshold"),
            fitted: None,
        })
    },
};

#[derive(Serialize, Deserialize)]
struct LstmResidual {
    settings: Settings,
    threshold: f64,
    fitted: Option<Fitted>,
}

/// A forecaster trained on a series: the values are z-scored by the series' mean and sd, and
/// errors judged by the robust centre and scale of its errors on the series itself.
#[derive(Serialize, Deserialize)]
struct Trained {
    model: Lstm,
    mean: f64,
    unit: f64,
    centre: f64,
    scale: f64,
}

/// As a model: what was trained, and the last `lookback` inputs (flagged ones clipped).
#[derive(Serialize, Deserialize)]
struct Fitted {
    trained: Trained,
    inputs: Vec<f64>,
}

impl Trained {
    /// Train on `xs`; also returns the z-scored series and the model's forecasts of it.
    fn on(xs: &[f64], settings: &Settings) -> (Trained, Vec<f64>, Vec<f64>) {
        let lookback = settings.lookback;
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
        let resolution = Resolution::of(xs);
        let unit = resolution.floor(sd, mean);
        let z: Vec<f64> = xs.iter().map(|x| (x - mean) / unit).collect();
        let model = Lstm::fit(&z, settings);
        // The error scale: the model's errors on the series as it is.
        let forecasts = model.predict_all(&z, lookback);
        let mut errors: Vec<f64> = (lookback..z.len()).map(|t| z[t] - forecasts[t - lookback]).collect();
        errors.sort_by(f64::total_cmp);
        let centre = quantile_sorted(&errors, 0.5);
        // An error below half the series' resolution is not measurable (in z units).
        let scale = (1.4826 * mad_sorted(&errors, centre)).max(resolution.floor(0.0, mean) / unit);
        (Trained { model, mean, unit, centre, scale }, z, forecasts)
    }

    /// Judge z-scored value `z` by its forecast `raw`; returns the score on the series' scale
    /// and the input to keep (clipped at the control limit when flagged).
    fn judge(&self, z: f64, raw: f64, threshold: f64) -> (Scored, f64) {
        let forecast = raw + self.centre;
        let scored = Scored::banded(z, forecast, self.scale, threshold);
        let mut kept = z;
        if scored.is_anomaly == Some(true) {
            let limit = threshold * self.scale;
            kept = z.clamp(forecast - limit, forecast + limit);
        }
        let back = |v: Option<f64>| v.map(|v| self.mean + v * self.unit);
        let scored =
            Scored { expected: back(scored.expected), lower: back(scored.lower), upper: back(scored.upper), ..scored };
        (scored, kept)
    }
}

impl Detector for LstmResidual {
    /// Batch only, unless fitted as a model: then each value is forecast from the last
    /// `lookback` inputs.
    fn update(&mut self, x: f64) -> Scored {
        let Some(fitted) = &mut self.fitted else { return Scored::WARMUP };
        let t = &fitted.trained;
        let z = (x - t.mean) / t.unit;
        let (scored, kept) = t.judge(z, t.model.predict(&fitted.inputs), self.threshold);
        fitted.inputs.remove(0);
        fitted.inputs.push(kept);
        scored
    }

    fn fit(&mut self, xs: &[f64]) {
        let lookback = self.settings.lookback;
        if xs.len() <= lookback + 1 {
            return;
        }
        let (trained, z, _) = Trained::on(xs, &self.settings);
        self.fitted = Some(Fitted { trained, inputs: z[z.len() - lookback..].to_vec() });
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let lookback = self.settings.lookback;
        let mut out = vec![Scored::WARMUP; xs.len()];
        if xs.len() <= lookback + 1 {
            return out;
        }
        let (trained, z, forecasts) = Trained::on(xs, &self.settings);
        // Score in order, feeding flagged values back clipped at the control limit; a forecast
        // is recomputed only while a clipped value is among its inputs.
        let mut inputs = z.clone();
        let mut clipped_at: Option<usize> = None;
        for t in lookback..z.len() {
            crate::interrupt::check_every(t);
            let raw = match clipped_at {
                Some(c) if t - c <= lookback => trained.model.predict(&inputs[t - lookback..t]),
                _ => forecasts[t - lookback],
            };
            let (scored, kept) = trained.judge(z[t], raw, self.threshold);
            if scored.is_anomaly == Some(true) {
                inputs[t] = kept;
                clipped_at = Some(t);
            }
            out[t] = scored;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dip_inside_the_range_is_found_by_its_forecast_error() {
        // A value dropped to the middle of the sine's range: no global detector sees it.
        let noise = super::super::tests::white_noise(1500, 0.02);
        let mut xs: Vec<f64> =
            (0..1500).map(|i| 10.0 + (i as f64 * std::f64::consts::TAU / 30.0).sin() + noise[i]).collect();
        let peak = 1207; // sin at its top: phase 7.5/30
        xs[peak] = 10.0;
        let out = (INFO.build)(&Params::defaults(PARAMS)).score_batch(&xs);
        assert!(out[..16].iter().all(|s| s.score.is_none()));
        let flagged: Vec<usize> = (0..1500).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert_eq!(flagged, vec![peak]);
        let expected = out[peak].expected.unwrap();
        assert!((expected - 11.0).abs() < 0.2, "forecast {expected}");
    }
}
