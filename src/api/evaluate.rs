//! `anomdet.evaluate(job, threshold)`: a detection job scored against the injected labels of
//! its source column, every metric one row.

use crate::error::{Code, OrReport, error, internal, invalid_argument, required};
use anomdet_core::evaluate::{evaluate as compute, point::best_f1, predict};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// How flags are made from scores before the threshold-dependent metrics.
enum Threshold {
    Detector,
    Oracle,
    Score(f64),
    TopK(usize),
    Percentile(f64),
}

impl Threshold {
    fn parse(text: &str) -> Result<Threshold, ErrorReport> {
        let bad = || {
            invalid_argument(
                format!("threshold: cannot read \"{text}\""),
                "use 'detector', 'oracle', 'score:3.5', 'top:10' or 'percentile:99'",
            )
        };
        let (kind, arg) = text.split_once(':').map_or((text, None), |(k, a)| (k, Some(a.trim())));
        let number = |a: Option<&str>| a.and_then(|a| a.parse::<f64>().ok()).filter(|v| v.is_finite()).ok_or_else(bad);
        Ok(match kind {
            "detector" if arg.is_none() => Threshold::Detector,
            "oracle" if arg.is_none() => Threshold::Oracle,
            "score" => Threshold::Score(number(arg)?),
            "top" => {
                let k = number(arg)?;
                if k < 1.0 || k.fract() != 0.0 {
                    return Err(bad());
                }
                Threshold::TopK(k as usize)
            }
            "percentile" => {
                let p = number(arg)?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Threshold::Percentile(p)
            }
            _ => return Err(bad()),
        })
    }

    fn flags(&self, labels: &[bool], scores: &[f64], own: &[bool]) -> Vec<bool> {
        let theta = match *self {
            Threshold::Detector => return own.to_vec(),
            Threshold::Oracle => best_f1(labels, scores).threshold,
            Threshold::Score(s) => s,
            Threshold::TopK(k) => kth_largest(scores, k),
            Threshold::Percentile(p) => {
                let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
                sorted.sort_by(f64::total_cmp);
                if sorted.is_empty() {
                    f64::INFINITY
                } else {
                    anomdet_core::series::quantile_sorted(&sorted, p / 100.0)
                }
            }
        };
        predict(scores, theta)
    }
}

fn kth_largest(scores: &[f64], k: usize) -> f64 {
    let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted.get(k.min(sorted.len()).saturating_sub(1)).copied().unwrap_or(f64::INFINITY)
}

/// Score a finished detection job against the injected labels of its source column.
#[pg_extern(name = "evaluate", stable, parallel_restricted)]
pub(super) fn evaluate_ranged(
    job_id: Option<i64>,
    threshold: default!(Option<&str>, "'detector'"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
) -> Result<TableIterator<'static, (name!(metric, String), name!(value, Option<f64>), name!(note, String))>, ErrorReport>
{
    let _path = crate::postgres::search_path::pin();
    let job_id = required("job_id", job_id)?;
    let range = crate::postgres::time_range::TimeRange::from_args(start_time, end_time)?;
    let threshold = Threshold::parse(required("threshold", threshold)?)?;
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
    let (labels, scores, flags) = flatten(&read_job_series(job_id, relid, &column, range)?);
    if !labels.iter().any(|&l| l) {
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!(
                "job {job_id}: its source column \"{column}\" has no active injected labels on the scored rows{}",
                if range.is_whole() { "" } else { " in the time range" }
            ),
            "inject anomalies first (anomdet.inject), then run the detector again",
        ));
    }
    let predicted = threshold.flags(&labels, &scores, &flags);
    let mut rows: Vec<(String, Option<f64>, String)> = compute(&labels, &scores, &predicted)
        .into_iter()
        .map(|m| (m.name.to_string(), Some(m.value).filter(|v| !v.is_nan()), m.note.to_string()))
        .collect();
    rows.push(("rows".into(), Some(labels.len() as f64), "scored rows compared".into()));
    rows.push((
        "labelled_ranges".into(),
        Some(anomdet_core::evaluate::runs(&labels).len() as f64),
        "injected windows among the scored rows".into(),
    ));
    Ok(TableIterator::new(rows))
}

/// One series of a job's results beside the labels of its source column, in time order.
pub(super) struct JobSeries {
    pub key: Option<String>,
    pub ts: Vec<String>,
    pub values: Vec<Option<f64>>,
    pub scores: Vec<Option<f64>>,
    pub flags: Vec<bool>,
    pub labels: Vec<bool>,
}

/// A job's results per series, each row with its label (for `evaluate` and `report`), only
/// the rows in `range` when it is not the whole job.
pub(super) fn read_job_series(
    job_id: i64,
    relid: pg_sys::Oid,
    column: &str,
    range: crate::postgres::time_range::TimeRange,
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
    let sql = format!(
        "SELECT r.series, r.ts::text, r.value, r.score, coalesce(r.is_anomaly, false), (l.ts IS NOT NULL) \
         FROM (SELECT * FROM {rows_of_job}) r \
         LEFT JOIN (SELECT DISTINCT series, ts FROM anomdet.labels \
                    WHERE (relid = $2 AND column_name = $3) OR (relid = $4 AND column_name = 'value')) l \
           ON l.ts = r.ts AND l.series IS NOT DISTINCT FROM r.series \
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

/// Labels, scores (NaN when unscored) and the detector's own flags, aligned row by row.
pub(super) type Scored = (Vec<bool>, Vec<f64>, Vec<bool>);

/// All series end to end, with a gap row between them so no range runs from one into the next.
pub(super) fn flatten(series: &[JobSeries]) -> Scored {
    let (mut labels, mut scores, mut flags) = (Vec::new(), Vec::new(), Vec::new());
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            labels.push(false);
            scores.push(f64::NAN);
            flags.push(false);
        }
        labels.extend_from_slice(&s.labels);
        scores.extend(s.scores.iter().map(|v| v.unwrap_or(f64::NAN)));
        flags.extend_from_slice(&s.flags);
    }
    (labels, scores, flags)
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
    let threshold = Threshold::parse(required("threshold", threshold)?)?;
    let own: Vec<bool> = match flags {
        Some(f) => f.into_iter().map(|x| x.unwrap_or(false)).collect(),
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
    Ok(TableIterator::new(rows))
}
