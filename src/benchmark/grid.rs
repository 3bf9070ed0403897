//! One dataset's share of a benchmark grid: every injection method × seed × detector on one
//! series, each case injected in memory, scored and evaluated. A single node runs it series by
//! series; a Citus worker runs it for the series of its shards (`on_workers`), and both give the
//! same cells because where the spans go depends only on the seed and the series' place.

use crate::chosen_detector::ChosenDetector;
use crate::pipeline::scorer::SeriesScorer;
use anomdet_core::Params;
use anomdet_core::evaluate::{Metric, evaluate};
use anomdet_core::inject::{InjectorInfo, inject_series_streams, place_random, placement_rng, stream_base};
use pgrx::pg_sys::panic::ErrorReport;
use std::time::Instant;

/// What every series of a benchmark goes through.
pub struct Grid<'a> {
    pub methods: &'a [&'static InjectorInfo],
    pub seeds: i32,
    pub count: usize,
    pub length: usize,
    pub detectors: &'a [ChosenDetector],
}

/// One evaluated cell: a detector on one injected case of one series.
pub struct Outcome {
    pub detector: String,
    pub method: String,
    pub seed: i32,
    /// Each metric by name; None where it is undefined (no positives, ...).
    pub metrics: Vec<(String, Option<f64>)>,
    pub rows: i64,
    pub labelled_rows: i64,
    pub runtime_ms: f64,
}

impl Outcome {
    pub fn new(
        detector: &str,
        method: &str,
        seed: i32,
        metrics: &[Metric],
        labels: &[bool],
        runtime_ms: f64,
    ) -> Outcome {
        Outcome {
            detector: detector.to_string(),
            method: method.to_string(),
            seed,
            metrics: metrics.iter().map(|m| (m.name.to_string(), Some(m.value).filter(|v| v.is_finite()))).collect(),
            rows: labels.len() as i64,
            labelled_rows: labels.iter().filter(|&&l| l).count() as i64,
            runtime_ms,
        }
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
    }
}

impl Grid<'_> {
    pub fn cells_per_series(&self) -> u64 {
        (self.methods.len() * self.seeds.max(0) as usize * self.detectors.len()) as u64
    }

    /// Run the grid on one series; `series_index` is its place among the source's series in key
    /// order (it seeds where the spans go). `each` gets the cells as they are evaluated.
    pub fn run_series(
        &self,
        series_index: usize,
        original: &[Option<f64>],
        dataset: &str,
        mut each: impl FnMut(Outcome) -> Result<(), ErrorReport>,
    ) -> Result<(), ErrorReport> {
        for method in self.methods {
            let params = Params::defaults(method.params);
            let span = method.fixed_length.unwrap_or(self.length).max((method.min_length)(&params));
            for seed in 1..=self.seeds {
                let case = inject_case(method, &params, original, series_index, seed as i64, self.count, span);
                for detector in self.detectors {
                    pgrx::check_for_interrupts!();
                    let started = Instant::now();
                    let (scores, flags) = score_case(detector, &case.values, dataset)?;
                    let metrics = evaluate(&case.labels, &scores, &flags);
                    let runtime_ms = started.elapsed().as_secs_f64() * 1000.0;
                    each(Outcome::new(detector.name(), method.name, seed, &metrics, &case.labels, runtime_ms))?;
                }
            }
        }
        Ok(())
    }
}

/// One injected variant of one series, with its labels.
struct Case {
    values: Vec<Option<f64>>,
    labels: Vec<bool>,
}

fn inject_case(
    method: &InjectorInfo,
    params: &Params,
    original: &[Option<f64>],
    series_index: usize,
    seed: i64,
    count: usize,
    span: usize,
) -> Case {
    let spans = place_random(original.len(), count, span, &mut placement_rng(seed, series_index)).unwrap_or_default();
    let injected = inject_series_streams(method, params, original, &spans, seed, stream_base(series_index, 0));
    let mut values = original.to_vec();
    let mut labels = vec![false; values.len()];
    for (range, new) in spans.iter().zip(injected) {
        values[range.clone()].copy_from_slice(&new);
        labels[range.clone()].iter_mut().for_each(|x| *x = true);
    }
    Case { values, labels }
}

/// Score one series in batch mode: NaN for unscored rows (NULL, NaN, warm-up), never flagged.
pub(crate) fn score_case(
    detector: &ChosenDetector,
    values: &[Option<f64>],
    series: &str,
) -> Result<(Vec<f64>, Vec<bool>), ErrorReport> {
    let scored = SeriesScorer::new(detector).score_whole(values, series)?;
    Ok(scored.iter().map(|s| (s.score.unwrap_or(f64::NAN), s.is_anomaly.unwrap_or(false))).unzip())
}
