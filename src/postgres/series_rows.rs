//! Whole series in memory: columns of a table as numbers, per series, in time order (injection,
//! streams, models, `detect_columns`, `decompose`, `benchmark`, schedules), read through the one
//! query of `series_select`.

use crate::error::{Code, error};
use crate::postgres::relation::{RowIdentity, Source};
use crate::postgres::series_select::{RowLayout, SeriesSelect};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// One series of the table: its key, row times, and the values of each injected column.
pub struct SeriesRows {
    pub key: Option<String>,
    pub ts: Vec<i64>,
    /// Where each row lives, so writes find it without a join over the whole table.
    pub tids: Vec<pg_sys::ItemPointerData>,
    pub values: Vec<Vec<Option<f64>>>,
}

impl SeriesRows {
    /// The rows of a series where every column holds a finite value: their indices, and the
    /// matrix of their values (columns in order).
    pub fn complete_rows(&self) -> (Vec<usize>, anomdet_core::tabular::Matrix) {
        let n = self.ts.len();
        let complete: Vec<usize> =
            (0..n).filter(|&i| self.values.iter().all(|col| col[i].is_some_and(f64::is_finite))).collect();
        let mut data = Vec::with_capacity(complete.len() * self.values.len());
        for &i in &complete {
            data.extend(self.values.iter().map(|col| col[i].unwrap_or(f64::NAN)));
        }
        let matrix = anomdet_core::tabular::Matrix::new(complete.len(), self.values.len(), data);
        (complete, matrix)
    }

    pub fn label(&self) -> String {
        self.key.as_ref().map(|k| format!(" in series \"{k}\"")).unwrap_or_default()
    }
}

/// Read `columns` of the source as numbers, per series, in time order. The table is read with a
/// plain scan streamed through our own receiver (`scan`) and sorted in memory: an ordered index
/// scan, SPI's tuple copies and per-cell getters each cost more than the scan. Only series `only`.
pub fn read(source: &Source, columns: &[String], only: Option<&str>) -> Result<Vec<SeriesRows>, ErrorReport> {
    read_select(&SeriesSelect {
        source,
        columns,
        // Row ids only where one names one row: a table that is one heap.
        row_ids: source.identity == RowIdentity::Tid,
        ordered: false,
        only,
        after: None,
    })
}

/// The rows `select` picks, per series, in time order (one row per time and series).
pub fn read_select(select: &SeriesSelect<'_>) -> Result<Vec<SeriesRows>, ErrorReport> {
    read_sql(&select.sql(), select.layout(), &select.source.qualified)
}

/// The rows of `sql`, a query whose select list is a `SeriesSelect`'s of `layout`, per series,
/// in time order; two rows of a series at one time are refused (21000, naming `relation`).
pub fn read_sql(sql: &str, layout: RowLayout, relation: &str) -> Result<Vec<SeriesRows>, ErrorReport> {
    let mut out: Vec<SeriesRows> = Vec::new();
    let mut index: std::collections::HashMap<Option<String>, usize> = std::collections::HashMap::new();
    crate::postgres::scan::for_each_row(sql, |values, nulls| {
        // SAFETY: the caller guarantees the query is of this layout.
        unsafe { append_row(&mut out, &mut index, values, nulls, layout) };
        Ok(())
    })?;
    out.sort_by(|a, b| a.key.cmp(&b.key));
    for series in &mut out {
        in_time_order(series, relation)?;
    }
    Ok(out)
}

/// Put a series of `relation` into time order; two rows at one time are refused (21000).
pub fn in_time_order(series: &mut SeriesRows, relation: &str) -> Result<(), ErrorReport> {
    sort_by_time(series);
    match series.ts.windows(2).find(|w| w[0] == w[1]) {
        None => Ok(()),
        Some(w) => Err(error(
            Code::ERRCODE_CARDINALITY_VIOLATION,
            format!(
                "{}{} has more than one row at {}",
                relation,
                series.label(),
                crate::postgres::timestamps::iso_utc(w[0])
            ),
            "rows are told apart by time (and series): name the series column, or aggregate duplicates first",
        )),
    }
}

/// Time order for one series (free when the scan already returned it in order).
fn sort_by_time(series: &mut SeriesRows) {
    use anomdet_core::series::{permute, time_order};
    if let Some(order) = time_order(&series.ts) {
        series.ts = permute(&series.ts, &order);
        series.tids = permute(&series.tids, &order);
        for column in &mut series.values {
            *column = permute(column, &order);
        }
    }
}

/// Append one row to the series it belongs to.
///
/// # Safety
/// `values` and `nulls` must be a row of a query of `layout` (see `series_select`).
unsafe fn append_row(
    out: &mut Vec<SeriesRows>,
    index: &mut std::collections::HashMap<Option<String>, usize>,
    values: &[pg_sys::Datum],
    nulls: &[bool],
    layout: RowLayout,
) {
    // SAFETY: as the caller guarantees.
    let Some(ts) = (unsafe { layout.ts(values, nulls) }) else { return };
    // SAFETY: as the caller guarantees.
    let (tid, key) = unsafe { (layout.tid(values, nulls), layout.key(values, nulls)) };
    // Most tables hold one series, or keep a series' rows together: try the last one first.
    let at = match out.last() {
        Some(last) if last.key == key => out.len() - 1,
        _ => *index.entry(key.clone()).or_insert_with(|| {
            out.push(SeriesRows { key, ts: Vec::new(), tids: Vec::new(), values: vec![Vec::new(); layout.columns] });
            out.len() - 1
        }),
    };
    let series = &mut out[at];
    series.ts.push(ts);
    series.tids.push(tid.unwrap_or_default());
    for (c, column) in series.values.iter_mut().enumerate() {
        // SAFETY: as above.
        column.push(unsafe { layout.value(values, nulls, c) });
    }
}
