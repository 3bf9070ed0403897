//! Evaluation against labels: a job's scores against the injections of its source column, or
//! any aligned arrays; every metric of `anomdet_core::evaluate`, one row each.

pub mod job_series;
pub mod threshold;
pub mod truth;

use crate::error::{Code, error, invalid_argument};
use crate::postgres::time_range::TimeRange;
use crate::progress::Progress;
use anomdet_core::evaluate::{evaluate as compute, evaluate_series as compute_series};
use anomdet_core::progress::Total;
use job_series::{flatten, read_job_series};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use threshold::Threshold;

/// One metric: its name, value (None when undefined) and what it means.
pub type MetricRow = (String, Option<f64>, String);

/// Where `evaluate` reads a job's labels from: injected (None, None), a label column of the
/// source, or a windows table.
pub struct LabelArgs<'a> {
    pub column: Option<&'a str>,
    pub windows: Option<pg_sys::Oid>,
}

/// Score finished job `job_id` against its labels (by default the injected ones of its source column).
pub fn evaluate_job(
    job_id: i64,
    threshold: &str,
    range: TimeRange,
    labels: LabelArgs<'_>,
) -> Result<Vec<MetricRow>, ErrorReport> {
    let threshold = Threshold::parse(threshold)?;
    let job = crate::postgres::sql::read_three::<pg_sys::Oid, String, String>(
        "SELECT source_relid::pg_catalog.oid, value_column, status FROM anomdet.jobs WHERE id = $1",
        &[job_id.into()],
    );
    let (relid, column, status) = match job {
        Ok((Some(relid), Some(column), Some(status))) => (relid, column, status),
        _ => {
            return Err(error(
                Code::ERRCODE_UNDEFINED_OBJECT,
                format!("job_id: job {job_id} does not exist or is not yours"),
                "SELECT id, name, status FROM anomdet.jobs lists your jobs",
            ));
        }
    };
    if status != "succeeded" {
        return Err(error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("job_id: job {job_id} is {status}; only a succeeded job has results to evaluate"),
            "run anomdet.run_batch again",
        ));
    }
    let truth = truth::Truth::from_args(relid, labels.column, labels.windows)?;
    let mut progress = Progress::start("evaluate", "rows", Total::Unknown, Some(relid));
    progress.set_job(job_id);
    progress.set_phase("reading rows");
    let flat = flatten(&read_job_series(job_id, relid, &column, range, &truth)?);
    progress.set_phase("scoring");
    progress.set_total(Total::Known(flat.labels.len() as u64));
    let (labels, scores, flags) = (&flat.labels, &flat.scores, &flat.flags);
    if !labels.iter().any(|&l| l) {
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!(
                "job {job_id}: no {} among the scored rows of \"{column}\"{}",
                truth.describe(),
                if range.is_whole() { "" } else { " in the time range" }
            ),
            "inject anomalies first (anomdet.inject), or pass your own: label_column => 'incident' or \
             label_windows => 'incidents'",
        ));
    }
    let predicted = threshold.flags(labels, scores, flags);
    let mut rows: Vec<(String, Option<f64>, String)> = compute_series(labels, scores, &predicted, &flat.series)
        .into_iter()
        .map(|m| (m.name.to_string(), Some(m.value).filter(|v| !v.is_nan()), m.note.to_string()))
        .collect();
    progress.advance(labels.len() as u64);
    rows.push(("rows".into(), Some(labels.len() as f64), "scored rows compared".into()));
    rows.push((
        "labelled_ranges".into(),
        Some(anomdet_core::evaluate::runs(labels).len() as f64),
        "labelled windows (runs of labelled rows) among the scored rows".into(),
    ));
    Ok(rows)
}

/// Evaluate aligned labels and scores (NaN: unscored) with the detector's own flags, if any.
pub fn evaluate_arrays(
    labels: Vec<bool>,
    scores: Vec<f64>,
    flags: Option<Vec<bool>>,
    threshold: &str,
) -> Result<Vec<MetricRow>, ErrorReport> {
    let threshold = Threshold::parse(threshold)?;
    let own: Vec<bool> = match flags {
        Some(f) => f,
        None if matches!(threshold, Threshold::Detector) => {
            return Err(invalid_argument(
                "flags: threshold 'detector' needs the detector's flags",
                "pass flags, or another threshold",
            ));
        }
        None => vec![false; labels.len()],
    };
    if scores.len() != labels.len() || own.len() != labels.len() {
        return Err(invalid_argument(
            format!(
                "labels, scores and flags must have the same length, got {}, {} and {}",
                labels.len(),
                scores.len(),
                own.len()
            ),
            "build them with array_agg(... ORDER BY ts) over the same rows",
        ));
    }
    if !labels.iter().any(|&l| l) {
        return Err(error(Code::ERRCODE_DATA_EXCEPTION, "labels: no row is labelled", "there is nothing to detect"));
    }
    let predicted = threshold.flags(&labels, &scores, &own);
    let rows: Vec<(String, Option<f64>, String)> = compute(&labels, &scores, &predicted)
        .into_iter()
        .map(|m| (m.name.to_string(), Some(m.value).filter(|v| !v.is_nan()), m.note.to_string()))
        .collect();
    Ok(rows)
}
