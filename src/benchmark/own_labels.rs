//! A benchmark against your own labels (a label column of the source, or a table of incident
//! windows): nothing is injected; every detector scores every series once, is evaluated against
//! the labels, and the cells go to `anomdet.benchmark_results` under one method named after the
//! labels, so the leaderboards and the report read them as they read an injected grid.

use super::{Outcome, dataset_name, score_case, store};
use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error};
use crate::evaluation::truth::Truth;
use crate::postgres::relation::Source;
use crate::postgres::series_rows::SeriesRows;
use crate::progress::Progress;
use anomdet_core::evaluate::evaluate;
use anomdet_core::progress::Total;
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
    let has_labels: Vec<bool> = labels.iter().map(|l| l.contains(&true)).collect();
    if !has_labels.contains(&true) {
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!("{}: no {} among the rows of {}", own.name, own.truth.describe(), source.qualified),
            "check the label column's values or the windows' times (and series)",
        ));
    }
    // Precision, average precision and VUS-PR are undefined on a series with nothing labelled
    // (every score there is a false alarm or nothing): its cells would pull every mean to 0 or
    // 0.5, so such series are left out and the caller is told which.
    let unlabelled: Vec<String> = series
        .iter()
        .zip(&has_labels)
        .filter(|(_, has)| !**has)
        .map(|(s, _)| s.key.clone().unwrap_or_else(|| source.qualified.clone()))
        .collect();
    if !unlabelled.is_empty() {
        let shown: Vec<&str> = unlabelled.iter().take(5).map(String::as_str).collect();
        pgrx::notice!(
            "benchmark: {} of {} series have no labelled rows and are left out of the leaderboards: {}{}",
            unlabelled.len(),
            series.len(),
            shown.join(", "),
            if unlabelled.len() > shown.len() { ", ..." } else { "" }
        );
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
            pgrx::JsonB(serde_json::json!({ "labels": own.name, "series_without_labels": unlabelled.len() })).into(),
        ],
    )
    .or_report()?
    .ok_or_else(|| crate::error::internal("INSERT INTO anomdet.benchmarks returned no id"))?;
    let cells = ((series.len() - unlabelled.len()) * own.detectors.len()) as u64;
    let mut progress = Progress::start("benchmark", "cells", Total::Known(cells), Some(source.relid));
    progress.set_job(id);
    for ((rows, labels), _) in series.iter().zip(&labels).zip(&has_labels).filter(|(_, has)| **has) {
        let dataset = dataset_name(source, rows.key.as_deref());
        for detector in own.detectors {
            pgrx::check_for_interrupts!();
            let started = Instant::now();
            let (scores, flags) = score_case(detector, &rows.values[0], &dataset)?;
            let metrics = evaluate(labels, &scores, &flags);
            let runtime_ms = started.elapsed().as_secs_f64() * 1000.0;
            store(id, &dataset, &Outcome::new(detector.name(), &own.name, 1, &metrics, labels, runtime_ms))?;
            progress.step();
        }
    }
    Ok(id)
}
