//! Reading columns of a table as numbers, per series, in time order (injection, streams,
//! `detect_columns`, `decompose`, `benchmark`).

use crate::error::{Code, error};
use crate::postgres::relation::{RowIdentity, Source};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// One series of the table: its key, row times, and the values of each injected column.
pub struct SeriesRows {
    pub key: Option<String>,
    pub ts: Vec<i64>,
    /// Where each row lives, so writes find it without a join over the whole table.
    pub tids: Vec<pg_sys::ItemPointerData>,
    pub values: Vec<Vec<Option<f64>>>,
}

impl SeriesRows {
    pub fn label(&self) -> String {
        self.key.as_ref().map(|k| format!(" in series \"{k}\"")).unwrap_or_default()
    }
}

/// Read `columns` of the source as numbers, per series, in time order. The table is read with a
/// plain scan streamed through our own receiver (`scan`) and sorted in memory: an ordered index
/// scan, SPI's tuple copies and per-cell getters each cost more than the scan. Only series `only`.
pub fn read(source: &Source, columns: &[String], only: Option<&str>) -> Result<Vec<SeriesRows>, ErrorReport> {
    let t = quote_identifier(&source.time_column);
    let key = source.series_column.as_deref().map(quote_identifier);
    // Fixed-width columns first and the key (text) last, so most attributes are found at
    // cached offsets without a call into PostgreSQL.
    // Row ids only where one names one row: a table that is one heap.
    let row_id = if source.identity == RowIdentity::Tid { "ctid" } else { "NULL::pg_catalog.tid" };
    let mut select = format!("SELECT {t}::pg_catalog.timestamptz, {row_id}");
    for c in columns {
        select.push_str(&format!(", {}::pg_catalog.float8", quote_identifier(c)));
    }
    if let Some(k) = &key {
        select.push_str(&format!(", {k}::pg_catalog.text"));
    }
    select.push_str(&format!(
        " FROM {} WHERE {t} IS NOT NULL{}",
        source.qualified,
        source.range.sql(&source.time_column)
    ));
    if let (Some(k), Some(only)) = (&key, only) {
        select.push_str(&format!(" AND {k}::pg_catalog.text = {}", pgrx::spi::quote_literal(only)));
    }
    let keyed = key.is_some();
    let mut out: Vec<SeriesRows> = Vec::new();
    let mut index: std::collections::HashMap<Option<String>, usize> = std::collections::HashMap::new();
    crate::postgres::scan::for_each_row(&select, |values, nulls| {
        append_row(&mut out, &mut index, values, nulls, columns.len(), keyed);
        Ok(())
    })?;
    out.sort_by(|a, b| a.key.cmp(&b.key));
    for series in &mut out {
        sort_by_time(series);
        if let Some(w) = series.ts.windows(2).find(|w| w[0] == w[1]) {
            return Err(error(
                Code::ERRCODE_CARDINALITY_VIOLATION,
                format!(
                    "{}{} has more than one row at {}",
                    source.qualified,
                    series.label(),
                    crate::postgres::timestamps::iso_utc(w[0])
                ),
                "rows are told apart by time (and series): name the series column, or aggregate duplicates first",
            ));
        }
    }
    Ok(out)
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

/// Decode one fetched row (ts, key, value per column) into the series it belongs to.
///
/// # Safety
/// `tuple` and `desc` must come from the current SPI_tuptable of the query built in `read`.
fn append_row(
    out: &mut Vec<SeriesRows>,
    index: &mut std::collections::HashMap<Option<String>, usize>,
    values: &[pg_sys::Datum],
    nulls: &[bool],
    n_columns: usize,
    keyed: bool,
) {
    // SAFETY (all from_datum calls): the Datums come from the executor's slot for the query
    // built in `read`, whose column types are exactly timestamptz, tid, float8..., text.
    let ts = unsafe { i64::from_datum(values[0], nulls[0]) }.unwrap_or_default();
    let tid = unsafe { pg_sys::ItemPointerData::from_datum(values[1], nulls[1]) }.unwrap_or_default();
    let key = if keyed { unsafe { String::from_datum(values[2 + n_columns], nulls[2 + n_columns]) } } else { None };
    // Most tables hold one series, or keep a series' rows together: try the last one first.
    let at = match out.last() {
        Some(last) if last.key == key => out.len() - 1,
        _ => *index.entry(key.clone()).or_insert_with(|| {
            out.push(SeriesRows { key, ts: Vec::new(), tids: Vec::new(), values: vec![Vec::new(); n_columns] });
            out.len() - 1
        }),
    };
    let series = &mut out[at];
    series.ts.push(ts);
    series.tids.push(tid);
    for c in 0..n_columns {
        series.values[c].push(unsafe { f64::from_datum(values[2 + c], nulls[2 + c]) });
    }
}
