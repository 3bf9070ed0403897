//! `anomdet._scored_series(...)`: what a Citus worker runs for the coordinator
//! (`pipeline::pushdown`): one series of a shard, its rows gathered in any order, put in time
//! order and scored by the plan `detect` runs, returned as bytes (`anomdet_core::scored_wire`).
//! Not for direct use.

use crate::error::invalid_argument;
use crate::pipeline::pushdown::Encoded;
use crate::score_request::{ScoreArgs, prepare};
use crate::worker_request::{field, needed};
use anomdet_core::progress::Total;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score one series (`ts` and `value` pairwise, in any order) as `request` asks: source, value_column,
/// time_column, series_column, detector, params, mode, on_invalid, on_duplicate.
#[pg_extern(name = "_scored_series", volatile, parallel_safe)]
fn scored_series(
    key: Option<&str>,
    ts: Option<Vec<Option<TimestampWithTimeZone>>>,
    value: Option<Vec<Option<f64>>>,
    request: Option<pgrx::JsonB>,
) -> Result<Vec<u8>, ErrorReport> {
    let request = crate::error::required("request", request)?.0;
    let ts = crate::error::required("ts", ts)?;
    let value = crate::error::required("value", value)?;
    if ts.len() != value.len() {
        return Err(invalid_argument(
            format!("value: {} values for {} timestamps", value.len(), ts.len()),
            "pass one value per timestamp",
        ));
    }
    let _path = crate::postgres::search_path::pin();
    PREPARED.with_borrow_mut(|prepared| -> Result<Vec<u8>, ErrorReport> {
        let statement = Statement::current();
        let text = request.to_string();
        let ready = match prepared.take() {
            Some(p) if p.statement == statement && p.request == text => p,
            _ => {
                let (source, parts) = prepare_request(&request)?;
                Prepared { statement, request: text, source, parts }
            }
        };
        let scored = score(key, &ts, &value, &ready.source, &ready.parts);
        *prepared = Some(ready);
        scored
    })
}

/// The request of the statement running, prepared once: a worker is called once per series, and
/// resolving the source and detector (a few catalog queries) costs more than scoring a short series.
struct Prepared {
    statement: Statement,
    request: String,
    source: crate::postgres::relation::Source,
    parts: crate::score_request::PlanParts,
}

thread_local! {
    static PREPARED: std::cell::RefCell<Option<Prepared>> = const { std::cell::RefCell::new(None) };
}

/// One statement of one transaction: the catalog a request was resolved against holds still within it.
#[derive(PartialEq, Eq, Clone, Copy)]
struct Statement {
    transaction_started: pg_sys::TimestampTz,
    command: pg_sys::CommandId,
}

impl Statement {
    fn current() -> Statement {
        // SAFETY: both read the current transaction's state.
        unsafe {
            Statement {
                transaction_started: pg_sys::GetCurrentTransactionStartTimestamp(),
                command: pg_sys::GetCurrentCommandId(false),
            }
        }
    }
}

/// Resolve the request's source (in the caller's search_path, as a regclass argument is) and
/// check its detector, mode and policies.
fn prepare_request(
    request: &serde_json::Value,
) -> Result<(crate::postgres::relation::Source, crate::score_request::PlanParts), ErrorReport> {
    let name = needed(request, "source")?;
    let relid = crate::postgres::search_path::as_caller(|| {
        crate::postgres::sql::read_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid",
            &[name.into()],
        )
    })
    .map_err(crate::error::internal)?
    .filter(|oid| *oid != pg_sys::InvalidOid)
    .ok_or_else(|| {
        invalid_argument(
            format!("request: source {name} does not exist here"),
            "the coordinator names it schema-qualified; every node needs anomdet and Citus",
        )
    })?;
    prepare(&ScoreArgs {
        source: relid,
        value_column: needed(request, "value_column")?,
        detector: needed(request, "detector")?,
        params: request.get("params"),
        time_column: field(request, "time_column")?,
        series_column: field(request, "series_column")?,
        mode: needed(request, "mode")?,
        on_invalid: needed(request, "on_invalid")?,
        on_duplicate: needed(request, "on_duplicate")?,
    })
}

/// Put the rows in time order and score them with the prepared plan.
fn score(
    key: Option<&str>,
    ts: &[Option<TimestampWithTimeZone>],
    value: &[Option<f64>],
    source: &crate::postgres::relation::Source,
    parts: &crate::score_request::PlanParts,
) -> Result<Vec<u8>, ErrorReport> {
    let relid = source.relid;
    let mut sink = Encoded::default();
    let mut progress = crate::progress::Progress::start("detect", "rows", Total::Known(ts.len() as u64), Some(relid))
        .every(crate::progress::ROWS_BETWEEN_REPORTS);
    // A NULL timestamp cannot come from the coordinator's query (it excludes them). The sort is
    // stable: rows at one time keep their order (as in an ordered read, any order of them).
    let mut rows: Vec<(i64, Option<f64>)> =
        ts.iter().zip(value).filter_map(|(t, v)| t.map(|t| (pg_sys::TimestampTz::from(t), *v))).collect();
    rows.sort_by_key(|&(t, _)| t);
    parts.with_source(source).run_series(key, rows.into_iter(), &mut sink, &mut progress)?;
    Ok(sink.bytes)
}
