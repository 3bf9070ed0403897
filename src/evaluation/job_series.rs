//! A job's scored rows per series beside the labels of its source column (for `evaluate` and
//! `report`).

use crate::error::{OrReport, internal};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

use super::truth::Truth;

/// One series of a job's results beside the labels of its source column, in time order.
pub struct JobSeries {
    pub key: Option<String>,
    pub ts: Vec<String>,
    pub values: Vec<Option<f64>>,
    pub scores: Vec<Option<f64>>,
    pub flags: Vec<bool>,
    pub labels: Vec<bool>,
}

/// A job's results per series, each row with its label from `truth` (for `evaluate` and
/// `report`), only the rows in `range` when it is not the whole job.
pub fn read_job_series(
    job_id: i64,
    relid: pg_sys::Oid,
    column: &str,
    range: crate::postgres::time_range::TimeRange,
    truth: &Truth,
) -> Result<Vec<JobSeries>, ErrorReport> {
    // A stream job's scores live in its target; other jobs' in anomdet.results, read directly.
    // Its labels: the source column's, and those injected into the target as rows passed.
    let target = crate::postgres::sql::read_one::<pg_sys::Oid>(
        "SELECT target_relid::pg_catalog.oid FROM anomdet.jobs WHERE id = $1 AND kind = 'stream'",
        &[job_id.into()],
    );
    let target = match target {
        Ok(t) => t,
        Err(pgrx::spi::SpiError::InvalidPosition) => None,
        Err(e) => return Err(internal(e)),
    };
    let stream = target.is_some();
    let rows_of_job = if stream { "anomdet._job_rows($1) r" } else { "anomdet.results r WHERE r.job_id = $1" };
    let (time_column, series_column) = crate::postgres::sql::read_two::<String, String>(
        "SELECT time_column, series_column FROM anomdet.jobs WHERE id = $1",
        &[job_id.into()],
    )
    .map_err(internal)?;
    let source =
        crate::postgres::sql::read_one::<String>("SELECT $1::pg_catalog.regclass::pg_catalog.text", &[relid.into()])
            .map_err(internal)?
            .unwrap_or_default();
    let join = truth.join(&source, &time_column.unwrap_or_default(), series_column.as_deref());
    let sql = format!(
        "SELECT r.series, r.ts::text, r.value, r.score, coalesce(r.is_anomaly, false), coalesce(l.labelled, false) \
         FROM (SELECT * FROM {rows_of_job}) r {join} \
         WHERE ($5::pg_catalog.timestamptz IS NULL OR r.ts >= $5) AND ($6::pg_catalog.timestamptz IS NULL OR r.ts < $6) \
         ORDER BY r.series, r.ts"
    );
    let at = |t: Option<i64>| t.map(TimestampWithTimeZone::try_from).transpose().map_err(internal);
    let (from, to) = (at(range.start)?, at(range.end)?);
    Spi::connect(|client| {
        let rows = client
            .select(&sql, None, &[job_id.into(), relid.into(), column.into(), target.into(), from.into(), to.into()])
            .map_err(internal)?;
        let mut out: Vec<JobSeries> = Vec::new();
        for (i, row) in rows.enumerate() {
            if i % anomdet_core::interrupt::EVERY == 0 {
                pgrx::check_for_interrupts!();
            }
            let key: Option<String> = row.get(1).or_report()?;
            if out.last().is_none_or(|s| s.key != key) {
                out.push(JobSeries { key, ts: vec![], values: vec![], scores: vec![], flags: vec![], labels: vec![] });
            }
            let Some(s) = out.last_mut() else { return Err(internal("no series in progress")) };
            s.ts.push(row.get::<String>(2).or_report()?.unwrap_or_default());
            s.values.push(row.get(3).or_report()?);
            s.scores.push(row.get(4).or_report()?);
            s.flags.push(row.get::<bool>(5).or_report()?.unwrap_or(false));
            s.labels.push(row.get::<bool>(6).or_report()?.unwrap_or(false));
        }
        Ok(out)
    })
}

/// A job's series laid end to end: labels, scores (NaN: unscored), flags, and each series' rows.
pub struct Flat {
    pub labels: Vec<bool>,
    pub scores: Vec<f64>,
    pub flags: Vec<bool>,
    pub series: Vec<std::ops::Range<usize>>,
}

/// One unlabelled, unscored row between two series keeps a range from running across them.
pub fn flatten(series: &[JobSeries]) -> Flat {
    let mut flat = Flat { labels: Vec::new(), scores: Vec::new(), flags: Vec::new(), series: Vec::new() };
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            flat.labels.push(false);
            flat.scores.push(f64::NAN);
            flat.flags.push(false);
        }
        let start = flat.labels.len();
        flat.labels.extend_from_slice(&s.labels);
        flat.scores.extend(s.scores.iter().map(|v| v.unwrap_or(f64::NAN)));
        flat.flags.extend_from_slice(&s.flags);
        flat.series.push(start..flat.labels.len());
    }
    flat
}
