//! Benchmarks (`anomdet.benchmark(...)`): detectors × injection methods × seeds × datasets (the series of
//! the source, one when it has no series key) on one value column.
//!
//! Injection happens in memory on a copy of the values read once, so the source is never
//! written (it may be a view); each cell is scored, evaluated against the spans it injected
//! and stored with its runtime in `anomdet.benchmark_results`. `anomdet.leaderboard` ranks the
//! detectors.

use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error, invalid_argument, required};
use crate::evaluation::truth::Truth;
use crate::pipeline::scorer::SeriesScorer;
use crate::postgres::relation::Source;
use crate::postgres::series_rows::{self, SeriesRows};
use crate::progress::Progress;
use anomdet_core::evaluate::evaluate;
use anomdet_core::inject::{
    InjectorInfo, find_injector, inject_series_streams, place_random, placement_rng, stream_base,
};
use anomdet_core::progress::Total;
use anomdet_core::{Params, registry};
use own_labels::{OwnLabels, own_labels_name};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::collections::HashMap;
use std::time::Instant;

/// A benchmark request, its arguments unpacked.
pub struct Benchmark<'a> {
    pub relid: pg_sys::Oid,
    pub value_column: &'a str,
    pub detectors: Option<Vec<Option<String>>>,
    pub methods: Vec<Option<String>>,
    pub seeds: i32,
    pub count: i32,
    pub length: i32,
    pub time_column: Option<&'a str>,
    pub series_column: Option<&'a str>,
    pub name: Option<&'a str>,
    pub start_time: Option<TimestampWithTimeZone>,
    pub end_time: Option<TimestampWithTimeZone>,
    /// Your own labels instead of injected ones (`crate::evaluation::truth`).
    pub label_column: Option<&'a str>,
    pub label_windows: Option<pg_sys::Oid>,
}

/// Run a benchmark grid and return its id; results in anomdet.benchmark_results.
pub fn run(request: Benchmark<'_>) -> Result<i64, ErrorReport> {
    let Benchmark {
        relid,
        value_column,
        detectors,
        methods,
        seeds,
        count,
        length,
        time_column,
        series_column,
        name,
        start_time,
        end_time,
        label_column,
        label_windows,
    } = request;
    let range = crate::postgres::time_range::TimeRange::from_args(start_time, end_time)?;
    let detectors = pick_detectors(detectors)?;
    let methods = pick_methods(methods)?;
    if !(1..=100).contains(&seeds) || count < 1 || length < 1 {
        return Err(invalid_argument(
            format!("seeds must be in [1, 100], count and length at least 1; got {seeds}, {count}, {length}"),
            "e.g. seeds => 3, count => 3, length => 10",
        ));
    }
    let mut source = Source::resolve(relid, value_column, time_column, series_column)?;
    source.range = range;
    let series = series_rows::read(&source, &[value_column.to_string()], None)?;
    check_rows(&source, &series)?;
    let truth = Truth::from_args(relid, label_column, label_windows)?;
    if !matches!(truth, Truth::Injected) {
        check_detectors(&source, &series, &detectors)?;
        let own = OwnLabels { truth: &truth, name: own_labels_name(label_column, &truth), detectors: &detectors };
        return own_labels::run(&source, &series, own, name);
    }
    check_spans(&series, &methods, count as usize, length as usize)?;
    check_detectors(&source, &series, &detectors)?;

    let id = crate::postgres::sql::write_one::<i64>(
        "INSERT INTO anomdet.benchmarks (name, relid, source, value_column, detectors, methods, seeds, placement) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            name.into(),
            relid.into(),
            source.qualified.as_str().into(),
            value_column.into(),
            detectors.iter().map(|d| d.name().to_string()).collect::<Vec<_>>().into(),
            methods.iter().map(|m| m.name.to_string()).collect::<Vec<_>>().into(),
            seeds.into(),
            pgrx::JsonB(placement_json(count, length, start_time, end_time)).into(),
        ],
    )
    .or_report()?
    .ok_or_else(|| crate::error::internal("INSERT INTO anomdet.benchmarks returned no id"))?;

    // Each series is a dataset: injected, scored and evaluated on its own, as benchmarks
    // over many series (TSB-AD, NAB) do, so the leaderboard means are over datasets too.
    let cells = (methods.len() * seeds.max(0) as usize * series.len() * detectors.len()) as u64;
    let mut progress = Progress::start("benchmark", "cells", Total::Known(cells), Some(relid));
    progress.set_job(id);
    for method in &methods {
        let params = Params::defaults(method.params);
        let span = method.fixed_length.unwrap_or(length as usize).max((method.min_length)(&params));
        for seed in 1..=seeds {
            for (s, rows) in series.iter().enumerate() {
                let dataset = rows.key.clone().unwrap_or_else(|| source.qualified.clone());
                let case = inject_case(method, &params, &rows.values[0], s, seed as i64, count as usize, span);
                for detector in &detectors {
                    pgrx::check_for_interrupts!();
                    let started = Instant::now();
                    let (scores, flags) = score_case(detector, &case.values, &dataset)?;
                    let metrics = evaluate(&case.labels, &scores, &flags);
                    let runtime_ms = started.elapsed().as_secs_f64() * 1000.0;
                    let cell = Cell { id, detector: detector.name(), method: method.name, seed, dataset: &dataset };
                    store(&cell, &metrics, &case.labels, runtime_ms)?;
                    progress.step();
                }
            }
        }
    }
    Ok(id)
}

