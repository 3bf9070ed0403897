//! The stream worker: replay, score, write, report progress; stop on cancel or shutdown.

use super::application_name;
use super::txn::{Failure, catching, in_transaction};
use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error, internal};
use crate::models::columns::ColumnsModel;
use crate::pipeline::events::{Events, Step};
use crate::pipeline::results::{self, Alerts, ResultRows};
use crate::pipeline::scorer::{ResumeFrom, SeriesScorer};
use crate::postgres::relation::Source;
use crate::postgres::series_rows::{self, SeriesRows};
use anomdet_core::replay::{Pace, merged_order, percentiles};
use anomdet_core::{Scored, find_detector};
use pgrx::bgworkers::{BackgroundWorker, SignalWakeFlags};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::time::{Duration, Instant};

/// Rows per transaction at most: small enough that cancel and shutdown are seen quickly.
const MAX_BATCH: usize = 10_000;
/// Progress is written at least this often, even while waiting for rows to fall due.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// The longest sleep between checks for cancel, shutdown and due rows.
const NAP: Duration = Duration::from_millis(100);

/// Row `i` of a series scored on its own by a multivariate model, with its columns' shares
/// (JSON text) when flagged; unscored when a column is missing.
fn score_columns(model: &ColumnsModel, rows: &SeriesRows, i: usize) -> Result<(Scored, Option<String>), ErrorReport> {
    let values: Option<Vec<f64>> = rows.values.iter().map(|c| c[i].filter(|v| v.is_finite())).collect();
    let Some(values) = values else { return Ok((Scored::WARMUP, None)) };
    let r = model.for_series(rows.key.as_deref())?.score_row(&values, false);
    let shares = r.shares.map(|s| crate::multivariate::contributions(&model.columns, &s).to_string());
    Ok((Scored::unbounded(r.score, r.is_anomaly, None), shares))
}

/// Why a job ended on SIGTERM: PostgreSQL sends it both for pg_terminate_backend and at shutdown.
const TERMINATED: &str = "the worker was stopped by SIGTERM (pg_terminate_backend, or the server shutting down)";
const CANCEL_SIGNALLED: &str = "the worker was sent a cancel (pg_cancel_backend); rows written so far stay";

/// Entry point named in `run_stream`'s worker registration.
#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn anomdet_stream_main(arg: pg_sys::Datum) {
    let job_id = arg.value() as i64;
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let Some((db, user, creator_xid)) = parse_extra(BackgroundWorker::get_extra()) else {
        return;
    };
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(db), Some(user));
    set_application_name(job_id);
    // The worker resolves everything by OID: its own SQL never needs the owner's search_path.
    // SAFETY: as in set_application_name.
    unsafe {
        pg_sys::SetConfigOption(
            c"search_path".as_ptr(),
            c"pg_catalog, pg_temp".as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
        );
    }
    if !creator_committed(&creator_xid) {
        return; // the job row was rolled back with its creator: nothing to run
    }
    let outcome = match in_transaction(|| Replay::load(job_id)) {
        Ok(Some(mut replay)) => replay.run(),
        Ok(None) => return, // cancelled before it started
        Err(f) => Err(f),
    };
    let (status, message) = match outcome {
        Ok(End::Finished) => ("succeeded", None),
        Ok(End::Cancelled) => return, // cancel_job already wrote the status
        Ok(End::Terminated) => ("failed", Some(TERMINATED.to_string())),
        Err(f) if f.is_cancel_signal() => ("cancelled", Some(CANCEL_SIGNALLED.to_string())),
        Err(f) => ("failed", Some(f.message)),
    };
    let _ = in_transaction(|| {
        crate::postgres::sql::write(
            "UPDATE anomdet.job_records SET status = $2, error = $3, finished_at = pg_catalog.clock_timestamp(), \
               backend_pid = NULL WHERE id = $1 AND status IN ('queued', 'running')",
            &[job_id.into(), status.into(), message.into()],
        )
        .or_report()
    });
}

