//! Seasonal residual by STL: the series is decomposed robustly (crate::stl, Cleveland et al.
//! 1990) with `period` (0: the autocorrelation peak, up to a third of the series); the
//! season periodic by default (`seasonal` = 0, as Twitter's S-H-ESD; 7 or more lets it
//! evolve), and the residual is scored robustly, |R − median R| / (1.4826 · MAD R), and the expected value is
//! seasonal + trend. Batch only (the decomposition smooths both ways).

use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::parts::fitted_season::{FittedSeason, Judge};
use crate::resolution::Resolution;
use crate::series::{mad_sorted, quantile_sorted};
use crate::state::StateError;
use serde::{Deserialize, Serialize};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("period", 0.0, 0.0, 1_000_000.0, "season length in rows; 0: found from the autocorrelation"),
    ParamSpec::float(
        "threshold",
        3.5,
        Bound::excl(0.0),
        Bound::incl(1e6),
        "robust z-score of the residual that flags a value",
    ),
    ParamSpec::int(
        "seasonal",
        0.0,
        0.0,
        1_000_001.0,
        "0: a periodic season, every cycle the same; else the seasonal smoother in cycles (odd, at least 3)",
    ),
    ParamSpec::flag("robust", true, "robustness iterations (outliers do not bend season and trend)"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "stl",
    family: "seasonal",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "STL decomposition (robust loess); the residual scored by robust z-score",
    finds: Finds::Spikes,
    min_points: |p| (2 * p.int("period")).max(8),
    cost: Cost { batch: Pass::linear(1.9), online: None },
    memory: Memory::Series,
    build: |p| {
        Box::new(Stl {
            period: p.int("period"),
            threshold: p.float("threshold"),
            seasonal: p.int("seasonal"),
            robust: p.flag("robust"),
            fitted: None,
        })
    },
};

#[derive(Serialize, Deserialize)]
struct Stl {
    period: usize,
    threshold: f64,
    seasonal: usize,
    robust: bool,
    /// As a model: the season and residual scale of the training stretch.
    fitted: Option<FittedSeason>,
}

/// A decomposition: per value the season + trend, the residual and the season alone, and the period.
struct Parts {
    fitted: Vec<f64>,
    residual: Vec<f64>,
    seasonal: Vec<f64>,
    period: Option<usize>,
}

impl Stl {
    fn decompose(&self, xs: &[f64]) -> Parts {
        let period = crate::seasonal::period_of(xs, self.period);
        match period {
            Some(p) => {
                let window = (self.seasonal > 0).then_some(self.seasonal);
                let d = crate::stl::stl(xs, p, window, self.robust);
                let fitted = (0..xs.len()).map(|i| d.seasonal[i] + d.trend[i]).collect();
                Parts { fitted, residual: d.residual, seasonal: d.seasonal, period }
            }
            None => {
                // No season: the residual around the median.
                let mut s = xs.to_vec();
                s.sort_by(f64::total_cmp);
                let m = quantile_sorted(&s, 0.5);
                Parts { fitted: vec![m; xs.len()], residual: xs.iter().map(|x| x - m).collect(), seasonal: Vec::new(), period }
            }
        }
    }
}

/// The robust centre and scale of the residuals of `xs`, the scale floored by their resolution.
fn centre_and_scale(xs: &[f64], residual: &[f64]) -> (f64, f64) {
    let mut sorted = residual.to_vec();
    sorted.sort_by(f64::total_cmp);
    let center = quantile_sorted(&sorted, 0.5);
    (center, Resolution::of(xs).floor(1.4826 * mad_sorted(&sorted, center), center))
}

impl Detector for Stl {
    /// Batch only, unless fitted as a model.
    fn update(&mut self, x: f64) -> Scored {
        match &mut self.fitted {
            Some(fitted) => fitted.update(x),
            None => Scored::WARMUP,
        }
    }

    /// A model: the training stretch's last cycle of season and its residuals' robust scale;
    /// new values are judged against season + the median of the last cycle (`parts::fitted_season`).
    fn fit(&mut self, xs: &[f64]) {
        let parts = self.decompose(xs);
        let (centre, scale) = centre_and_scale(xs, &parts.residual);
        let judge = Judge { centre, scale, cut: self.threshold, per: 1.0 };
        self.fitted = Some(FittedSeason::new(xs, &parts.seasonal, parts.period, judge));
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let Parts { fitted, residual, .. } = self.decompose(xs);
        let (center, scale) = centre_and_scale(xs, &residual);
        xs.iter()
            .zip(fitted.iter().zip(&residual))
            .map(|(_, (&f, &r))| {
                let score = (r - center).abs() / scale;
                Scored {
                    score: Some(score),
                    is_anomaly: Some(score > self.threshold),
                    expected: Some(f + center),
                    lower: Some(f + center - self.threshold * scale),
                    upper: Some(f + center + self.threshold * scale),
                    probability: None,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_a_dip_that_stays_inside_the_seasonal_range() {
        let noise = crate::detect::tests::white_noise(1200, 0.2);
        let mut xs: Vec<f64> =
            (0..1200).map(|i| 20.0 + 5.0 * (2.0 * std::f64::consts::PI * i as f64 / 48.0).sin() + noise[i]).collect();
        xs[612] -= 4.0; // at a seasonal trough
        let out = (INFO.build)(&crate::Params::defaults(PARAMS)).score_batch(&xs);
        let flagged: Vec<usize> = (0..xs.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert_eq!(flagged, vec![612]);
        assert!((out[700].expected.unwrap() - xs[700]).abs() < 0.5);
    }
}
