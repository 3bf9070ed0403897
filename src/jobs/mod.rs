//! Recorded batch jobs: a row in `anomdet.job_records`, the scored rows in `anomdet.results`
//! through the pipeline, the outcome (succeeded, or failed with the SQLSTATE, never lost), and
//! cancelling a job.

use crate::error::{Code, OrReport, error, internal};
use crate::pipeline::events::{Events, Step};
use crate::pipeline::plan::{ScoredRow, Sink, Summary};
use crate::pipeline::results::{self, Alerts, ResultRows};
use crate::postgres::row_estimate;
use crate::postgres::subxact::in_subtransaction;
use crate::progress::{Progress, ROWS_BETWEEN_REPORTS};
use crate::score_request::SqlScoreArgs;
use pgrx::pg_sys::panic::{CaughtError, ErrorReport};
use pgrx::prelude::*;

mod columns;

/// Hands scored rows to the results writer, a chunk at a time; with `alerts`, each anomaly
/// event is announced at its first row.
struct StoreResults<'a> {
    job_id: i64,
    alerts: Option<Alerts<'a>>,
    events: Events,
}

impl Sink for StoreResults<'_> {
    fn writes_with_spi(&self) -> bool {
        true
    }

    fn accept(&mut self, series: Option<&str>, rows: &[ScoredRow]) -> Result<(), ErrorReport> {
        let mut out = ResultRows::with_capacity(rows.len());
        for r in rows {
            out.push(series, r.ts, r.value, r.scored);
            if self.alerts.is_some() {
                let step = self.events.step(series, r.scored.is_anomaly == Some(true));
                out.event_starts.push(step == Step::Starts);
            }
        }
        results::write(self.job_id, &out, self.alerts.as_ref())
    }
}

/// SQLSTATE classes that must never be swallowed into a "failed" job: cancel, shutdown,
/// out of memory or disk, and internal errors.
fn must_propagate(code: PgSqlErrorCode) -> bool {
    matches!(
        code,
        PgSqlErrorCode::ERRCODE_QUERY_CANCELED
            | PgSqlErrorCode::ERRCODE_ADMIN_SHUTDOWN
            | PgSqlErrorCode::ERRCODE_CRASH_SHUTDOWN
            | PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY
            | PgSqlErrorCode::ERRCODE_DISK_FULL
    )
}

/// Score a source as a recorded batch job named `name`; returns the job id. With `notify`, each
/// anomaly event is announced on `anomdet_alerts`.
pub fn run_batch(args: SqlScoreArgs<'_>, name: Option<&str>, notify: bool) -> Result<i64, ErrorReport> {
    if let Some(model) = args.model
        && crate::models::store::columns_of(model)?.is_some()
    {
        return columns::run_batch(args, name, notify);
    }
    let (source, parts) = args.prepare()?;
    let job_id = insert_job(&JobRow {
        name,
        detector: parts.detector.name(),
        params: parts.detector.params_json(),
        mode: parts.mode.name(),
        source: &source,
        model: parts.model_name(),
    })?;
    let alerts = notify.then_some(Alerts { detector: parts.detector.name() });
    let mut sink = StoreResults { job_id, alerts, events: Events::default() };
    let mut progress = Progress::start("run_batch", "rows", row_estimate::rows_of(&source), Some(source.relid))
        .every(ROWS_BETWEEN_REPORTS);
    progress.set_job(job_id);
    run_recorded(job_id, || {
        crate::pipeline::pushdown::score_where_rows_live(&parts.with_source(&source), &mut sink, &mut progress)
    })
}

/// What a batch job's row records.
struct JobRow<'a> {
    name: Option<&'a str>,
    detector: &'a str,
    params: serde_json::Value,
    mode: &'a str,
    source: &'a crate::postgres::relation::Source,
    model: Option<&'a str>,
}

/// Record a running batch job; returns its id.
fn insert_job(job: &JobRow<'_>) -> Result<i64, ErrorReport> {
    let source = job.source;
    // The model column only when there is a model: a database still on 0.2.0's catalog (the
    // new library installed, ALTER EXTENSION UPDATE not yet run) has none, and no models.
    let (model_column, model_value) = if job.model.is_some() { (", model", ", $10") } else { ("", "") };
    crate::postgres::sql::write_one::<i64>(
        &format!(
            "INSERT INTO anomdet.job_records (name, kind, detector, params, mode, source_relid, source, time_column, value_column, \
               series_column, status, started_at, backend_pid{model_column}) \
             VALUES ($1, 'batch', $2, $3, $4, $5, $6, $7, $8, $9, 'running', pg_catalog.clock_timestamp(), \
               pg_catalog.pg_backend_pid(){model_value}) RETURNING id"
        ),
        &[
            job.name.into(),
            job.detector.into(),
            pgrx::JsonB(job.params.clone()).into(),
            job.mode.into(),
            source.relid.into(),
            source.qualified.as_str().into(),
            source.time_column.as_str().into(),
            source.value_column.as_str().into(),
            source.series_column.as_deref().into(),
            job.model.into(),
        ],
    )
    .or_report()?
    .ok_or_else(|| internal("INSERT INTO anomdet.job_records returned no id"))
}