fn parse_extra(extra: &str) -> Option<(pg_sys::Oid, pg_sys::Oid, String)> {
    let mut parts = extra.split_whitespace();
    let db = parts.next()?.parse::<u32>().ok()?;
    let user = parts.next()?.parse::<u32>().ok()?;
    Some((pg_sys::Oid::from(db), pg_sys::Oid::from(user), parts.next()?.to_string()))
}

fn set_application_name(job_id: i64) {
    let value = std::ffi::CString::new(application_name(job_id)).unwrap_or_default();
    // SAFETY: valid NUL-terminated strings; a session-level SET of a user-settable option.
    unsafe {
        pg_sys::SetConfigOption(
            c"application_name".as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
        );
    }
}

/// Wait for the transaction that created the job: true once committed, false if it aborted
/// or the server is shutting down.
fn creator_committed(xid: &str) -> bool {
    loop {
        let status = in_transaction(|| {
            crate::postgres::sql::read_one::<String>(
                "SELECT pg_catalog.pg_xact_status($1::pg_catalog.xid8)",
                &[xid.into()],
            )
            .or_report()
        });
        match status {
            Ok(Some(s)) if s == "committed" => return true,
            Ok(Some(s)) if s == "in progress" => {}
            _ => return false,
        }
        if !matches!(nap(Duration::from_millis(20)), Ok(true)) {
            return false;
        }
    }
}

enum End {
    Finished,
    /// By cancel_job, which recorded it.
    Cancelled,
    /// By SIGTERM or the postmaster's death.
    Terminated,
}

/// Sleep until the latch is set or `timeout` passes, then take pending interrupts: a query
/// cancel comes back as an Err (pgrx's wait_latch would let it end the process unrecorded),
/// and barriers (DROP DATABASE elsewhere) are absorbed. False when the worker must stop.
fn nap(timeout: Duration) -> Result<bool, Failure> {
    let flags = (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_POSTMASTER_DEATH) as i32;
    let millis = timeout.as_millis().min(i32::MAX as u128) as _;
    // SAFETY: the worker's own latch, in its main thread.
    let events = unsafe {
        let events = pg_sys::WaitLatch(pg_sys::MyLatch, flags, millis, pg_sys::PG_WAIT_EXTENSION);
        pg_sys::ResetLatch(pg_sys::MyLatch);
        events
    };
    catching(|| {
        pg_sys::check_for_interrupts!();
    })?;
    Ok(events & pg_sys::WL_POSTMASTER_DEATH as i32 == 0 && !BackgroundWorker::sigterm_received())
}

/// One stream job in memory: the rows in replay order and a detector per series.
struct Replay {
    job_id: i64,
    source_relid: pg_sys::Oid,
    detector: &'static str,
    target: String,
    keyed: bool,
    /// The target has a probability column (a stream started by 0.2.0 wrote none).
    target_probability: bool,
    series: Vec<SeriesRows>,
    scoring: Scoring,
    events: Events,
    /// (series, row) in time order, and the timestamps in that order.
    order: Vec<(u32, u32)>,
    order_ts: Vec<i64>,
    pace: Pace,
    latencies_ms: Vec<f64>,
    anomalies: i64,
    scored: i64,
}

/// How the rows are scored: a detector per series (fresh or resumed from a model), or a
/// multivariate model scoring each row of its columns on its own.
enum Scoring {
    Series(Vec<SeriesScorer>),
    Columns(ColumnsModel),
}

