//! Seasonal hybrid ESD (Hochenbaum, Vallis & Kejariwal 2017; Twitter's AnomalyDetection): the
//! seasonal component of a robust periodic STL (`s.window = "periodic"`, as Twitter's code) and the median of the series are removed, and a
//! generalized ESD test with median and MAD in place of mean and sd finds up to
//! `max_anomalies` of the values in the rest. `period` 0: found from the autocorrelation.
//! Batch only.

use super::{Detector, DetectorInfo, Finds, Memory, Scored};
use crate::params::{Bound, ParamSpec};
use crate::parts::esd::{esd, esd_scores};
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
    memory: Memory::Series,
    build: |p| {
        Box::new(Shesd { period: p.int("period"), max_share: p.float("max_anomalies"), alpha: p.float("alpha") })
    },
};

struct Shesd {
    period: usize,
    max_share: f64,
    alpha: f64,
}

impl Detector for Shesd {
    fn update(&mut self, _x: f64) -> Scored {
        Scored::WARMUP // batch only
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let seasonal = match period_of(xs, self.period) {
            Some(p) => crate::stl::stl(xs, p, None, true).seasonal,
            None => vec![0.0; xs.len()],
        };
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = quantile_sorted(&sorted, 0.5);
        let rest: Vec<f64> = xs.iter().zip(&seasonal).map(|(x, s)| x - s - median).collect();
        let max_steps = ((self.max_share * xs.len() as f64).floor() as usize).max(1);
        let steps = esd(&rest, max_steps, self.alpha, true);
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
