//! Shape and time methods: GutenTAG's `frequency`, `pattern` and `pattern_shift`, adapted to
//! real data: they reshape the span's own values instead of regenerating a synthetic base.

use super::{Injector, InjectorInfo};
use crate::params::{Bound, ParamSpec};

/// The span's values, with linear interpolation at fractional positions.
#[derive(Default)]
struct Span(Vec<Option<f64>>);

impl Span {
    fn at(&self, pos: f64) -> Option<f64> {
        let n = self.0.len();
        let lo = (pos.floor().max(0.0) as usize).min(n - 1);
        let hi = (lo + 1).min(n - 1);
        let frac = pos - lo as f64;
        match (self.0[lo], self.0[hi]) {
            (Some(a), Some(b)) => Some(a + (b - a) * frac.clamp(0.0, 1.0)),
            (a, b) => a.or(b),
        }
    }
}

const FREQUENCY_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "factor",
    2.0,
    Bound::incl(0.1),
    Bound::incl(10.0),
    "speed-up of the oscillation inside the span (< 1 slows it down)",
)];

pub static FREQUENCY: InjectorInfo = InjectorInfo {
    name: "frequency",
    family: "shape",
    params: FREQUENCY_PARAMS,
    description: "GutenTAG frequency: the span replays its own values faster (or slower), wrapping around",
    row_by_row: false,
    fixed_length: None,
    min_length: |_| 4,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, _, _, _| Box::new(Frequency { factor: p.float("factor"), span: Span::default() }),
};

struct Frequency {
    factor: f64,
    span: Span,
}

impl Injector for Frequency {
    fn prepare(&mut self, span: &[Option<f64>]) {
        self.span = Span(span.to_vec());
    }

    fn apply(&mut self, i: usize, x: Option<f64>) -> Option<f64> {
        let n = self.span.0.len() as f64;
        self.span.at((i as f64 * self.factor) % n).or(x)
    }
}

const PATTERN_PARAMS: &[ParamSpec] = &[ParamSpec::float(
    "sinusoid_k",
    10.0,
    Bound::excl(0.0),
    Bound::incl(1e6),
    "how hard the waveform is squashed toward a square wave (arctan(k·x)/arctan(k))",
)];

pub static PATTERN: InjectorInfo = InjectorInfo {
    name: "pattern",
    family: "shape",
    params: PATTERN_PARAMS,
    description: "GutenTAG pattern: distort the shape of the span (arctan squashing within its own range)",
    row_by_row: false,
    fixed_length: None,
    min_length: |_| 3,
    neighbourhood: |_| 0,
    check: |_| None,
    build: |p, _, _, _| Box::new(Pattern { k: p.float("sinusoid_k"), mid: 0.0, half: 0.0 }),
};

struct Pattern {
    k: f64,
    mid: f64,
    half: f64,
}

impl Injector for Pattern {
    fn prepare(&mut self, span: &[Option<f64>]) {
        let finite = span.iter().flatten().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if hi > lo {
            self.mid = (hi + lo) / 2.0;
            self.half = (hi - lo) / 2.0;
        }
    }

    fn apply(&mut self, _: usize, x: Option<f64>) -> Option<f64> {
        if self.half == 0.0 {
            return x;
        }
        x.map(|v| self.mid + self.half * (self.k * (v - self.mid) / self.half).atan() / self.k.atan())
    }
}

const PATTERN_SHIFT_PARAMS: &[ParamSpec] = &[
    ParamSpec::int(
        "shift_by",
        5.0,
        -100_000.0,
        100_000.0,
        "rows by which the middle of the span is delayed (< 0: advanced)",
    ),
    ParamSpec::int(
        "transition_window",
        10.0,
        1.0,
        100_000.0,
        "rows at each end over which the shift is eased in and out",
    ),
];

pub static PATTERN_SHIFT: InjectorInfo = InjectorInfo {
    name: "pattern_shift",
    family: "shape",
    params: PATTERN_SHIFT_PARAMS,
    description: "GutenTAG pattern shift: time-shift the middle of the span, easing in and out at its ends",
    row_by_row: false,
    fixed_length: None,
    min_length: |p| 2 * p.int("transition_window") + 2,
    neighbourhood: |_| 0,
    check: |p| {
        let (shift, window) = (p.float("shift_by"), p.float("transition_window"));
        (shift.abs() >= window)
            .then(|| format!("|shift_by| ({shift}) must be smaller than transition_window ({window})"))
    },
    build: |p, _, _, _| {
        Box::new(PatternShift {
            shift: p.float("shift_by"),
            window: p.float("transition_window"),
            span: Span::default(),
        })
    },
};

struct PatternShift {
    shift: f64,
    window: f64,
    span: Span,
}

impl PatternShift {
    /// Source position of output row `i`: the first `window` source rows stretch over
    /// `window + shift` outputs, the middle moves by `shift`, the last `window` rows squeeze
    /// into `window - shift` outputs, so both ends of the span meet their neighbours.
    fn source(&self, i: f64) -> f64 {
        let n = self.span.0.len() as f64;
        let (w, s) = (self.window, self.shift);
        if i < w + s {
            i * w / (w + s)
        } else if i < n - w + s {
            i - s
        } else {
            (n - w) + (i - (n - w + s)) * w / (w - s)
        }
    }
}

impl Injector for PatternShift {
    fn prepare(&mut self, span: &[Option<f64>]) {
        self.span = Span(span.to_vec());
    }

    fn apply(&mut self, i: usize, x: Option<f64>) -> Option<f64> {
        self.span.at(self.source(i as f64)).or(x)
    }
}

#[cfg(test)]
mod tests {
    use super::super::inject_series;
    use super::*;
    use crate::params::Params;

    fn ramp(n: usize) -> Vec<Option<f64>> {
        (0..n).map(|i| Some(i as f64)).collect()
    }

    #[test]
    fn frequency_replays_faster() {
        let out = inject_series(&FREQUENCY, &Params::defaults(FREQUENCY_PARAMS), &ramp(10), &[0..10], 0);
        let got: Vec<f64> = out[0].iter().map(|v| v.unwrap()).collect();
        assert_eq!(got, vec![0.0, 2.0, 4.0, 6.0, 8.0, 0.0, 2.0, 4.0, 6.0, 8.0]);
    }

    #[test]
    fn pattern_keeps_the_range_and_squashes_the_middle() {
        let out = inject_series(&PATTERN, &Params::defaults(PATTERN_PARAMS), &ramp(11), &[0..11], 0);
        assert!((out[0][0].unwrap() - 0.0).abs() < 1e-9 && (out[0][10].unwrap() - 10.0).abs() < 1e-9);
        assert!(out[0][6].unwrap() > 8.0); // 6 is pushed toward the top
    }

    #[test]
    fn pattern_shift_moves_the_middle_and_keeps_the_ends() {
        let out = inject_series(&PATTERN_SHIFT, &Params::defaults(PATTERN_SHIFT_PARAMS), &ramp(60), &[0..60], 0);
        assert_eq!(out[0][0], Some(0.0));
        assert_eq!(out[0][30], Some(25.0)); // delayed by 5
        assert!((out[0][59].unwrap() - 59.0).abs() < 2.0);
        assert!(
            (PATTERN_SHIFT.check)(&PATTERN_SHIFT.parse_params(Some(&serde_json::json!({"shift_by": 10}))).unwrap())
                .is_some()
        );
    }
}
