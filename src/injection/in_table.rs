//! An injection into a table's rows (in place, or into the copy the caller asked for): compute
//! the new values, write them, and record the ground truth, all in the caller's transaction.

use super::placement::Placement;
use super::{compute, gather, ledger, to_sql_text, write};
use crate::postgres::relation::{RowIdentity, Source, column_type};
use crate::postgres::series_rows::SeriesRows;
use crate::progress::Progress;
use anomdet_core::Params;
use anomdet_core::inject::InjectorInfo;
use anomdet_core::progress::Total;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// One checked injection request and the rows it applies to.
pub struct Injection<'a> {
    pub info: &'static InjectorInfo,
    pub params: &'a Params,
    pub placement: &'a Placement,
    pub seed: i64,
    pub source: &'a Source,
    pub columns: &'a [String],
    pub rows: &'a [SeriesRows],
    /// The table the source was copied from, when the caller asked for a copy.
    pub copied_from: Option<&'a str>,
}

/// Inject, and return the injection id. Every series' spans go together: one write per column
/// and one ledger insert each, however many series the table holds.
pub fn inject(request: &Injection<'_>, progress: &mut Progress) -> Result<i64, ErrorReport> {
    let source = request.source;
    let changes = compute(request.info, request.params, request.placement, request.rows, request.seed)?;
    let mut changed = gather(request.rows, &changes);
    let n = changed.ts.len();
    progress.set_total(Total::Known((n * request.columns.len()) as u64));
    progress.set_phase("writing results");
    // Each column's write moves the rows to new versions; the cells record where the last
    // write left them, as a hint for revert.
    let mut texts = Vec::with_capacity(request.columns.len());
    for (c, column) in request.columns.iter().enumerate() {
        let values: Vec<Option<String>> = changed.after[c].iter().map(|&v| to_sql_text(v)).collect();
        let cast = write::value_cast(&column_type(source.relid, column)?);
        let refs = write::RowRefs { tids: &changed.tids, ts: &changed.ts, keys: &changed.keys };
        let written = write::write(source, column, &cast, &refs, &values, None)?;
        if written.len() != n {
            return Err(concurrent_change(source));
        }
        for (i, _, _, tid) in &written {
            if let Some(tid) = tid {
                changed.tids[*i] = *tid;
            }
        }
        texts.push(by_position(n, &written));
        progress.advance(n as u64);
    }
    let tids: Vec<Option<pg_sys::ItemPointerData>> =
        changed.tids.iter().map(|&tid| (source.identity == RowIdentity::Tid).then_some(tid)).collect();
    let cells = request
        .columns
        .iter()
        .zip(texts)
        .map(|(column, (originals, injected))| ledger::ColumnCells { column, originals, injected, tids: tids.clone() })
        .collect();
    let record = ledger::Record {
        source,
        columns: request.columns,
        method: request.info.name,
        params: request.params.to_json(request.info.params),
        placement: request.placement.to_json(),
        seed: request.seed,
        copied_from: request.copied_from,
    };
    ledger::record(&record, &changed.ledger_rows(), cells)
}

fn concurrent_change(source: &Source) -> ErrorReport {
    crate::error::error(
        PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
        format!("rows of {} changed while the injection ran; nothing was injected", source.qualified),
        "retry the call",
    )
}

/// The text before and after of each injected row, in input order (RETURNING has no order).
fn by_position(n: usize, written: &[write::Written]) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let (mut before, mut after) = (vec![None; n], vec![None; n]);
    for (i, old, new, _) in written {
        if *i < n {
            before[*i] = old.clone();
            after[*i] = new.clone();
        }
    }
    (before, after)
}
