//! ADTK `PersistAD`: a value's deviation from the median of the `window` values before it,
//! d = x − median(previous window), judged by IQR fences on d (c = 3, both sides). Batch mode
//! fits the fences on every d of the series, as ADTK's fit_detect does; online mode fits them
//! on the last `history` deviations, so it adapts and never looks ahead.

use crate::state::StateError;
use serde::{Deserialize, Serialize};
use crate::parts::fences::{Least, Side, judge, judge_all};
use crate::resolution::Resolution;
use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored};
use crate::params::{Bound, ParamSpec};
use crate::series::quantile_sorted;
use crate::window::TrailingWindow;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("window", 1.0, 1.0, 100_000.0, "values before each value whose median it is compared with"),
    ParamSpec::float("c", 3.0, Bound::excl(0.0), Bound::incl(1e6), "fence width in interquartile ranges"),
    ParamSpec::int("history", 1000.0, 10.0, 100_000.0, "online: past deviations the fences are fitted on"),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "persist",
    family: "ADTK",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "ADTK PersistAD: deviation from the recent median, judged by interquartile fences",
    finds: Finds::Spikes,
    min_points: |p| p.int("window") + 10,
    cost: Cost { batch: Pass::linear(0.23), online: Some(Pass::linear(0.22)) },
    memory: Memory::Series,
    build: |p| {
        let window = p.int("window");
        Box::new(Persist {
            window,
            c: p.float("c"),
            recent: TrailingWindow::new(window),
            deviations: TrailingWindow::new(p.int("history")),
            resolution: Resolution::default(),
        })
    },
};

#[derive(Serialize, Deserialize)]
struct Persist {
    window: usize,
    c: f64,
    recent: TrailingWindow,
    /// The last `history` deviations, kept sorted.
    deviations: TrailingWindow,
    resolution: Resolution,
}

fn median(sorted: &[f64]) -> f64 {
    crate::series::quantile_sorted(sorted, 0.5)
}

impl Detector for Persist {
    fn update(&mut self, x: f64) -> Scored {
        let mut out = Scored::WARMUP;
        self.resolution.observe(x);
        if self.recent.is_full() {
            let base = median(self.recent.sorted());
            let d = x - base;
            let past = self.deviations.sorted();
            if past.len() >= 10 {
                let q = (quantile_sorted(past, 0.25), quantile_sorted(past, 0.5), quantile_sorted(past, 0.75));
                out = judge(d, q, self.c, Side::Both, Some(base), Least::Resolution(self.resolution));
            }
            self.deviations.push(d);
        }
        self.recent.push(x);
        out
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let mut window = TrailingWindow::new(self.window);
        let (mut d, mut bases) = (Vec::with_capacity(xs.len()), Vec::with_capacity(xs.len()));
        for (i, &x) in xs.iter().enumerate() {
            crate::interrupt::check_every(i);
            let base = if window.is_full() { median(window.sorted()) } else { f64::NAN };
            d.push(x - base);
            bases.push(base);
            window.push(x);
        }
        judge_all(xs, &d, Some(&bases), self.c, Side::Both, Least::Resolution(Resolution::default()))
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

    /// A staircase 0,1,2,…: every d is 1 except a jump. Window 1, c 3: IQR of d is 0, floored,
    /// so only the jump is outside the fences.
    #[test]
    fn a_jump_in_a_steady_climb() {
        let mut xs: Vec<f64> = (0..50).map(f64::from).collect();
        xs[30] = 60.0;
        let out = (INFO.build)(&crate::Params::defaults(PARAMS)).score_batch(&xs);
        assert_eq!(out[0], Scored::WARMUP);
        let flagged: Vec<usize> = (0..50).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        // 30 jumps up, 31 comes back down (its deviation from 60 is −29).
        assert_eq!(flagged, vec![30, 31]);
        assert_eq!(out[29].expected, Some(29.0)); // base 28 + median d 1
    }

    #[test]
    fn online_never_looks_ahead() {
        let xs: Vec<f64> = (0..300).map(|i| (i as f64 / 7.0).sin()).collect();
        let mut a = (INFO.build)(&crate::Params::defaults(PARAMS));
        let mut b = (INFO.build)(&crate::Params::defaults(PARAMS));
        let first: Vec<Scored> = xs[..200].iter().map(|&x| a.update(x)).collect();
        let mut changed = xs.clone();
        changed[250] = 99.0;
        let again: Vec<Scored> = changed[..200].iter().map(|&x| b.update(x)).collect();
        assert_eq!(first, again);
    }
}
