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
use crate::postgres::relation::Source;
use crate::postgres::series_rows::{self, SeriesRows};
use crate::progress::Progress;
use anomdet_core::inject::{InjectorInfo, find_injector};
use anomdet_core::progress::Total;
use anomdet_core::{Params, registry};
use own_labels::{OwnLabels, own_labels_name};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

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
    let truth = Truth::from_args(relid, label_column, label_windows)?;
    let injected = matches!(truth, Truth::Injected);
    let kept_here = if !injected {
        Some("it is scored against your own labels")
    } else if detectors.iter().any(ChosenDetector::runs_sql) {
        Some("a detector is a registered (SQL) one")
    } else {
        None
    };
    let on_workers = crate::pipeline::pushdown::series_on_workers(&source, kept_here)?;
    let series = if on_workers { Vec::new() } else { series_rows::read(&source, &[value_column.to_string()], None)? };
    let lengths = if on_workers {
        on_workers::series_lengths(&source)?
    } else {
        series.iter().map(|s| (s.key.clone(), s.ts.len())).collect()
    };
    let shortest = lengths.iter().map(|(_, n)| *n).min().unwrap_or(0);
    check_rows(&source, shortest)?;
    if !injected {
        check_detectors(&source, &series, shortest, &detectors)?;
        let own = OwnLabels { truth: &truth, name: own_labels_name(label_column, &truth), detectors: &detectors };
        return own_labels::run(&source, &series, own, name);
    }
    check_spans(shortest, &methods, count as usize, length as usize)?;
    check_detectors(&source, &series, shortest, &detectors)?;

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
    let grid = Grid { methods: &methods, seeds, count: count as usize, length: length as usize, detectors: &detectors };
    let cells = grid.cells_per_series() * lengths.len() as u64;
    let mut progress = Progress::start("benchmark", "cells", Total::Known(cells), Some(relid));
    progress.set_job(id);
    if on_workers {
        let keys: Vec<Option<String>> = lengths.into_iter().map(|(key, _)| key).collect();
        on_workers::run(&source, &grid, &keys, id, &mut progress)?;
        return Ok(id);
    }
    for (s, rows) in series.iter().enumerate() {
        let dataset = dataset_name(&source, rows.key.as_deref());
        grid.run_series(s, &rows.values[0], &dataset, |cell| {
            store(id, &dataset, &cell)?;
            progress.step();
            Ok(())
        })?;
    }
    Ok(id)
}

/// A series is a dataset, named by its key (or the source's name when it has none).
pub(crate) fn dataset_name(source: &Source, key: Option<&str>) -> String {
    key.map_or_else(|| source.qualified.clone(), str::to_string)
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
fn check_rows(source: &Source, shortest: usize) -> Result<(), ErrorReport> {
    if shortest == 0 {
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!("source: {} has no rows", source.qualified),
            "load data first",
        ));
    }
    Ok(())
}

/// Refuse before any work when a series cannot feed a detector (too short, or more memory than
/// the limit): for injected and own labels alike. Series read elsewhere (`series` empty, on the
/// Citus workers) are checked for memory where they are read.
fn check_detectors(
    source: &Source,
    series: &[SeriesRows],
    shortest: usize,
    detectors: &[ChosenDetector],
) -> Result<(), ErrorReport> {
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
fn check_spans(shortest: usize, methods: &[&InjectorInfo], count: usize, length: usize) -> Result<(), ErrorReport> {
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

mod grid;
pub(crate) mod on_workers;
mod own_labels;

pub(crate) use grid::{Grid, Outcome, score_case};

/// Store one evaluated cell of benchmark `id` for `dataset`.
pub(crate) fn store(id: i64, dataset: &str, cell: &Outcome) -> Result<(), ErrorReport> {
    let get = |k: &str| cell.metric(k);
    crate::postgres::sql::write(
        "INSERT INTO anomdet.benchmark_results (benchmark_id, detector, method, seed, precision, recall, f1, pa_f1, \
           event_f1, range_f1, roc_auc, pr_auc_ap, pr_auc_trapezoid, best_f1, mean_delay_rows, rows, labelled_rows, runtime_ms, \
           vus_pr, vus_roc, nab_standard, affiliation_f1, dataset) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        &[
            id.into(),
            cell.detector.as_str().into(),
            cell.method.as_str().into(),
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
            cell.rows.into(),
            cell.labelled_rows.into(),
            cell.runtime_ms.into(),
            get("vus_pr").into(),
            get("vus_roc").into(),
            get("nab_standard").into(),
            get("affiliation_f1").into(),
            dataset.into(),
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
