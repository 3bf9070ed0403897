//! Starting a stream job (`anomdet.run_stream`): check everything, create the target, record
//! the job, start its worker, and return the job id at once.

use super::application_name;
use crate::error::{Code, OrReport, error, internal, invalid_argument, required};
use crate::postgres::json_arg::JsonArg;
use crate::score_request::SqlScoreArgs;
use pgrx::bgworkers::BackgroundWorkerBuilder;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// The arguments of `run_stream` exactly as SQL passes them (any may be NULL).
pub struct StreamArgs<'a> {
    pub source: Option<crate::postgres::rel_arg::RelArg>,
    pub value_column: Option<&'a str>,
    pub target: Option<&'a str>,
    pub detector: Option<&'a str>,
    pub params: Option<JsonArg>,
    pub speedup: Option<f64>,
    pub time_column: Option<&'a str>,
    pub series_column: Option<&'a str>,
    pub name: Option<&'a str>,
    pub inject: Option<JsonArg>,
    /// A stored model to score with.
    pub model: Option<&'a str>,
}

/// Start a stream job and return its id.
pub fn start(args: StreamArgs<'_>) -> Result<i64, ErrorReport> {
    let StreamArgs {
        source,
        value_column,
        target,
        detector,
        params,
        speedup,
        time_column,
        series_column,
        name,
        inject,
        model,
    } = args;
    let target = required("target", target)?;
    refuse_superuser_job()?;
    // Checked now, applied by the worker: a bad spec fails the call, not the job.
    let inject = inject.map(|j| j.value("inject").cloned()).transpose()?;
    if let Some(spec) = &inject {
        super::injection::Spec::parse(spec)?;
    }
    if let Some(s) = speedup
        && !(s.is_finite() && s > 0.0)
    {
        return Err(invalid_argument(
            format!("speedup: must be a positive number, got {s}"),
            "e.g. speedup => 1000 replays 1000× faster than recorded; NULL replays as fast as possible",
        ));
    }
    let (source, detector, effective) = match model {
        // A multivariate model replays its columns, each row scored on its own.
        Some(name) if crate::models::store::columns_of(name)?.is_some() => {
            let m = crate::models::columns::ColumnsModel::load("model", name)?;
            let given = required("params", params)?;
            let value_column = required("value_column", value_column)?;
            m.check_job_args("", Some(value_column), required("detector", detector)?, given.value("params")?)?;
            let relid = required("source", source)?.0;
            let source = crate::multivariate::resolve_columns(relid, &m.columns, time_column, series_column)?;
            (source, m.info.name.to_string(), m.params.to_json(m.info.params))
        }
        _ => {
            let (source, parts) = SqlScoreArgs {
                source,
                value_column,
                detector,
                params,
                time_column,
                series_column,
                mode: Some("online"),
                on_invalid: Some("skip"),
                on_duplicate: Some("error"),
                // A stream replays the whole source.
                start_time: None,
                end_time: None,
                lookback: Some(0),
                model,
            }
            .prepare()?;
            (source, parts.detector.name().to_string(), parts.detector.params_json())
        }
    };
    reap_lost_jobs()?;
    let (target, target_relid) = create_target(target, source.series_column.is_some())?;
    distribute_like_source(&source, &target)?;
    // The model column only with a model: 0.2.0's catalog has none (see jobs::run_batch).
    let (model_column, model_value) = if model.is_some() { (", model", ", $13") } else { ("", "") };
    let job_id = crate::postgres::sql::write_one::<i64>(
        &format!(
            "INSERT INTO anomdet.job_records (name, kind, detector, params, mode, source_relid, source, time_column, value_column, \
               series_column, status, target, target_relid, speedup, inject{model_column}) \
             VALUES ($1, 'stream', $2, $3, 'online', $4, $5, $6, $7, $8, 'queued', $9, $10, $11, $12{model_value}) RETURNING id"
        ),
        &[
            name.into(),
            detector.as_str().into(),
            pgrx::JsonB(effective).into(),
            source.relid.into(),
            source.qualified.as_str().into(),
            source.time_column.as_str().into(),
            source.value_column.as_str().into(),
            source.series_column.as_deref().into(),
            target.as_str().into(),
            target_relid.into(),
            speedup.into(),
            inject.map(pgrx::JsonB).into(),
            model.into(),
        ],
    )
    .or_report()?
    .ok_or_else(|| internal("INSERT INTO anomdet.job_records returned no id"))?;
    let pid = start_worker(job_id)?;
    crate::postgres::sql::write(
        "UPDATE anomdet.job_records SET backend_pid = $2 WHERE id = $1",
        &[job_id.into(), pid.into()],
    )
    .or_report()?;
    Ok(job_id)
}

