//! Seasonal hybrid ESD (Hochenbaum, Vallis & Kejariwal 2017; Twitter's AnomalyDetection): the
//! seasonal component of a robust periodic STL (`s.window = "periodic"`, as Twitter's code) and the median of the series are removed, and a
//! generalized ESD test with median and MAD in place of mean and sd finds up to
//! `max_anomalies` of the values in the rest. `period` 0: found from the autocorrelation.
//! Batch only.

use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::parts::esd::{EsdSteps, esd, esd_scores};
use crate::parts::fitted_season::{FittedSeason, Judge};
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::seasonal::period_of;
use crate::series::quantile_sorted;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("period", 0.0, 0.0, 1_000_000.0, "season length in rows; 0: found from the autocorrelation"),
    ParamSpec::float(
        "max_anomalies",
        0.02,
        Bound::excl(0.0),
        Bound::excl(0.5),
        "upper bound on the share of anomalies",
    ),
    ParamSpec::float("alpha", 0.05, Bound::excl(0.0), Bound::excl(1.0), "significance level of each test"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "shesd",
    family: "seasonal",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "seasonal hybrid ESD (Twitter): robust ESD on the series minus its STL season and median",
    finds: Finds::Spikes,
    min_points: |p| (2 * p.int("period")).max(8),
    cost: Cost { batch: Pass::linear(2.0), online: None },
    memory: Memory::Series,
    build: |p| {
        Box::new(Shesd {
            period: p.int("period"),
            max_share: p.float("max_anomalies"),
            alpha: p.float("alpha"),
            fitted: None,
        })
    },
};

#[derive(Serialize, Deserialize)]
struct Shesd {
    period: usize,
    max_share: f64,
    alpha: f64,
    /// As a model: the training stretch's season and the centre, scale and critical value its
    /// test ended with.
    fitted: Option<FittedSeason>,
}

/// The season, the series minus season and median, and the period.
struct Deseasoned {
    seasonal: Vec<f64>,
    median: f64,
    rest: Vec<f64>,
    period: Option<usize>,
}

impl Shesd {
    fn deseason(&self, xs: &[f64]) -> Deseasoned {
        let period = period_of(xs, self.period);
        let seasonal = match period {
            Some(p) => crate::stl::stl(xs, p, None, true).seasonal,
            None => vec![0.0; xs.len()],
        };
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = quantile_sorted(&sorted, 0.5);
        let rest = xs.iter().zip(&seasonal).map(|(x, s)| x - s - median).collect();
        Deseasoned { seasonal, median, rest, period }
    }

    fn test(&self, rest: &[f64]) -> EsdSteps {
        let max_steps = ((self.max_share * rest.len() as f64).floor() as usize).max(1);
        esd(rest, max_steps, self.alpha, true)
    }
}

impl Detector for Shesd {
    /// Batch only, unless fitted as a model.
    fn update(&mut self, x: f64) -> Scored {
        match &mut self.fitted {
            Some(fitted) => fitted.update(x),
            None => Scored::WARMUP,
        }
    }

    /// A model: the test run on the training stretch; new values are judged against its last
    /// cycle of season, the level of their last cycle, and the test's centre, scale and λ.
    fn fit(&mut self, xs: &[f64]) {
        let d = self.deseason(xs);
        let steps = self.test(&d.rest);
        let judge = Judge { centre: steps.center, scale: steps.scale, cut: steps.last_lambda, per: steps.last_lambda };
        self.fitted = Some(FittedSeason::new(xs, &d.seasonal, d.period, judge));
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        crate::state::restore(self, state)
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let Deseasoned { seasonal, median, rest, .. } = self.deseason(xs);
        let steps = self.test(&rest);
        esd_scores(&rest, &steps)
            .into_iter()
            .zip(&seasonal)
            .map(|(s, season)| {
                let back = season + median;
                Scored {
                    expected: s.expected.map(|e| e + back),
                    lower: s.lower.map(|e| e + back),
                    upper: s.upper.map(|e| e + back),
                    ..s
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_seasonal_anomalies_and_nothing_else() {
        let noise = crate::detect::tests::white_noise(1440, 0.2);
        let mut xs: Vec<f64> =
            (0..1440).map(|i| 50.0 + 8.0 * (2.0 * std::f64::consts::PI * i as f64 / 144.0).sin() + noise[i]).collect();
        for &(i, d) in &[(300usize, 5.0), (800, -5.0), (1100, 6.0)] {
            xs[i] += d;
        }
        let out = (INFO.build)(&crate::Params::defaults(PARAMS)).score_batch(&xs);
        let flagged: Vec<usize> = (0..xs.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert_eq!(flagged, vec![300, 800, 1100]);
    }
}
