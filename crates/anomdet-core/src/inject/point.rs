//! Point-like methods: AnomDet's `spike` and `custom`, and GutenTAG's `extremum`.

use super::{Context, Injector, InjectorInfo, Rng};
use crate::params::{Bound, ParamSpec};
use rand::Rng as _;

const SPIKE_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "magnitude",
    2.0,
    Bound::incl(1.0),
    Bound::incl(1e6),
    "each value is multiplied by a random factor in [1, magnitude]",
)];

pub static SPIKE: InjectorInfo = InjectorInfo {
    name: "spike",
    family: "point",
    params: SPIKE_PARAMS,
    description: "AnomDet spike: multiply each value by a random factor in [1, magnitude]",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, _, _, rng| Box::new(Spike { magnitude: p.float("magnitude"), rng }),
};

struct Spike {
    magnitude: f64,
    rng: Rng,
}

impl Injector for Spike {
    fn apply(&mut self, _: usize, x: Option<f64>) -> Option<f64> {
        let factor = self.rng.random_range(1.0..=self.magnitude);
        x.map(|v| v * factor)
    }
}

const CUSTOM_PARAMS: &[ParamSpec] =
    &[ParamSpec::float("magnitude", 1.5, Bound::incl(-1e6), Bound::incl(1e6), "every value is multiplied by this")];

pub static CUSTOM: InjectorInfo = InjectorInfo {
    name: "custom",
    family: "point",
    params: CUSTOM_PARAMS,
    description: "AnomDet custom: multiply every value by magnitude",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, _, _, _| Box::new(Scale(p.float("magnitude"))),
};

struct Scale(f64);

impl Injector for Scale {
    fn apply(&mut self, _: usize, x: Option<f64>) -> Option<f64> {
        x.map(|v| v * self.0)
    }
}

const EXTREMUM_PARAMS: &[ParamSpec] = &[
    ParamSpec::flag("min", false, "push the value down instead of up"),
    ParamSpec::flag("local", false, "size the jump by the neighbourhood's range instead of the whole series'"),
    ParamSpec::int("context_window", 10.0, 2.0, 100_000.0, "local: rows around the point that define its range"),
];

pub static EXTREMUM: InjectorInfo = InjectorInfo {
    name: "extremum",
    family: "point",
    params: EXTREMUM_PARAMS,
    description: "GutenTAG extremum: one value pushed beyond the global or local range",
    row_by_row: true,
    fixed_length: Some(1),
    min_length: |_| 1,
    neighbourhood: |p| p.int("context_window") / 2,
    check: |_| None,
    build: |p, ctx, _, mut rng| {
        let u: f64 = rng.random();
        // GutenTAG: global jump (U + 0.5)·range of the series, local jump U·range of the neighbourhood.
        let jump = if p.flag("local") { u * local_range(ctx) } else { (u + 0.5) * ctx.range() };
        let jump = if jump > 0.0 { jump } else { ctx.scale() };
        Box::new(Shift(if p.flag("min") { -jump } else { jump }))
    },
};

fn local_range(ctx: &Context) -> f64 {
    let lo = ctx.local.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ctx.local.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi > lo { hi - lo } else { 0.0 }
}

pub(super) struct Shift(pub f64);

impl Injector for Shift {
    fn apply(&mut self, _: usize, x: Option<f64>) -> Option<f64> {
        x.map(|v| v + self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{inject_series, rng};
    use super::*;
    use crate::params::Params;

    #[test]
    fn spike_factors_stay_in_range() {
        let series: Vec<Option<f64>> = vec![Some(10.0); 100];
        let p = SPIKE.parse_params(Some(&serde_json::json!({"magnitude": 3}))).unwrap();
        let out = inject_series(&SPIKE, &p, &series, &[0..100], 1);
        assert!(out[0].iter().all(|v| (10.0..=30.0).contains(&v.unwrap())));
        assert!(out[0].iter().any(|v| v.unwrap() > 20.0));
    }

    #[test]
    fn custom_multiplies_and_keeps_nulls() {
        let p = Params::defaults(CUSTOM_PARAMS);
        let mut m = (CUSTOM.build)(&p, &Context::default(), 2, rng(0, 1));
        assert_eq!(m.apply(0, Some(4.0)), Some(6.0));
        assert_eq!(m.apply(1, None), None);
    }

    #[test]
    fn global_extremum_leaves_the_range() {
        let series: Vec<Option<f64>> = (0..100).map(|i| Some(i as f64 % 10.0)).collect();
        let p = Params::defaults(EXTREMUM_PARAMS);
        let out = inject_series(&EXTREMUM, &p, &series, &[50..51], 4);
        // range 9: the jump is at least 4.5
        assert!(out[0][0].unwrap() >= series[50].unwrap() + 4.5);
    }
}