/// The named detectors (built-in or registered), or by default every built-in one plus the
/// caller's own registered detectors, each with its default parameters.
fn pick_detectors(names: Option<Vec<Option<String>>>) -> Result<Vec<ChosenDetector>, ErrorReport> {
    let Some(names) = names else {
        let mut all: Vec<ChosenDetector> = registry().iter().map(|d| ChosenDetector::builtin_defaults(d)).collect();
        let own = Spi::connect(|client| -> Result<Vec<String>, ErrorReport> {
            let rows = client
                .select(
                    "SELECT name FROM anomdet.custom_detectors WHERE owner OPERATOR(pg_catalog.=) CURRENT_USER ORDER BY name",
                    None,
                    &[],
                )
                .or_report()?;
            rows.map(|r| r.get::<String>(1).or_report().map(Option::unwrap_or_default)).collect()
        })?;
        for name in own {
            all.push(ChosenDetector::resolve("detectors", &name, None)?);
        }
        return Ok(all);
    };
    if names.is_empty() {
        return Err(invalid_argument("detectors: name at least one", "or pass NULL for all"));
    }
    names.into_iter().map(|n| ChosenDetector::resolve("detectors", &required("detectors", n)?, None)).collect()
}

fn pick_methods(names: Vec<Option<String>>) -> Result<Vec<&'static InjectorInfo>, ErrorReport> {
    let methods = names
        .into_iter()
        .map(|n| {
            let n = required("methods", n)?;
            find_injector(&n).ok_or_else(|| {
                invalid_argument(
                    format!("methods: unknown injection method \"{n}\""),
                    "SELECT name FROM anomdet.injectors()",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if methods.is_empty() {
        return Err(invalid_argument("methods: name at least one", "e.g. '{spike,mean}'"));
    }
    Ok(methods)
}

/// Refuse before any work when the source has no rows (in the time range).
fn check_rows(source: &Source, series: &[SeriesRows]) -> Result<(), ErrorReport> {
    if series.iter().map(|s| s.ts.len()).min().unwrap_or(0) == 0 {
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!("source: {} has no rows", source.qualified),
            "load data first",
        ));
    }
    Ok(())
}

/// Refuse before any work when a series cannot feed a detector (too short, or more memory than
/// the limit): for injected and own labels alike.
fn check_detectors(source: &Source, series: &[SeriesRows], detectors: &[ChosenDetector]) -> Result<(), ErrorReport> {
    let shortest = series.iter().map(|s| s.ts.len()).min().unwrap_or(0);
    // The longest series, with its own period for the window models (values[0]: the one
    // value column a benchmark reads).
    let longest: Vec<f64> = series
        .iter()
        .max_by_key(|s| s.ts.len())
        .and_then(|s| s.values.first())
        .map(|column| column.iter().flatten().copied().collect())
        .unwrap_or_default();
    for d in detectors {
        d.check_memory_of(&longest, &format!("the longest series of {}", source.qualified))?;
        let needed = d.min_points();
        if shortest < needed {
            return Err(error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!("detectors: {} needs at least {needed} rows, the shortest series has {shortest}", d.name()),
                "leave that detector out, or use a longer series",
            ));
        }
    }
    Ok(())
}

/// Refuse before any work when the shortest series cannot hold `count` injected spans.
fn check_spans(
    series: &[SeriesRows],
    methods: &[&InjectorInfo],
    count: usize,
    length: usize,
) -> Result<(), ErrorReport> {
    let shortest = series.iter().map(|s| s.ts.len()).min().unwrap_or(0);
    let longest_span = methods
        .iter()
        .map(|m| m.fixed_length.unwrap_or(length).max((m.min_length)(&Params::defaults(m.params))))
        .max()
        .unwrap_or(length);
    if count * longest_span > shortest {
        return Err(invalid_argument(
            format!("count × length: {count} spans of {longest_span} rows do not fit a series of {shortest} rows"),
            "lower count or length",
        ));
    }
    Ok(())
}

mod own_labels;

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

/// Where one evaluated cell of the grid belongs.
pub(crate) struct Cell<'a> {
    pub id: i64,
    pub detector: &'a str,
    pub method: &'a str,
    pub seed: i32,
    pub dataset: &'a str,
}

