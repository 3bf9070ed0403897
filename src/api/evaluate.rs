//! `anomdet.evaluate(job, threshold)`: a detection job scored against the injected labels of
//! its source column, every metric one row.

use crate::error::required;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score a finished detection job against its labels: the injected ones of its source column,
/// or your own, from a label column of the source or a table of incident windows.
#[pg_extern(name = "evaluate", stable, parallel_restricted)]
pub(super) fn evaluate_ranged(
    job_id: Option<i64>,
    threshold: default!(Option<&str>, "'detector'"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    label_column: default!(Option<&str>, "NULL"),
    label_windows: default!(Option<crate::postgres::rel_arg::RelArg>, "NULL"),
) -> Result<TableIterator<'static, (name!(metric, String), name!(value, Option<f64>), name!(note, String))>, ErrorReport>
{
    let _path = crate::postgres::search_path::pin();
    let job_id = required("job_id", job_id)?;
    let range = crate::postgres::time_range::TimeRange::from_args(start_time, end_time)?;
    let labels = crate::evaluation::LabelArgs { column: label_column, windows: label_windows.map(|w| w.0) };
    Ok(TableIterator::new(crate::evaluation::evaluate_job(job_id, required("threshold", threshold)?, range, labels)?))
}

/// Evaluate any scores against any labels, given as aligned arrays in time order (for results
/// that are not a job, or labels that are not injections, such as NAB's windows).
/// `flags` are the detector's own decisions; NULL flags count as not flagged, NULL scores as unscored.
#[pg_extern(immutable, parallel_safe)]
fn evaluate_arrays(
    labels: Option<Vec<Option<bool>>>,
    scores: Option<Vec<Option<f64>>>,
    flags: default!(Option<Vec<Option<bool>>>, "NULL"),
    threshold: default!(Option<&str>, "'oracle'"),
) -> Result<TableIterator<'static, (name!(metric, String), name!(value, Option<f64>), name!(note, String))>, ErrorReport>
{
    let labels: Vec<bool> = required("labels", labels)?.into_iter().map(|l| l.unwrap_or(false)).collect();
    let scores: Vec<f64> = required("scores", scores)?.into_iter().map(|s| s.unwrap_or(f64::NAN)).collect();
    let flags = flags.map(|f| f.into_iter().map(|x| x.unwrap_or(false)).collect());
    let rows = crate::evaluation::evaluate_arrays(labels, scores, flags, required("threshold", threshold)?)?;
    Ok(TableIterator::new(rows))
}