/// The replay target: a new table (a hypertable under TimescaleDB) owned by the caller.
fn create_target(target: &str, keyed: bool) -> Result<(String, pg_sys::Oid), ErrorReport> {
    let qualified = crate::postgres::tables::new_table_name(
        target,
        "name a new table; a stream never writes into an existing one",
    )?;
    let series = if keyed { ", series text" } else { "" };
    // The score travels with its row: one write per row, readable by any dashboard.
    crate::postgres::sql::write(
        &format!(
            "CREATE TABLE {qualified} (ts timestamptz NOT NULL{series}, value double precision, \
           score double precision, is_anomaly boolean, probability double precision)"
        ),
        &[],
    )
    .or_report()?;
    crate::postgres::tables::make_hypertable(&qualified)?;
    let relid = crate::postgres::sql::read_one::<pg_sys::Oid>(
        "SELECT $1::pg_catalog.regclass::pg_catalog.oid",
        &[qualified.as_str().into()],
    )
    .or_report()?
    .ok_or_else(|| internal("the new target vanished"))?;
    Ok((qualified, relid))
}

/// On Citus, a target fed from a table distributed by its series column is distributed by its
/// own `series`, so the replayed rows and their scores spread over the workers as the source's
/// do (the worker's inserts are routed by Citus).
fn distribute_like_source(source: &crate::postgres::relation::Source, target: &str) -> Result<(), ErrorReport> {
    let Some(series) = &source.series_column else { return Ok(()) };
    if crate::postgres::citus::distribution_column(source.relid)?.as_ref() != Some(series) {
        return Ok(());
    }
    crate::postgres::sql::write(
        "SELECT pg_catalog.create_distributed_table($1::pg_catalog.regclass, 'series')",
        &[target.into()],
    )
    .or_report()
}

/// Register the dynamic worker and wait until it runs; its arguments are the job id and, in
/// `extra`, the database, the owner and this transaction (the worker waits for its commit).
fn start_worker(job_id: i64) -> Result<i32, ErrorReport> {
    let xid = crate::postgres::sql::write_one::<String>("SELECT pg_catalog.pg_current_xact_id()::text", &[])
        .or_report()?
        .ok_or_else(|| internal("no transaction id"))?;
    // SAFETY: plain reads of this backend's globals.
    let (db, user) = unsafe { (u32::from(pg_sys::MyDatabaseId), u32::from(pg_sys::GetUserId())) };
    let worker = BackgroundWorkerBuilder::new(&application_name(job_id))
        .set_type("anomdet stream")
        .set_library("anomdet")
        .set_function("anomdet_stream_main")
        .enable_spi_access()
        .set_argument(job_id.into_datum())
        .set_extra(&format!("{db} {user} {xid}"))
        // SAFETY: reading this backend's pid.
        .set_notify_pid(unsafe { pg_sys::MyProcPid })
        .load_dynamic()
        .map_err(|_| {
            error(
                Code::ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
                "run_stream: no background worker slot is free (max_worker_processes)",
                "wait for a running stream to finish, cancel one with anomdet.cancel_job(id), or raise max_worker_processes",
            )
        })?;
    worker.wait_for_startup().map_err(|status| {
        error(
            Code::ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
            format!("run_stream: the background worker did not start ({status:?})"),
            "see the server log; check max_worker_processes",
        )
    })
}

/// Mark stream jobs whose worker is gone (killed, crashed, server restarted) as failed.
pub fn reap_lost_jobs() -> Result<(), ErrorReport> {
    crate::postgres::sql::write("SELECT anomdet._reap_lost_jobs()", &[]).or_report()
}

/// B8: a worker runs as the role that started it; a superuser's would bypass every privilege
/// and row-level security policy, so that needs an explicit opt-in.
fn refuse_superuser_job() -> Result<(), ErrorReport> {
    // SAFETY: reads the current role's catalog flag, in a transaction.
    let superuser = unsafe { pg_sys::superuser() };
    if superuser && !crate::settings::ALLOW_SUPERUSER_JOBS.get() {
        return Err(error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "run_stream: the stream's worker would run as a superuser, and anomdet.allow_superuser_jobs is off",
            "start it as a role without superuser that has the table privileges it needs (SET ROLE works), \
             or SET anomdet.allow_superuser_jobs = on to allow it",
        ));
    }
    Ok(())
}