pub(crate) fn store(
    cell: &Cell,
    metrics: &[anomdet_core::evaluate::Metric],
    labels: &[bool],
    runtime_ms: f64,
) -> Result<(), ErrorReport> {
    let m: HashMap<&str, f64> = metrics.iter().map(|m| (m.name, m.value)).collect();
    let get = |k: &str| m.get(k).copied().filter(|v| v.is_finite());
    crate::postgres::sql::write(
        "INSERT INTO anomdet.benchmark_results (benchmark_id, detector, method, seed, precision, recall, f1, pa_f1, \
           event_f1, range_f1, roc_auc, pr_auc_ap, pr_auc_trapezoid, best_f1, mean_delay_rows, rows, labelled_rows, runtime_ms, \
           vus_pr, vus_roc, nab_standard, affiliation_f1, dataset) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        &[
            cell.id.into(),
            cell.detector.into(),
            cell.method.into(),
            cell.seed.into(),
            get("precision").into(),
            get("recall").into(),
            get("f1").into(),
            get("pa_f1").into(),
            get("event_f1").into(),
            get("range_f1").into(),
            get("roc_auc").into(),
            get("pr_auc_ap").into(),
            get("pr_auc_trapezoid").into(),
            get("best_f1").into(),
            get("mean_delay_rows").into(),
            (labels.len() as i64).into(),
            (labels.iter().filter(|&&l| l).count() as i64).into(),
            runtime_ms.into(),
            get("vus_pr").into(),
            get("vus_roc").into(),
            get("nab_standard").into(),
            get("affiliation_f1").into(),
            cell.dataset.into(),
        ],
    )
    .or_report()
}

/// The benchmark's placement as recorded: spans per series and their length, and the time
/// range read when one was given.
fn placement_json(
    count: i32,
    length: i32,
    start_time: Option<TimestampWithTimeZone>,
    end_time: Option<TimestampWithTimeZone>,
) -> serde_json::Value {
    let mut out = serde_json::json!({"count": count, "length": length});
    for (key, at) in [("start_time", start_time), ("end_time", end_time)] {
        if let Some(at) = at {
            out[key] = serde_json::Value::String(crate::postgres::timestamps::iso_utc(at.into_inner()));
        }
    }
    out
}
