//! Methods that change how far values spread: GutenTAG's `amplitude` and `variance`, and white `noise`.

use super::{Injector, InjectorInfo, Rng};
use crate::params::{Bound, ParamSpec};
use rand_distr::{Distribution, Normal};

const AMPLITUDE_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "factor",
    2.0,
    Bound::excl(0.0),
    Bound::incl(1e6),
    "how much the oscillation around the span's mean grows (< 1 shrinks it)",
)];

pub static AMPLITUDE: InjectorInfo = InjectorInfo {
    name: "amplitude",
    family: "spread",
    params: AMPLITUDE_PARAMS,
    description: "GutenTAG amplitude: scale the oscillation around the span mean, with smooth 20% ramps",
    row_by_row: false,
    fixed_length: None,
    min_length: |_| 5,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, _, len, _| Box::new(Amplitude { factor: p.float("factor"), len, center: 0.0 }),
};

struct Amplitude {
    factor: f64,
    len: usize,
    center: f64,
}

impl Amplitude {
    /// 1 at both ends, `factor` on the plateau, raised-cosine ramps over the first and last 20%.
    fn envelope(&self, i: usize) -> f64 {
        let ramp = ((self.len as f64) * 0.2).max(1.0);
        let pos = i as f64 + 0.5;
        let edge = pos.min(self.len as f64 - pos);
        let w = if edge >= ramp { 1.0 } else { 0.5 - 0.5 * (std::f64::consts::PI * edge / ramp).cos() };
        1.0 + (self.factor - 1.0) * w
    }
}

impl Injector for Amplitude {
    fn prepare(&mut self, span: &[Option<f64>]) {
        let finite: Vec<f64> = span.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        self.center = if finite.is_empty() { 0.0 } else { finite.iter().sum::<f64>() / finite.len() as f64 };
    }

    fn apply(&mut self, i: usize, x: Option<f64>) -> Option<f64> {
        x.map(|v| self.center + (v - self.center) * self.envelope(i))
    }
}

const VARIANCE_PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "magnitude",
        1.0,
        Bound::incl(0.0),
        Bound::incl(1e6),
        "noise sd in standard deviations of the series",
    ),
    ParamSpec::int("creeping_length", 0.0, 0.0, 1e9, "rows over which the noise grows to full strength"),
];

pub static VARIANCE: InjectorInfo = InjectorInfo {
    name: "variance",
    family: "spread",
    params: VARIANCE_PARAMS,
    description: "GutenTAG variance: a burst of Gaussian noise, optionally creeping in",
    row_by_row: true,
    fixed_length: None,
    min_length: |p| p.int("creeping_length") + 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, ctx, _, rng| {
        Box::new(Noise { sd: p.float("magnitude") * ctx.scale(), creep: p.int("creeping_length"), rng })
    },
};

const NOISE_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "magnitude",
    0.5,
    Bound::incl(0.0),
    Bound::incl(1e6),
    "noise sd in standard deviations of the series",
)];

pub static NOISE: InjectorInfo = InjectorInfo {
    name: "noise",
    family: "spread",
    params: NOISE_PARAMS,
    description: "White noise: add Gaussian noise over the span",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, ctx, _, rng| Box::new(Noise { sd: p.float("magnitude") * ctx.scale(), creep: 0, rng }),
};

struct Noise {
    sd: f64,
    creep: usize,
    rng: Rng,
}

impl Injector for Noise {
    fn apply(&mut self, i: usize, x: Option<f64>) -> Option<f64> {
        let share = if self.creep == 0 { 1.0 } else { ((i + 1) as f64 / (self.creep + 1) as f64).min(1.0) };
        // Draw for every row, NULL or not, so later rows do not depend on where the NULLs are.
        let z: f64 = Normal::new(0.0, 1.0).map(|n| n.sample(&mut self.rng)).unwrap_or(0.0);
        x.map(|v| v + z * self.sd * share)
    }
}

#[cfg(test)]
mod tests {
    use super::super::inject_series;
    use super::*;
    use crate::params::Params;

    #[test]
    fn amplitude_scales_around_the_span_mean() {
        let series: Vec<Option<f64>> = (0..100).map(|i| Some(if i % 2 == 0 { 11.0 } else { 9.0 })).collect();
        let out = inject_series(&AMPLITUDE, &Params::defaults(AMPLITUDE_PARAMS), &series, &[0..100], 0);
        assert!((out[0][50].unwrap() - 12.0).abs() < 1e-9); // plateau: 10 + (11 - 10)·2
        assert!((out[0][0].unwrap() - 11.0).abs() < 0.1); // edge: barely changed
    }

    #[test]
    fn noise_has_the_requested_spread() {
        let series: Vec<Option<f64>> = (0..20_000).map(|i| Some(if i % 2 == 0 { 1.0 } else { -1.0 })).collect();
        let out = inject_series(&NOISE, &Params::defaults(NOISE_PARAMS), &series, &[0..20_000], 5);
        let added: Vec<f64> = out[0].iter().zip(&series).map(|(n, o)| n.unwrap() - o.unwrap()).collect();
        let (_, sd) = crate::series::mean_sd(&added);
        assert!((sd - 0.5).abs() < 0.02, "sd {sd}"); // series sd ~1, magnitude 0.5
    }
}