impl Replay {
    /// Read the job and its source, and mark the job running; None when it is no longer queued.
    fn load(job_id: i64) -> Result<Option<Replay>, ErrorReport> {
        let row = Spi::connect(|client| -> Result<Option<Vec<Option<String>>>, ErrorReport> {
            let t = client
                .select(
                    "SELECT status, source_relid::pg_catalog.oid::pg_catalog.int8::text, value_column, time_column, series_column, \
                       detector, params::text, target, speedup::text, inject::text, target_relid::pg_catalog.oid::pg_catalog.int8::text, \
                       pg_catalog.to_jsonb(j) OPERATOR(pg_catalog.->>) 'model' \
                     FROM anomdet.jobs j WHERE id = $1",
                    Some(1),
                    &[job_id.into()],
                )
                .or_report()?;
            if t.is_empty() {
                return Ok(None);
            }
            let r = t.first();
            (1..=12).map(|i| r.get::<String>(i).or_report()).collect::<Result<Vec<_>, _>>().map(Some)
        })?;
        let Some(row) = row else { return Ok(None) };
        let text = |i: usize| row[i].clone().unwrap_or_default();
        if text(0) != "queued" {
            return Ok(None);
        }
        let relid = pg_sys::Oid::from(text(1).parse::<u32>().map_err(internal)?);
        let source = Source::resolve(relid, &text(2), Some(&text(3)), row[4].as_deref())?;
        let speedup = row[8].as_deref().and_then(|s| s.parse::<f64>().ok());
        // The job runs as its owner, who may read the model.
        let columns_model = match row[11].as_deref() {
            Some(name) if crate::models::store::columns_of(name)?.is_some() => Some(ColumnsModel::load("model", name)?),
            _ => None,
        };
        let columns = columns_model.as_ref().map_or_else(|| vec![source.value_column.clone()], |m| m.columns.clone());
        let mut series = series_rows::read(&source, &columns, None)?;
        if let Some(spec) = row[9].as_deref() {
            let json: serde_json::Value = serde_json::from_str(spec).map_err(internal)?;
            let target_relid = pg_sys::Oid::from(text(10).parse::<u32>().map_err(internal)?);
            let target = Source::resolve(target_relid, "value", Some("ts"), row[4].as_ref().map(|_| "series"))?;
            super::injection::Spec::parse(&json)?.apply(&mut series, &target)?;
        }
        let (detector, scoring) = match columns_model {
            Some(model) => (model.info.name, Scoring::Columns(model)),
            None => {
                let info = find_detector(&text(5)).ok_or_else(|| internal(format!("unknown detector {}", text(5))))?;
                let json: serde_json::Value = serde_json::from_str(&text(6)).map_err(internal)?;
                let params = info.parse_params(Some(&json)).map_err(internal)?;
                let chosen = ChosenDetector::Builtin { info, params };
                // With a model, each series resumes its learnt state; else a fresh detector.
                let scorers = match row[11].as_deref() {
                    Some(name) => {
                        let model = crate::models::store::load("model", name)?;
                        series.iter().map(|s| model.scorer_for(s.key.as_deref())).collect::<Result<_, _>>()?
                    }
                    None => series.iter().map(|_| SeriesScorer::new(&chosen)).collect(),
                };
                (info.name, Scoring::Series(scorers))
            }
        };
        let all_ts: Vec<&[i64]> = series.iter().map(|s| s.ts.as_slice()).collect();
        let order = merged_order(&all_ts);
        let order_ts: Vec<i64> = order.iter().map(|&(s, i)| series[s as usize].ts[i as usize]).collect();
        let pace = Pace { first_ts: order_ts.first().copied().unwrap_or(0), speedup };
        // Cancelled while the source was read: leave the job as cancel_job left it.
        let started = crate::postgres::sql::write_one::<bool>(
            "WITH u AS (UPDATE anomdet.job_records SET status = 'running', started_at = pg_catalog.clock_timestamp(), \
               series_count = $2, progress_at = pg_catalog.clock_timestamp() WHERE id = $1 AND status = 'queued' RETURNING 1) \
             SELECT pg_catalog.count(*) > 0 FROM u",
            &[job_id.into(), (series.len() as i64).into()],
        );
        if started.or_report()? != Some(true) {
            return Ok(None);
        }
        Ok(Some(Replay {
            job_id,
            source_relid: relid,
            detector,
            target_probability: crate::postgres::tables::has_column(&text(7), "probability")?,
            target: text(7),
            keyed: source.series_column.is_some(),
            series,
            scoring,
            events: Events::default(),
            order,
            order_ts,
            pace,
            latencies_ms: Vec::new(),
            anomalies: 0,
            scored: 0,
        }))
    }

