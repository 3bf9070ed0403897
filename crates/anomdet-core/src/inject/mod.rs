//! Anomaly injection: one file per family of methods, behind one trait, listed in one registry.
//!
//! An injection changes the values of one span of a series. Each method is an [`Injector`]
//! that is fed the span one value at a time (`apply(i, x)`), so a stream replay can inject as
//! rows pass; methods that reshape a whole segment (pattern, frequency, pattern_shift,
//! amplitude) first see the whole span through `prepare` and say so with `row_by_row: false`.
//! Everything is seeded: the same inputs and seed give the same values, bit for bit.

mod level;
mod point;
mod shape;
mod spread;

use crate::params::{ParamError, ParamSpec, Params};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::ops::Range;

pub type Rng = ChaCha8Rng;

/// What an injection may know about the series around it: statistics of the finite values of
/// the whole series, and the values around the span (for local methods).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    /// Finite values within `neighbourhood` rows of the span, the span included.
    pub local: Vec<f64>,
}

impl Context {
    /// Statistics of the finite values of `series` (all zero when there are none).
    pub fn of(series: &[Option<f64>]) -> Context {
        let finite: Vec<f64> = series.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return Context::default();
        }
        let (mean, std) = crate::series::mean_sd(&finite);
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Context { mean, std, min, max, local: Vec::new() }
    }

    pub fn with_local(mut self, series: &[Option<f64>], span: &Range<usize>, radius: usize) -> Context {
        let lo = span.start.saturating_sub(radius);
        let hi = (span.end + radius).min(series.len());
        self.local = series[lo..hi].iter().flatten().copied().filter(|v| v.is_finite()).collect();
        self
    }

    pub fn range(&self) -> f64 {
        self.max - self.min
    }

    /// A scale that is never zero, for methods sized in standard deviations.
    pub fn scale(&self) -> f64 {
        if self.std > 0.0 { self.std } else { self.mean.abs().max(1.0) }
    }
}

/// Changes the values of one span. `i` is the offset inside the span; `x` the original value
/// (None for NULL). Returns the new value (None writes NULL).
pub trait Injector {
    /// Whole-span methods read the span first; row-by-row methods ignore this.
    fn prepare(&mut self, _span: &[Option<f64>]) {}
    fn apply(&mut self, i: usize, x: Option<f64>) -> Option<f64>;
}

/// What the catalog knows about an injection method, and how to build one.
pub struct InjectorInfo {
    pub name: &'static str,
    pub family: &'static str,
    pub params: &'static [ParamSpec],
    pub description: &'static str,
    /// False for methods that must see the whole span before changing any of it.
    pub row_by_row: bool,
    /// Span length forced by the method (extremum: 1), if any.
    pub fixed_length: Option<usize>,
    /// The shortest span the method accepts with these parameters.
    pub min_length: fn(&Params) -> usize,
    /// Rows on each side of a span that the method looks at (`Context::local`).
    pub neighbourhood: fn(&Params) -> usize,
    /// A problem with a combination of parameters that ranges cannot express, if any.
    pub check: fn(&Params) -> Option<String>,
    pub build: fn(&Params, &Context, usize, Rng) -> Box<dyn Injector>,
}

impl InjectorInfo {
    pub fn parse_params(&self, json: Option<&serde_json::Value>) -> Result<Params, ParamError> {
        Params::parse(&format!("method {}", self.name), self.params, json)
    }
}

static REGISTRY: [&InjectorInfo; 16] = [
    &point::SPIKE,
    &level::STEP,
    &level::LOWERED,
    &level::OFFLINE,
    &point::CUSTOM,
    &point::EXTREMUM,
    &level::MEAN,
    &spread::AMPLITUDE,
    &spread::VARIANCE,
    &level::TREND,
    &level::PLATFORM,
    &shape::FREQUENCY,
    &shape::PATTERN,
    &shape::PATTERN_SHIFT,
    &level::MISSING,
    &spread::NOISE,
];

/// Every built-in injection method, in listing order (AnomDet's five first).
pub fn injectors() -> &'static [&'static InjectorInfo] {
    &REGISTRY
}

pub fn find_injector(name: &str) -> Option<&'static InjectorInfo> {
    REGISTRY.iter().copied().find(|m| m.name == name)
}

/// The generator for one injection: ChaCha8 with a fixed stream per purpose, so placement and
/// each span draw from independent, reproducible sequences.
pub fn rng(seed: i64, stream: u64) -> Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed as u64);
    r.set_stream(stream);
    r
}

/// Inject into every span of `series`; returns the new values of each span, in span order.
/// Span `k` draws from random stream `stream_base + k + 1`, so callers give each column and
/// each series its own `stream_base` (see [`stream_base`]).
pub fn inject_series(
    info: &InjectorInfo,
    params: &Params,
    series: &[Option<f64>],
    spans: &[Range<usize>],
    seed: i64,
) -> Vec<Vec<Option<f64>>> {
    inject_series_streams(info, params, series, spans, seed, 0)
}

