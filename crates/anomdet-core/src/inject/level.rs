//! Level methods: AnomDet's `step`, `lowered` and `offline`; GutenTAG's `mean`, `trend` and
//! `platform`; and `missing` (the sensor reports nothing: NULL).

use super::point::Shift;
use super::{Injector, InjectorInfo};
use crate::params::{Bound, ParamSpec};
use rand::Rng as _;

const STEP_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "magnitude",
    1.0,
    Bound::incl(-1e6),
    Bound::incl(1e6),
    "adds the series mean times this to every value",
)];

pub static STEP: InjectorInfo = InjectorInfo {
    name: "step",
    family: "level",
    params: STEP_PARAMS,
    description: "AnomDet step: add the series mean times magnitude",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, ctx, _, _| Box::new(Shift(ctx.mean * p.float("magnitude"))),
};

const LOWERED_PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "min_fraction",
        0.3,
        Bound::incl(0.0),
        Bound::incl(10.0),
        "smallest share of the range to subtract",
    ),
    ParamSpec::float(
        "max_fraction",
        0.4,
        Bound::incl(0.0),
        Bound::incl(10.0),
        "largest share of the range to subtract",
    ),
    ParamSpec::flag("floor_at_zero", true, "never go below 0, as a physical reading would not"),
];

pub static LOWERED: InjectorInfo = InjectorInfo {
    name: "lowered",
    family: "level",
    params: LOWERED_PARAMS,
    description: "AnomDet lowered: subtract 30-40% of the series range, floored at 0",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |p| {
        (p.float("min_fraction") > p.float("max_fraction"))
            .then(|| "min_fraction must not exceed max_fraction".to_string())
    },
    build: |p, ctx, _, mut rng| {
        let (lo, hi) = (p.float("min_fraction"), p.float("max_fraction"));
        let fraction = if hi > lo { rng.random_range(lo..=hi) } else { lo };
        Box::new(Lowered { by: fraction * ctx.range(), floor: p.flag("floor_at_zero") })
    },
};

struct Lowered {
    by: f64,
    floor: bool,
}

impl Injector for Lowered {
    fn apply(&mut self, _: usize, x: Option<f64>) -> Option<f64> {
        x.map(|v| if self.floor { (v - self.by).max(0.0) } else { v - self.by })
    }
}

pub static OFFLINE: InjectorInfo = InjectorInfo {
    name: "offline",
    family: "level",
    params: &[],
    description: "AnomDet offline: the sensor reads 0 over the span",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |_, _, _, _| Box::new(Constant(Some(0.0))),
};

pub static MISSING: InjectorInfo = InjectorInfo {
    name: "missing",
    family: "level",
    params: &[],
    description: "Missing data: the values of the span become NULL",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |_, _, _, _| Box::new(Constant(None)),
};

struct Constant(Option<f64>);

impl Injector for Constant {
    fn apply(&mut self, _: usize, _: Option<f64>) -> Option<f64> {
        self.0
    }
}

const MEAN_PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "magnitude",
        3.0,
        Bound::incl(-1e6),
        Bound::incl(1e6),
        "level shift in standard deviations of the series",
    ),
    ParamSpec::int("creeping_length", 0.0, 0.0, 1e9, "rows of linear ramp into the shift at the start of the span"),
];

pub static MEAN: InjectorInfo = InjectorInfo {
    name: "mean",
    family: "level",
    params: MEAN_PARAMS,
    description: "GutenTAG mean: a level shift of magnitude standard deviations, optionally creeping in",
    row_by_row: true,
    fixed_length: None,
    min_length: |p| p.int("creeping_length") + 1,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, ctx, _, _| {
        Box::new(Ramp { total: p.float("magnitude") * ctx.scale(), ramp: p.int("creeping_length"), hold: true })
    },
};

const TREND_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "magnitude",
    3.0,
    Bound::incl(-1e6),
    Bound::incl(1e6),
    "drift reached at the end of the span, in standard deviations of the series",
)];

pub static TREND: InjectorInfo = InjectorInfo {
    name: "trend",
    family: "level",
    params: TREND_PARAMS,
    description: "Trend: a drift that builds linearly over the span",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 2,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, ctx, len, _| Box::new(Ramp { total: p.float("magnitude") * ctx.scale(), ramp: len - 1, hold: false }),
};

