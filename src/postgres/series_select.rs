//! The one query that reads a user's series, and the one decoder of its rows. Every reader of
//! a source goes through here: the scoring pipeline (streamed, in chunks), the whole-series
//! reader (`series_rows`, for injection, streams, models, `detect_columns`, `decompose`,
//! `benchmark`) and the scheduled reader of rows after a watermark (`schedule::new_rows`).
//!
//! A row is (time, [row id], the columns as float8..., [series key as text]): fixed-width
//! columns first and the key last, so most attributes are found at cached offsets. Types are
//! schema-qualified so a hostile search_path cannot redirect the casts.

use crate::postgres::relation::Source;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// What to read of a source.
pub struct SeriesSelect<'a> {
    pub source: &'a Source,
    pub columns: &'a [String],
    /// Each row's ctid (only where one names one row: a table that is one heap).
    pub row_ids: bool,
    /// In time order per series; else a plain scan, sorted afterwards by the caller.
    pub ordered: bool,
    /// Only the series of this key.
    pub only: Option<&'a str>,
    /// Only rows after this time (a schedule's watermark), besides the source's range.
    pub after: Option<i64>,
}

impl<'a> SeriesSelect<'a> {
    /// The source's value column, in time order per series.
    pub fn value_of(source: &'a Source) -> SeriesSelect<'a> {
        SeriesSelect {
            source,
            columns: std::slice::from_ref(&source.value_column),
            row_ids: false,
            ordered: true,
            only: None,
            after: None,
        }
    }

    pub fn layout(&self) -> RowLayout {
        RowLayout { columns: self.columns.len(), row_ids: self.row_ids, keyed: self.source.series_column.is_some() }
    }

    /// The columns it reads, from the time on: what a query over the same rows selects.
    pub fn select_list(&self) -> String {
        let t = quote_identifier(&self.source.time_column);
        let mut list = format!("{t}::pg_catalog.timestamptz");
        if self.row_ids {
            list.push_str(", ctid");
        }
        for c in self.columns {
            list.push_str(&format!(", {}::pg_catalog.float8", quote_identifier(c)));
        }
        if let Some(k) = &self.source.series_column {
            list.push_str(&format!(", {}::pg_catalog.text", quote_identifier(k)));
        }
        list
    }

    /// Its WHERE clause: rows with a time, in the source's range (and after `after`, of `only`).
    pub fn condition(&self) -> String {
        let t = quote_identifier(&self.source.time_column);
        format!("{t} IS NOT NULL{}", self.filters())
    }

    /// The range, `after` and `only`, each as " AND ...".
    fn filters(&self) -> String {
        let source = self.source;
        let t = quote_identifier(&source.time_column);
        let mut filters = source.range.sql(&source.time_column);
        if let Some(after) = self.after {
            filters.push_str(&format!(" AND {t} > {}", crate::postgres::timestamps::sql_literal(after)));
        }
        if let (Some(k), Some(only)) = (&source.series_column, self.only) {
            filters.push_str(&format!(
                " AND {}::pg_catalog.text = {}",
                quote_identifier(k),
                pgrx::spi::quote_literal(only)
            ));
        }
        filters
    }

    /// The query. Rows with no time are not filtered out here but skipped by the reader
    /// ([`RowLayout::ts`] is None for them): a filter tested on every row of a whole table cost
    /// a quarter of the scan.
    pub fn sql(&self) -> String {
        let source = self.source;
        let t = quote_identifier(&source.time_column);
        let order = match (&source.series_column, self.ordered) {
            (Some(k), true) => format!(" ORDER BY {}, {t}", quote_identifier(k)),
            (None, true) => format!(" ORDER BY {t}"),
            (_, false) => String::new(),
        };
        let filters = self.filters();
        let filter = match filters.strip_prefix(" AND ") {
            Some(conditions) => format!(" WHERE {conditions}"),
            None => String::new(),
        };
        format!("SELECT {} FROM {}{filter}{order}", self.select_list(), source.qualified)
    }
}

/// Where each part of a row is: see the module's note.
#[derive(Clone, Copy)]
pub struct RowLayout {
    pub columns: usize,
    pub row_ids: bool,
    pub keyed: bool,
}

impl RowLayout {
    fn first_value(&self) -> usize {
        if self.row_ids { 2 } else { 1 }
    }

    /// Attribute count of a row.
    pub fn width(&self) -> usize {
        self.first_value() + self.columns + usize::from(self.keyed)
    }

    // Reading a row's parts from its Datums (from the executor's slot, or fetched by
    // attribute), with no allocation but the key's text.
    //
    // # Safety (each)
    // `values` and `nulls` must be a row of a query whose select list is
    // [`SeriesSelect::select_list`] of this layout: column types exactly timestamptz, [tid],
    // float8..., [text].

    /// The row's time; None for a row with none, which every reader skips (`SeriesSelect::sql`).
    pub unsafe fn ts(&self, values: &[pg_sys::Datum], nulls: &[bool]) -> Option<i64> {
        // SAFETY: see above; position 0 is the timestamptz.
        unsafe { i64::from_datum(values[0], nulls[0]) }
    }

    /// The row's id, when read.
    pub unsafe fn tid(&self, values: &[pg_sys::Datum], nulls: &[bool]) -> Option<pg_sys::ItemPointerData> {
        // SAFETY: see above; position 1 is the tid when row ids are read.
        if self.row_ids { unsafe { pg_sys::ItemPointerData::from_datum(values[1], nulls[1]) } } else { None }
    }

    /// The value of column `c` (in the order asked).
    pub unsafe fn value(&self, values: &[pg_sys::Datum], nulls: &[bool], c: usize) -> Option<f64> {
        let at = self.first_value() + c;
        // SAFETY: see above; the columns are float8.
        unsafe { f64::from_datum(values[at], nulls[at]) }
    }

    /// The series key, when keyed.
    pub unsafe fn key(&self, values: &[pg_sys::Datum], nulls: &[bool]) -> Option<String> {
        let at = self.first_value() + self.columns;
        // SAFETY: see above; the key is text, last.
        if self.keyed { unsafe { String::from_datum(values[at], nulls[at]) } } else { None }
    }
}