/// The random-stream base for one series and column of a multi-series, multi-column injection.
pub fn stream_base(series_index: usize, column_index: usize) -> u64 {
    ((series_index as u64) << 32) | ((column_index as u64) << 24)
}

pub fn inject_series_streams(
    info: &InjectorInfo,
    params: &Params,
    series: &[Option<f64>],
    spans: &[Range<usize>],
    seed: i64,
    stream_base: u64,
) -> Vec<Vec<Option<f64>>> {
    let base = Context::of(series);
    spans
        .iter()
        .enumerate()
        .map(|(k, span)| {
            let ctx = base.clone().with_local(series, span, (info.neighbourhood)(params));
            let original = &series[span.clone()];
            let mut injector = (info.build)(params, &ctx, span.len(), rng(seed, stream_base + k as u64 + 1));
            injector.prepare(original);
            original
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    crate::interrupt::check_every(i);
                    injector.apply(i, x)
                })
                .collect()
        })
        .collect()
}

/// Why spans could not be placed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlacementError {
    #[error("{count} spans of {length} rows need {needed} rows, the series has {rows}")]
    TooMany { count: usize, length: usize, needed: usize, rows: usize },
}

/// The placement stream of series `series_index` (kept apart from every span stream).
pub fn placement_rng(seed: i64, series_index: usize) -> Rng {
    rng(seed, (1u64 << 63) | series_index as u64)
}

/// Choose `count` non-overlapping spans of `length` rows in a series of `rows`, uniformly and
/// reproducibly: the free rows are shared out at random as gaps between the spans.
pub fn place_random(
    rows: usize,
    count: usize,
    length: usize,
    rng: &mut Rng,
) -> Result<Vec<Range<usize>>, PlacementError> {
    use rand::Rng as _;
    let needed = count * length;
    if needed > rows || count == 0 {
        return Err(PlacementError::TooMany { count, length, needed, rows });
    }
    // Sorted random cut points in the free rows give the gaps before each span.
    let free = rows - needed;
    let mut cuts: Vec<usize> = (0..count).map(|_| rng.random_range(0..=free)).collect();
    cuts.sort_unstable();
    Ok(cuts.iter().enumerate().map(|(k, &gap)| gap + k * length..gap + (k + 1) * length).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize) -> Vec<Option<f64>> {
        (0..n).map(|i| Some(10.0 + (i as f64 * std::f64::consts::TAU / 50.0).sin())).collect()
    }

    /// Adding a method is one file plus one line in REGISTRY; this catches a forgotten line.
    #[test]
    fn every_declared_method_is_registered() {
        let sources =
            [include_str!("point.rs"), include_str!("level.rs"), include_str!("spread.rs"), include_str!("shape.rs")];
        let declared: usize = sources.iter().map(|s| s.matches(": InjectorInfo = InjectorInfo {").count()).sum();
        assert_eq!(declared, injectors().len());
    }

    #[test]
    fn registry_names_are_unique() {
        for m in injectors() {
            assert!(std::ptr::eq(find_injector(m.name).unwrap(), *m));
        }
        assert_eq!(injectors().len(), 16);
    }

    #[test]
    fn every_method_is_deterministic_and_changes_its_span() {
        let series = sine(400);
        for m in injectors() {
            let params = Params::defaults(m.params);
            let len = m.fixed_length.unwrap_or(50).max((m.min_length)(&params));
            let spans = vec![100..100 + len, 300..300 + len.min(60)];
            let a = inject_series(m, &params, &series, &spans, 7);
            let b = inject_series(m, &params, &series, &spans, 7);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{} is not reproducible", m.name);
            assert_eq!(a[0].len(), spans[0].len());
            let changed = a[0].iter().zip(&series[spans[0].clone()]).filter(|(n, o)| n != o).count();
            assert!(changed > 0, "{} changed nothing", m.name);
        }
    }

    #[test]
    fn seeds_matter_for_random_methods() {
        let series = sine(200);
        let m = find_injector("noise").unwrap();
        let p = Params::defaults(m.params);
        assert_ne!(inject_series(m, &p, &series, &[10..60], 1), inject_series(m, &p, &series, &[10..60], 2));
        // Seeds 0 and -1 are ordinary seeds.
        assert_ne!(inject_series(m, &p, &series, &[10..60], 0), inject_series(m, &p, &series, &[10..60], -1));
    }

    #[test]
    fn random_placement_is_disjoint_and_reproducible() {
        let a = place_random(1000, 10, 20, &mut rng(3, 0)).unwrap();
        let b = place_random(1000, 10, 20, &mut rng(3, 0)).unwrap();
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].end <= w[1].start));
        assert!(a.iter().all(|r| r.len() == 20 && r.end <= 1000));
        assert!(place_random(100, 6, 20, &mut rng(3, 0)).is_err());
        assert_eq!(place_random(20, 1, 20, &mut rng(3, 0)).unwrap(), vec![0..20]);
    }
}
