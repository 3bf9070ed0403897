//! Injecting labelled anomalies into a user's table, in place and reversibly.
//!
//! `placement` turns the user's "where" into row spans; `compute` finds the new values;
//! `in_table` writes them into a table's rows through `write`; `ledger` records the ground
//! truth for every path that injects (tables and streams) and undoes injections exactly.

pub mod in_table;
pub mod ledger;
pub mod placement;
pub mod write;

use crate::error::{Code, error};
use crate::postgres::series_rows::SeriesRows;
use anomdet_core::Params;
use anomdet_core::inject::{InjectorInfo, inject_series_streams, stream_base};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use placement::Placement;
use std::ops::Range;

/// The spans chosen in one series, and the new values of each column over them.
pub struct SeriesChange {
    pub spans: Vec<Range<usize>>,
    /// `[column][span]` → new values of that span.
    pub values: Vec<Vec<Vec<Option<f64>>>>,
}

/// The changed rows of every series together, in one order: what the writes and the ledger take.
pub struct Gathered {
    /// (series key, first row time, last row time, rows) of each span.
    pub spans: Vec<(Option<String>, i64, i64, i32)>,
    pub keys: Vec<Option<String>>,
    pub ts: Vec<i64>,
    pub tids: Vec<pg_sys::ItemPointerData>,
    /// `[column][row]`: each changed row's value before, and the value injected.
    pub before: Vec<Vec<Option<f64>>>,
    pub after: Vec<Vec<Option<f64>>>,
}

impl Gathered {
    /// The spans and rows, as the ledger records them.
    pub fn ledger_rows(&self) -> ledger::Rows<'_> {
        ledger::Rows { spans: &self.spans, keys: &self.keys, ts: &self.ts }
    }
}

/// Flatten every series' spans into one list of changed rows.
pub fn gather(series: &[SeriesRows], changes: &[SeriesChange]) -> Gathered {
    let columns = series.first().map_or(0, |s| s.values.len());
    let mut out = Gathered {
        spans: Vec::new(),
        keys: Vec::new(),
        ts: Vec::new(),
        tids: Vec::new(),
        before: vec![Vec::new(); columns],
        after: vec![Vec::new(); columns],
    };
    for (rows, change) in series.iter().zip(changes) {
        pgrx::check_for_interrupts!();
        for (k, span) in change.spans.iter().enumerate() {
            if k % anomdet_core::interrupt::EVERY == 0 {
                pgrx::check_for_interrupts!();
            }
            out.spans.push((rows.key.clone(), rows.ts[span.start], rows.ts[span.end - 1], span.len() as i32));
            out.ts.extend_from_slice(&rows.ts[span.clone()]);
            out.tids.extend_from_slice(&rows.tids[span.clone()]);
            out.keys.extend(std::iter::repeat_n(rows.key.clone(), span.len()));
            for c in 0..columns {
                out.before[c].extend_from_slice(&rows.values[c][span.clone()]);
                out.after[c].extend_from_slice(&change.values[c][k]);
            }
        }
    }
    out
}

/// Text for a computed value that PostgreSQL reads back exactly (Rust prints the shortest
/// representation that round-trips).
pub fn to_sql_text(v: Option<f64>) -> Option<String> {
    v.map(|x| {
        if x.is_nan() {
            "NaN".into()
        } else if x.is_infinite() {
            if x > 0.0 { "Infinity".into() } else { "-Infinity".into() }
        } else {
            format!("{x}")
        }
    })
}

/// Choose spans in every series and compute the injected values; nothing is written here.
pub fn compute(
    info: &InjectorInfo,
    params: &Params,
    placement: &Placement,
    series: &[SeriesRows],
    seed: i64,
) -> Result<Vec<SeriesChange>, ErrorReport> {
    let mut changes = Vec::with_capacity(series.len());
    for (s, rows) in series.iter().enumerate() {
        pgrx::check_for_interrupts!();
        let spans = placement.spans(rows, s, seed)?;
        let values = rows
            .values
            .iter()
            .enumerate()
            .map(|(c, column)| inject_series_streams(info, params, column, &spans, seed, stream_base(s, c)))
            .collect();
        changes.push(SeriesChange { spans, values });
    }
    if changes.iter().all(|c| c.spans.is_empty()) {
        return Err(error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("placement: {} selects no rows", placement.describe()),
            data_range_hint(series),
        ));
    }
    Ok(changes)
}

fn data_range_hint(series: &[SeriesRows]) -> String {
    let first = series.iter().filter_map(|s| s.ts.first()).min();
    let last = series.iter().filter_map(|s| s.ts.last()).max();
    match (first, last) {
        (Some(&a), Some(&b)) => {
            format!(
                "the data runs from {} to {}",
                crate::postgres::timestamps::format_ts(a),
                crate::postgres::timestamps::format_ts(b)
            )
        }
        _ => "the table has no rows".to_string(),
    }
}
