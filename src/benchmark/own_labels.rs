//! A benchmark against your own labels (a label column of the source, or a table of incident
//! windows): nothing is injected; every detector scores every series once, is evaluated against
//! the labels, and the cells go to `anomdet.benchmark_results` under one method named after the
//! labels, so the leaderboards and the report read them as they read an injected grid.

use super::{Cell, score_case, store};
use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error};
use crate::evaluation::truth::Truth;
use crate::postgres::relation::Source;
use crate::postgres::series_rows::SeriesRows;
use anomdet_core::evaluate::evaluate;
use pgrx::pg_sys::panic::ErrorReport;
use std::time::Instant;

pub struct OwnLabels<'a> {
    pub truth: &'a Truth,
    /// The method name the cells are stored under: "labels: incident", "windows: public.incidents".
    pub name: String,
    pub detectors: &'a [ChosenDetector],
}

pub fn own_labels_name(label_column: Option<&str>, truth: &Truth) -> String {
    match (label_column, truth) {
        (Some(column), _) => format!("labels: {column}"),
        (None, Truth::Windows { relation, .. }) => format!("windows: {relation}"),
        _ => "labels".into(),
    }
}

pub fn run(source: &Source, series: &[SeriesRows], own: OwnLabels<'_>, name: Option<&str>) -> Result<i64, ErrorReport> {
    let labelled = own.truth.labels_by_row(source)?;
    let none = std::collections::HashSet::new();
    let labels: Vec<Vec<bool>> = series
        .iter()
        .map(|s| {
            let times = labelled.get(&s.key).unwrap_or(&none);
            s.ts.iter().map(|t| times.contains(t)).collect()
        })
        .collect();
    if !labels.iter().flatten().any(|&l| l) {
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!("{}: no {} among the rows of {}", own.name, own.truth.describe(), source.qualified),
            "check the label column's values or the windows' times (and series)",
        ));
    }
    let id = crate::postgres::sql::write_one::<i64>(
        "INSERT INTO anomdet.benchmarks (name, relid, source, value_column, detectors, methods, seeds, placement) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
        &[
            name.into(),
            source.relid.into(),
            source.qualified.as_str().into(),
            source.value_column.as_str().into(),
            own.detectors.iter().map(|d| d.name().to_string()).collect::<Vec<_>>().into(),
            vec![own.name.clone()].into(),
            pgrx::JsonB(serde_json::json!({ "labels": own.name })).into(),
        ],
    )
    .or_report()?
    .ok_or_else(|| crate::error::internal("INSERT INTO anomdet.benchmarks returned no id"))?;
    let mut progress =
        crate::progress::Progress::new("benchmark", "cells", (series.len() * own.detectors.len()) as u64);
    for (rows, labels) in series.iter().zip(&labels) {
        let dataset = rows.key.clone().unwrap_or_else(|| source.qualified.clone());
        for detector in own.detectors {
            pgrx::check_for_interrupts!();
            let started = Instant::now();
            let (scores, flags) = score_case(detector, &rows.values[0], &dataset)?;
            let metrics = evaluate(labels, &scores, &flags);
            let runtime_ms = started.elapsed().as_secs_f64() * 1000.0;
            let cell = Cell { id, detector: detector.name(), method: &own.name, seed: 1, dataset: &dataset };
            store(&cell, &metrics, labels, runtime_ms)?;
            progress.step();
        }
    }
    Ok(id)
}