    fn run(&mut self) -> Result<End, Failure> {
        let started = Instant::now();
        let mut done = 0usize;
        let mut last_progress = Instant::now();
        while done < self.order.len() {
            if BackgroundWorker::sigterm_received() {
                return Ok(End::Terminated);
            }
            let elapsed = started.elapsed().as_secs_f64();
            let due = self.pace.due_count(&self.order_ts, done, elapsed, MAX_BATCH);
            if due == 0 {
                if last_progress.elapsed() >= PROGRESS_EVERY {
                    if !in_transaction(|| self.report_progress(done, started))? {
                        return Ok(End::Cancelled);
                    }
                    last_progress = Instant::now();
                }
                let wait = (self.pace.due_secs(self.order_ts[done]) - elapsed).max(0.001);
                if !nap(NAP.min(Duration::from_secs_f64(wait)))? {
                    return Ok(End::Terminated);
                }
                continue;
            }
            let batch = done..done + due;
            let still_running = in_transaction(|| {
                self.write_batch(batch.clone(), started)?;
                self.report_progress(batch.end, started)
            })?;
            done = batch.end;
            last_progress = Instant::now();
            if !still_running {
                return Ok(End::Cancelled);
            }
        }
        in_transaction(|| self.report_progress(done, started))?;
        Ok(End::Finished)
    }

    /// Score the batch's rows, write them with their scores into the target, keep the flagged
    /// ones and each event's end (with latency) in anomdet.results, and announce each event.
    fn write_batch(&mut self, batch: std::ops::Range<usize>, started: Instant) -> Result<(), ErrorReport> {
        let n = batch.len();
        let (mut ts, mut keys, mut values) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut scored: Vec<Scored> = Vec::with_capacity(n);
        let mut shares: Vec<Option<String>> = Vec::new();
        for &(s, i) in &self.order[batch.clone()] {
            let rows = &self.series[s as usize];
            let (s, i) = (s as usize, i as usize);
            ts.push(rows.ts[i]);
            keys.push(rows.key.as_deref());
            values.push(rows.values[0][i]);
            match &mut self.scoring {
                Scoring::Series(scorers) => scored.push(scorers[s].update(rows.values[0][i])),
                Scoring::Columns(model) => {
                    let (row, explained) = score_columns(model, rows, i)?;
                    scored.push(row);
                    shares.push(explained);
                }
            }
        }
        let multivariate = matches!(self.scoring, Scoring::Columns(_));
        let stamps = ts.iter().map(|&t| TimestampWithTimeZone::try_from(t)).collect::<Result<Vec<_>, _>>();
        let stamps = stamps.map_err(internal)?;
        let scores: Vec<Option<f64>> = scored.iter().map(|s| s.score).collect();
        let flags: Vec<Option<bool>> = scored.iter().map(|s| s.is_anomaly).collect();
        let keyed = if self.keyed { ", series" } else { "" };
        let key_arg = if self.keyed { ", pg_catalog.unnest($5::pg_catalog.text[])" } else { "" };
        let (chance, chance_arg) = match self.target_probability {
            true => (", probability", ", pg_catalog.unnest($6::pg_catalog.float8[])"),
            false => ("", ""),
        };
        let insert = format!(
            "INSERT INTO {} (ts, value, score, is_anomaly{keyed}{chance}) SELECT * FROM ROWS FROM ( \
               pg_catalog.unnest($1::pg_catalog.timestamptz[]), pg_catalog.unnest($2::pg_catalog.float8[]), \
               pg_catalog.unnest($3::pg_catalog.float8[]), pg_catalog.unnest($4::pg_catalog.bool[]){key_arg}{chance_arg})",
            self.target
        );
        let chances: Vec<Option<f64>> = scored.iter().map(|s| s.probability).collect();
        let key_texts: Vec<Option<String>> =
            if self.keyed { keys.iter().map(|k| k.map(str::to_string)).collect() } else { Vec::new() };
        crate::postgres::sql::write(
            &insert,
            &[
                stamps.clone().into(),
                values.clone().into(),
                scores.into(),
                flags.into(),
                key_texts.into(),
                chances.into(),
            ],
        )
        .map_err(|e| error(Code::ERRCODE_UNDEFINED_TABLE, format!("target {}: {e}", self.target), "was it dropped?"))?;

        // Latency: from the moment a row fell due (its arrival) to now, its score written.
        let now = started.elapsed().as_secs_f64();
        self.scored += scored.iter().filter(|s| s.score.is_some()).count() as i64;
        // Results keep the flagged rows and the row that ends each event (so anomdet.events
        // sees where it ends); an event is announced once, at its first row.
        let mut kept = ResultRows::with_capacity(n / 16);
        let mut latency = Vec::new();
        let mut kept_shares = Vec::new();
        for k in 0..n {
            let flagged = scored[k].is_anomaly == Some(true);
            let step = self.events.step(keys[k], flagged);
            if step == Step::Quiet {
                continue;
            }
            let row_latency = (now - self.pace.due_secs(ts[k])).max(0.0) * 1000.0;
            if flagged {
                self.anomalies += 1;
                self.latencies_ms.push(row_latency);
            }
            kept.push(keys[k], ts[k], values[k], scored[k]);
            kept.event_starts.push(step == Step::Starts);
            latency.push(row_latency);
            if multivariate {
                kept_shares.push(shares[k].clone());
            }
        }
        if !kept.is_empty() {
            kept.latency_ms = Some(latency);
            kept.contributions = multivariate.then_some(kept_shares);
            results::write(self.job_id, &kept, Some(&Alerts { detector: self.detector }))?;
        }
        self.check_source()
    }