/// Adds `total`, reached linearly over the first `ramp` rows (and then held).
struct Ramp {
    total: f64,
    ramp: usize,
    hold: bool,
}

impl Injector for Ramp {
    fn apply(&mut self, i: usize, x: Option<f64>) -> Option<f64> {
        let share = if self.ramp == 0 {
            1.0
        } else if self.hold {
            ((i + 1) as f64 / (self.ramp + 1) as f64).min(1.0)
        } else {
            i as f64 / self.ramp as f64
        };
        x.map(|v| v + self.total * share)
    }
}

const PLATFORM_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "value",
    f64::NAN,
    Bound::incl(-1e300),
    Bound::incl(1e300),
    "the flat value; unset (null) holds the value at the start of the span",
)];

pub static PLATFORM: InjectorInfo = InjectorInfo {
    name: "platform",
    family: "level",
    params: PLATFORM_PARAMS,
    description: "GutenTAG platform: a flat line over the span (a stuck sensor)",
    row_by_row: true,
    fixed_length: None,
    min_length: |_| 2,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, _, _, _| Box::new(Platform { value: Some(p.float("value")).filter(|v| !v.is_nan()) }),
};

struct Platform {
    value: Option<f64>,
}

impl Injector for Platform {
    fn apply(&mut self, _: usize, x: Option<f64>) -> Option<f64> {
        if self.value.is_none() {
            self.value = x; // hold the first (non-NULL) value seen
        }
        self.value.or(x)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Context, rng};
    use super::*;
    use crate::params::Params;

    fn ctx() -> Context {
        Context { mean: 10.0, std: 2.0, min: 0.0, max: 20.0, local: vec![] }
    }

    #[test]
    fn anomdet_semantics() {
        let mut step = (STEP.build)(&Params::defaults(STEP_PARAMS), &ctx(), 3, rng(0, 1));
        assert_eq!(step.apply(0, Some(5.0)), Some(15.0));
        let mut low = (LOWERED.build)(&Params::defaults(LOWERED_PARAMS), &ctx(), 3, rng(0, 1));
        let v = low.apply(0, Some(10.0)).unwrap();
        assert!((2.0..=4.0).contains(&v), "10 - [6, 8] = {v}");
        assert_eq!(low.apply(1, Some(1.0)), Some(0.0)); // floored
        let mut off = (OFFLINE.build)(&Params::defaults(&[]), &ctx(), 3, rng(0, 1));
        assert_eq!(off.apply(0, Some(7.0)), Some(0.0));
        let mut gone = (MISSING.build)(&Params::defaults(&[]), &ctx(), 3, rng(0, 1));
        assert_eq!(gone.apply(0, Some(7.0)), None);
    }

    #[test]
    fn mean_creeps_then_holds_and_trend_builds() {
        let p = MEAN.parse_params(Some(&serde_json::json!({"magnitude": 1, "creeping_length": 3}))).unwrap();
        let mut m = (MEAN.build)(&p, &ctx(), 6, rng(0, 1));
        let out: Vec<f64> = (0..6).map(|i| m.apply(i, Some(0.0)).unwrap()).collect();
        assert_eq!(out, vec![0.5, 1.0, 1.5, 2.0, 2.0, 2.0]);
        let mut t = (TREND.build)(&Params::defaults(TREND_PARAMS), &ctx(), 4, rng(0, 1));
        let out: Vec<f64> = (0..4).map(|i| t.apply(i, Some(0.0)).unwrap()).collect();
        assert_eq!(out, vec![0.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn platform_holds_the_first_value_or_a_given_one() {
        let mut held = (PLATFORM.build)(&Params::defaults(PLATFORM_PARAMS), &ctx(), 3, rng(0, 1));
        assert_eq!([held.apply(0, Some(3.0)), held.apply(1, Some(9.0))], [Some(3.0), Some(3.0)]);
        let p = PLATFORM.parse_params(Some(&serde_json::json!({"value": 1.5}))).unwrap();
        let mut fixed = (PLATFORM.build)(&p, &ctx(), 3, rng(0, 1));
        assert_eq!(fixed.apply(0, Some(3.0)), Some(1.5));
    }
}
