//! Injecting labelled anomalies into a user's table, in place and reversibly.
//!
//! `table` reads the series and writes new values; `placement` turns the user's "where" into
//! row spans; `ledger` records the ground truth and undoes injections exactly.

pub mod ledger;
pub mod placement;
pub mod table;
pub mod write;

use crate::error::{Code, error};
use anomdet_core::Params;
use anomdet_core::inject::{InjectorInfo, inject_series_streams, stream_base};
use pgrx::pg_sys::panic::ErrorReport;
use placement::Placement;
use std::ops::Range;
use table::SeriesRows;

/// The spans chosen in one series, and the new values of each column over them.
pub struct SeriesChange {
    pub spans: Vec<Range<usize>>,
    /// `[column][span]` → new values of that span.
    pub values: Vec<Vec<Vec<Option<f64>>>>,
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
            format!("the data runs from {} to {}", crate::scoring::format_ts(a), crate::scoring::format_ts(b))
        }
        _ => "the table has no rows".to_string(),
    }
}