    /// The source is read once at the start; a drop while replaying still ends the job.
    fn check_source(&self) -> Result<(), ErrorReport> {
        let exists = crate::postgres::sql::read_one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = $1)",
            &[self.source_relid.into()],
        )
        .or_report()?;
        if exists == Some(true) {
            Ok(())
        } else {
            Err(error(
                Code::ERRCODE_UNDEFINED_TABLE,
                "the source table was dropped while the stream ran",
                "rows written so far stay in the target",
            ))
        }
    }

    /// Write live progress; false when the job is no longer running (cancelled).
    fn report_progress(&self, done: usize, started: Instant) -> Result<bool, ErrorReport> {
        let elapsed = started.elapsed().as_secs_f64();
        let stream_ts = done.checked_sub(1).map(|i| self.order_ts[i]);
        // Lag: how far behind schedule the last written row was written.
        let lag_ms = stream_ts.map(|t| ((elapsed - self.pace.due_secs(t)) * 1000.0).max(0.0));
        let ps = percentiles(&self.latencies_ms, &[0.5, 0.99]);
        let p = |i: usize| Some(ps[i]).filter(|v| v.is_finite());
        let still = crate::postgres::sql::write_one::<bool>(
            "WITH u AS (UPDATE anomdet.job_records SET rows_read = $2, rows_scored = $3, anomalies = $4, \
               stream_time = $5, lag_ms = $6, rows_per_second = $7, progress_at = pg_catalog.clock_timestamp(), \
               latency_p50_ms = $8, latency_p99_ms = $9 \
             WHERE id = $1 AND status = 'running' RETURNING 1) SELECT pg_catalog.count(*) > 0 FROM u",
            &[
                self.job_id.into(),
                (done as i64).into(),
                self.scored.into(),
                self.anomalies.into(),
                stream_ts.map(TimestampWithTimeZone::try_from).transpose().map_err(internal)?.into(),
                lag_ms.into(),
                (done as f64 / elapsed.max(1e-9)).into(),
                p(0).into(),
                p(1).into(),
            ],
        );
        Ok(still.or_report()? == Some(true))
    }
}