/// Run job `job_id`'s scoring in a subtransaction and record how it ended: succeeded with its
/// counts, or failed with the SQLSTATE (the job row is never lost); returns the job id.
fn run_recorded(job_id: i64, run: impl FnOnce() -> Result<Summary, ErrorReport>) -> Result<i64, ErrorReport> {
    // Our own errors are raised inside the subtransaction so that they, like PostgreSQL's,
    // arrive here with their SQLSTATE.
    let outcome = in_subtransaction(|| match run() {
        Ok(summary) => summary,
        Err(report) => {
            report.report(PgLogLevel::ERROR);
            unreachable!("an ERROR report does not return")
        }
    });
    match outcome {
        Ok(summary) => finish(job_id, "succeeded", &summary, None)?,
        Err(CaughtError::PostgresError(e)) | Err(CaughtError::ErrorReport(e)) => {
            if must_propagate(e.sql_error_code()) {
                CaughtError::PostgresError(e).rethrow();
            }
            fail(job_id, e.sql_error_code(), e.message())?
        }
        Err(other) => other.rethrow(),
    }
    Ok(job_id)
}

fn finish(job_id: i64, status: &str, s: &Summary, err: Option<&str>) -> Result<(), ErrorReport> {
    crate::postgres::sql::write(
        "UPDATE anomdet.job_records SET status = $2, rows_read = $3, rows_scored = $4, anomalies = $5, series_count = $6, \
           error = $7, finished_at = pg_catalog.clock_timestamp(), backend_pid = NULL WHERE id = $1",
        &[
            job_id.into(),
            status.into(),
            s.rows_read.into(),
            s.rows_scored.into(),
            s.anomalies.into(),
            s.series.into(),
            err.into(),
        ],
    )
    .or_report()
}

/// Record the failure on the job and tell the caller, without losing the job row.
fn fail(job_id: i64, code: PgSqlErrorCode, message: &str) -> Result<(), ErrorReport> {
    let text = format!("{message} (SQLSTATE {})", sqlstate(code));
    finish(job_id, "failed", &Summary::default(), Some(&text))?;
    ErrorReport::new(code, format!("anomdet job {job_id} failed: {message}"), "anomdet")
        .set_hint(format!("the job is recorded as failed: SELECT status, error FROM anomdet.jobs WHERE id = {job_id}"))
        .report(PgLogLevel::WARNING);
    Ok(())
}

fn sqlstate(code: PgSqlErrorCode) -> String {
    // SQLSTATEs are packed 6 bits per character (PostgreSQL's MAKE_SQLSTATE).
    let mut n = code as i32;
    let mut s = String::with_capacity(5);
    for _ in 0..5 {
        s.push(char::from(b'0' + (n & 0x3F) as u8));
        n >>= 6;
    }
    s
}

/// Cancel job `job_id` of the caller's, queued or running; finished jobs are left as they are.
pub fn cancel(job_id: i64) -> Result<bool, ErrorReport> {
    crate::stream::start::reap_lost_jobs()?;
    let row = crate::postgres::sql::read_three::<String, i32, String>(
        "SELECT status, backend_pid, kind FROM anomdet.jobs WHERE id = $1",
        &[job_id.into()],
    );
    let (status, pid, kind) = match row {
        Ok((Some(status), pid, kind)) => (status, pid, kind),
        _ => {
            return Err(error(
                Code::ERRCODE_UNDEFINED_OBJECT,
                format!("job_id: job {job_id} does not exist or is not yours"),
                "SELECT id, name, status FROM anomdet.jobs lists your jobs",
            ));
        }
    };
    if !matches!(status.as_str(), "queued" | "running") {
        return Err(error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("job_id: job {job_id} is already {status}"),
            "only queued or running jobs can be cancelled",
        ));
    }
    // A stream's worker sees the status change at its next batch (within a second); a batch
    // job runs in some session's statement, which is cancelled.
    if let (Some(pid), false) = (pid, kind.as_deref() == Some("stream")) {
        crate::postgres::sql::read_run("SELECT pg_catalog.pg_cancel_backend($1)", &[pid.into()]).or_report()?;
    }
    crate::postgres::sql::write(
        "UPDATE anomdet.job_records SET status = 'cancelled', finished_at = pg_catalog.clock_timestamp(), \
           error = 'cancelled by ' || CURRENT_USER, backend_pid = NULL WHERE id = $1",
        &[job_id.into()],
    )
    .or_report()?;
    Ok(true)
}
