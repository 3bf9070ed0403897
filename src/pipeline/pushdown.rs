//! Citus: a table hash-distributed by its series column is scored where its shards live. Each
//! series lies whole in one shard, so the coordinator asks for every series' rows gathered in
//! time order and scored by `anomdet._scored_series` in one query grouped by that column; Citus
//! runs the grouping and the function on the workers, shard by shard, in parallel, and sends
//! back one compact value per series. A worker scores with the very plan a single node runs
//! (`Plan::run_series`), so the coordinator passes on the same cells it would have computed.
//!
//! A time range is read on the workers too: its bounds (warm-up rows included) go into the
//! query, and the coordinator drops the warm-up rows as it does for rows it scores itself.
//!
//! Pulled to the coordinator instead, with a NOTICE that says so: tables distributed by another
//! column, reference tables, stored models and registered detectors (their catalog rows live on
//! the coordinator).

use super::plan::{Plan, ScoredRow, Sink, Summary};
use crate::error::internal;
use crate::postgres::relation::Source;
use crate::progress::Progress;
use anomdet_core::Mode;
use anomdet_core::scored_wire::{self, WireRow};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, quote_literal};

/// Series fetched from the workers at a time (each is one value holding the whole series).
const SERIES_PER_FETCH: i64 = 8;

/// Score `plan` into `sink`: on the Citus workers when its source allows, else here.
pub fn score_where_rows_live(
    plan: &Plan<'_>,
    sink: &mut dyn Sink,
    progress: &mut Progress,
) -> Result<Summary, ErrorReport> {
    score_where(plan, scores_on_workers(plan)?, sink, progress)
}

/// Score `plan` into `sink`, on the Citus workers or here as `scores_on_workers` decided.
pub fn score_where(
    plan: &Plan<'_>,
    on_workers: bool,
    sink: &mut dyn Sink,
    progress: &mut Progress,
) -> Result<Summary, ErrorReport> {
    if on_workers { run(plan, sink, progress) } else { plan.run(sink, progress) }
}

/// Whether `plan` is scored on the Citus workers; a distributed source that is not says why.
pub fn scores_on_workers(plan: &Plan<'_>) -> Result<bool, ErrorReport> {
    let kept_here = if plan.model.is_some() {
        Some("it scores with a stored model")
    } else if plan.detector.runs_sql() {
        Some("the detector is a registered (SQL) one")
    } else {
        None
    };
    series_on_workers(plan.source, kept_here)
}

/// Whether each series of `source` can be handled on the Citus worker holding it: the source is
/// distributed by its series column and nothing in `kept_here` keeps the work on the
/// coordinator. A Citus table that is not says why, in a NOTICE.
pub fn series_on_workers(source: &Source, kept_here: Option<&str>) -> Result<bool, ErrorReport> {
    if source.identity != crate::postgres::relation::RowIdentity::Value
        || !crate::postgres::citus::is_citus_table(source.relid)?
    {
        return Ok(false);
    }
    let distributed_by = crate::postgres::citus::distribution_column(source.relid)?;
    let why_not = match (&distributed_by, &source.series_column) {
        (None, _) => Some("it is a reference or local Citus table".to_string()),
        (Some(by), Some(series)) if by == series => kept_here.map(str::to_string),
        (Some(by), _) => Some(format!("it is distributed by {by}, not by the series_column")),
    };
    match why_not {
        Some(why) => {
            pgrx::notice!(
                "source: {} is a Citus table; its rows are scored on the coordinator: {why}",
                source.qualified
            );
            Ok(false)
        }
        None => Ok(true),
    }
}

/// Score every series on the workers and pass the rows on to `sink` as they come back.
fn run(plan: &Plan<'_>, sink: &mut dyn Sink, progress: &mut Progress) -> Result<Summary, ErrorReport> {
    progress.set_phase("scoring");
    let sql = worker_query(plan);
    let mut summary = Summary::default();
    Spi::connect(|client| -> Result<(), ErrorReport> {
        let mut cursor = client.try_open_cursor(sql.as_str(), &[]).map_err(internal)?;
        loop {
            pgrx::check_for_interrupts!();
            let batch = cursor.fetch(SERIES_PER_FETCH).map_err(internal)?;
            if batch.is_empty() {
                return Ok(());
            }
            for row in batch {
                let key: Option<String> = row.get(1).map_err(internal)?;
                let payload: Option<Vec<u8>> = row.get(2).map_err(internal)?;
                let rows = decode(payload.as_deref().unwrap_or_default())?;
                plan.pass_on(key.as_deref(), &rows, sink, &mut summary, progress)?;
            }
        }
    })?;
    plan.finish_elsewhere(summary, sink, progress)
}

/// The query Citus pushes down whole: grouped by the distribution column, each group's rows
/// gathered (in scan order: the worker sorts them, cheaper than two ordered aggregates) and
/// scored by `_scored_series` on the worker that holds the shard.
fn worker_query(plan: &Plan<'_>) -> String {
    let source = plan.source;
    let (t, v) = (quote_identifier(&source.time_column), quote_identifier(&source.value_column));
    let k = quote_identifier(source.series_column.as_deref().unwrap_or_default());
    let request = serde_json::json!({
        "source": source.qualified,
        "value_column": source.value_column,
        "time_column": source.time_column,
        "series_column": source.series_column,
        "detector": plan.detector.name(),
        "params": plan.detector.params_json(),
        "mode": if plan.mode == Mode::Online { "online" } else { "batch" },
        "on_invalid": plan.on_invalid.word(),
        "on_duplicate": plan.on_duplicate.word(),
    });
    format!(
        "SELECT {k}::pg_catalog.text, anomdet._scored_series({k}::pg_catalog.text, \
         pg_catalog.array_agg({t}::pg_catalog.timestamptz), pg_catalog.array_agg({v}::pg_catalog.float8), \
         {}::pg_catalog.jsonb) \
         FROM {} WHERE {t} IS NOT NULL{} GROUP BY {k} ORDER BY {k}",
        quote_literal(request.to_string()),
        source.qualified,
        source.range.sql(&source.time_column),
    )
}

/// Collects a worker's scored series for the coordinator.
#[derive(Default)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    encoder: scored_wire::Encoder,
}

impl Sink for Encoded {
    fn reset(&mut self) {
        *self = Encoded::default();
    }

    fn accept(&mut self, _series: Option<&str>, rows: &[ScoredRow]) -> Result<(), ErrorReport> {
        for r in rows {
            self.encoder.push(&WireRow { ts: r.ts, value: r.value, scored: r.scored }, &mut self.bytes);
        }
        Ok(())
    }
}

fn decode(bytes: &[u8]) -> Result<Vec<ScoredRow>, ErrorReport> {
    let rows = scored_wire::decode(bytes).map_err(|e| internal(format!("a worker's scored series: {e}")))?;
    Ok(rows.into_iter().map(|r| ScoredRow { ts: r.ts, value: r.value, scored: r.scored }).collect())
}
