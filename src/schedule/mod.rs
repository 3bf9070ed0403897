//! Scheduled detection on live data: `anomdet.score_new_rows(config)` scores only the rows
//! newer than a stored watermark, and the procedure `anomdet.scheduled_detect(job_id, config)`
//! wraps it in the signature TimescaleDB's `add_job` and pg_cron calls expect.
//!
//! One watermark per (owner, source, column, detector, parameters), locked for the run, so
//! concurrent or overlapping runs never score a row twice. Each run saves every scored
//! series' detector state (`anomdet.detector_states`) and the next run resumes from it, so N
//! runs give exactly the scores of one online pass over the same rows. A series with no
//! usable state (its first rows after an update from 0.2.0, or a state of another format) starts
//! from the configured model, or else is warmed up on the `lookback` rows before the watermark.

mod columns;
mod config;
mod new_rows;
mod states;
mod watermark;

use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error, internal, invalid_argument};
use crate::models::{ModelArgs, check_model_args};
use crate::pipeline::events::{Events, Step};
use crate::pipeline::results::{self, Alerts, ResultRows};
use crate::pipeline::scorer::{ResumeFrom, SeriesScorer};
use crate::postgres::relation::Source;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score the rows of the configured source newer than its watermark; returns how many.
pub fn score_new_rows(config: &serde_json::Value) -> Result<i64, ErrorReport> {
    let config = config::Config::parse(config)?;
    if let Some(name) = &config.model
        && crate::models::store::columns_of(name)?.is_some()
    {
        let model = crate::models::columns::ColumnsModel::load("config.model", name)?;
        return columns::score_new_rows(&config, &model);
    }
    let value_column = config::needed("value_column", config.value_column.clone())?;
    let model = config.model.as_deref().map(|name| crate::models::store::load("config.model", name)).transpose()?;
    let detector = match &model {
        Some(m) => {
            let stored = m.detector.params_json();
            let args = ModelArgs { name: &m.name, trained_with: m.detector.name(), default_detector: "zscore" };
            check_model_args("config.", &args, &config.detector, &config.params, &stored)?;
            m.detector.clone()
        }
        None => ChosenDetector::resolve("config.detector", &config.detector, Some(&config.params))?,
    };
    // Every model scores value by value; without one the detector needs an online mode.
    if model.is_none() && !detector.supports_online() {
        return Err(invalid_argument(
            format!(
                "config.detector: {} with these params has no online mode, which scheduled scoring needs",
                detector.name()
            ),
            if detector.trainable() {
                "train a model of it (anomdet.train) and name it in config.model, or choose an online detector: \
                 SELECT name FROM anomdet.detectors() WHERE online"
            } else {
                "SELECT name FROM anomdet.detectors() WHERE online (an ensemble is online when all its members are)"
            },
        ));
    }
    let source = resolve_source(&config, &value_column)?;
    let effective = detector.params_json();
    let (job_id, watermark) = watermark::lock(&source, detector.name(), &effective)?;

    let keep_states = states::kept()?;
    let mut saved = if keep_states { states::load(job_id, detector.name())? } else { Default::default() };
    // Series whose last scored row was inside an event: its next flagged rows continue it.
    let mut events = Events::with_open(saved.iter().filter(|(_, s)| s.in_event).map(|(k, _)| k.clone()));
    // A model is warm: series without a saved state start from it, with no warm-up rows.
    let lookback = if model.is_some() { 0 } else { config.lookback };
    let column = std::slice::from_ref(&source.value_column);
    let watermark = watermark.map(|w| w.into_inner());
    let rows = new_rows::read(&source, column, watermark, lookback, |series| {
        !saved.contains_key(&series.map(str::to_string))
    })?;
    let mut out = ResultRows::default();
    let mut carried = Vec::with_capacity(rows.len());
    for run in &rows {
        let series = &run.rows;
        let (mut scorer, warmup) = match saved.remove(&series.key) {
            Some(saved) => (states::resume(&detector, &saved.state, series.key.as_deref())?, 0),
            None => match &model {
                Some(m) => (m.scorer_for(series.key.as_deref())?, 0),
                None => (SeriesScorer::new(&detector), run.warmup),
            },
        };
        for (i, (&ts, &value)) in series.ts.iter().zip(&series.values[0]).enumerate() {
            anomdet_core::interrupt::check_every(i);
            let scored = scorer.update(value);
            if i >= warmup {
                let step = events.step(series.key.as_deref(), scored.is_anomaly == Some(true));
                out.push(series.key.as_deref(), ts, value, scored);
                out.event_starts.push(step == Step::Starts);
            }
        }
        if let (Some(state), Some(&last_ts)) = (scorer.save(), series.ts.last()) {
            let in_event = events.is_open(series.key.as_deref());
            carried.push(states::Carried { series: series.key.clone(), state, last_ts, in_event });
        }
    }
    let alerts = config.notify.then_some(Alerts { detector: detector.name() });
    results::write(job_id, &out, alerts.as_ref())?;
    if keep_states {
        states::store(job_id, detector.name(), &carried)?;
    }
    record_run(job_id, &out)
}

/// Move the watermark past the rows scored and count them on the schedule's job; returns how many.
fn record_run(job_id: i64, out: &ResultRows<'_>) -> Result<i64, ErrorReport> {
    let newest = out.ts.iter().copied().max();
    crate::postgres::sql::write(
        "WITH w AS (UPDATE anomdet.watermarks SET watermark = coalesce($2, watermark), runs = runs + 1, \
           last_run = pg_catalog.clock_timestamp() WHERE job_id = $1) \
         UPDATE anomdet.job_records SET rows_read = rows_read + $3, rows_scored = rows_scored + $4, anomalies = anomalies + $5, \
           finished_at = pg_catalog.clock_timestamp(), status = 'succeeded' WHERE id = $1",
        &[
            job_id.into(),
            newest.map(TimestampWithTimeZone::try_from).transpose().map_err(internal)?.into(),
            (out.len() as i64).into(),
            (out.scored.iter().filter(|s| s.score.is_some()).count() as i64).into(),
            (out.scored.iter().filter(|s| s.is_anomaly == Some(true)).count() as i64).into(),
        ],
    )
    .or_report()?;
    crate::postgres::job_portal::settle_job_portal();
    Ok(out.len() as i64)
}

/// The configured source, named as the caller's search_path sees it, with `column` as its value column.
fn resolve_source(config: &config::Config, column: &str) -> Result<Source, ErrorReport> {
    let relid = crate::postgres::search_path::as_caller(|| {
        crate::postgres::sql::read_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid",
            &[config.source.as_str().into()],
        )
    })
    .or_report()?
    .ok_or_else(|| {
        error(
            Code::ERRCODE_UNDEFINED_TABLE,
            format!("config.source: relation \"{}\" does not exist", config.source),
            "name it as your search_path sees it, or schema-qualified",
        )
    })?;
    Source::resolve(relid, column, config.time_column.as_deref(), config.series_column.as_deref())
}
