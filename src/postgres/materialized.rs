//! Rows out of a set-returning function in materialize mode: each row goes straight into the
//! tuplestore PostgreSQL's function scan reads, instead of being kept in a Vec and handed back
//! one call at a time (pgrx's `TableIterator`), which the function scan then copies into a
//! tuplestore of its own anyway. One copy of every row instead of three.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// The result set being written: the call's tuplestore and its row type.
pub struct Materialized {
    store: *mut pg_sys::Tuplestorestate,
    desc: pg_sys::TupleDesc,
}

impl Materialized {
    /// Sets the call up to return its rows in materialize mode (PostgreSQL checks the caller
    /// accepts it and builds the row type from the function's declared result).
    ///
    /// # Safety
    /// `fcinfo` must be the call's own, of a function declared to return a set of rows.
    pub unsafe fn start(fcinfo: pg_sys::FunctionCallInfo, columns: usize) -> Result<Materialized, ErrorReport> {
        unsafe {
            pg_sys::InitMaterializedSRF(fcinfo, 0);
            let rsinfo = (*fcinfo).resultinfo as *mut pg_sys::ReturnSetInfo;
            Materialized::over((*rsinfo).setResult, (*rsinfo).setDesc, columns)
        }
    }

    /// Rows written into a tuplestore of the caller's, of row type `desc` with `columns` columns.
    ///
    /// # Safety
    /// `store` and `desc` must be valid for as long as rows are put.
    pub unsafe fn over(
        store: *mut pg_sys::Tuplestorestate,
        desc: pg_sys::TupleDesc,
        columns: usize,
    ) -> Result<Materialized, ErrorReport> {
        // SAFETY: the caller's valid descriptor.
        let natts = if desc.is_null() { 0 } else { unsafe { (*desc).natts } };
        if store.is_null() || natts as usize != columns {
            return Err(crate::error::internal(format!(
                "result rows: expected {columns} columns, the row type has {natts}"
            )));
        }
        Ok(Materialized { store, desc })
    }

    /// Appends one row; `values[i]` is read only where `nulls[i]` is false.
    pub fn put<const N: usize>(&mut self, values: &[pg_sys::Datum; N], nulls: &[bool; N]) {
        debug_assert_eq!(unsafe { (*self.desc).natts } as usize, N);
        // The tuplestore copies the row into its own memory (spilling past work_mem).
        unsafe {
            pg_sys::tuplestore_putvalues(self.store, self.desc, values.as_ptr().cast_mut(), nulls.as_ptr().cast_mut())
        };
    }

    /// Forgets every row written so far.
    pub fn clear(&mut self) {
        unsafe { pg_sys::tuplestore_clear(self.store) };
    }
}

/// A nullable `float8` column.
pub fn float8(x: Option<f64>) -> (pg_sys::Datum, bool) {
    match x {
        Some(v) => (v.into_datum().unwrap_or_else(pg_sys::Datum::null), false),
        None => (pg_sys::Datum::null(), true),
    }
}

/// A nullable `bool` column.
pub fn boolean(x: Option<bool>) -> (pg_sys::Datum, bool) {
    match x {
        Some(v) => (pg_sys::Datum::from(v), false),
        None => (pg_sys::Datum::null(), true),
    }
}
