//! Streaming a read-only query's rows straight into Rust, through our own DestReceiver.
//!
//! SPI's default receiver copies every row into a tuple table; for a million rows that copy
//! costs more than the scan. Here each row arrives as the executor's slot: one call to deform
//! it, then its Datums are read in place. The callback must not run SPI itself (the executor
//! is mid-scan); callers that write while reading use a cursor instead.
//!
//! Rows whose attributes are all passed by value (a series' time and numbers, no text key) are
//! copied into a batch and handed on a batch at a time: the guard that turns a Rust panic or
//! error into a PostgreSQL error is then paid once a batch, not once a row.

use crate::error::{OrReport, internal};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::ffi::{CString, c_int, c_void};

type OnRows<'a> = dyn FnMut(Rows<'_>) -> Result<(), ErrorReport> + 'a;

/// Rows handed on together: `width` Datums (and NULL flags) per row, row after row.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    values: &'a [pg_sys::Datum],
    nulls: &'a [bool],
    width: usize,
    count: usize,
}

impl<'a> Rows<'a> {
    /// Each row's Datums and NULL flags, in order.
    pub fn iter(self) -> impl Iterator<Item = (&'a [pg_sys::Datum], &'a [bool])> {
        (0..self.count).map(move |r| {
            let at = r * self.width..(r + 1) * self.width;
            (&self.values[at.clone()], &self.nulls[at])
        })
    }
}

/// Rows in a batch.
const BATCH_ROWS: usize = 1024;

#[repr(C)]
struct Receiver {
    /// Must come first: PostgreSQL sees only this part.
    base: pg_sys::DestReceiver,
    /// A `*mut &mut OnRows`: a thin pointer to the caller's closure.
    on_rows: *mut c_void,
    failure: Option<ErrorReport>,
    /// Attributes of a row (set at startup).
    width: usize,
    /// Batching: room for `BATCH_ROWS` rows of `width` attributes, or empty (rows go one by one).
    values: Vec<pg_sys::Datum>,
    nulls: Vec<bool>,
    /// Rows in the batch so far.
    filled: usize,
}

impl Receiver {
    fn batching(&self) -> bool {
        !self.values.is_empty()
    }

    /// Hand on the rows batched so far; false (and `failure` set) when the caller refused one.
    fn deliver(&mut self) -> bool {
        let (count, used) = (self.filled, self.filled * self.width);
        self.filled = 0;
        // SAFETY: `on_rows` is the caller's closure, alive for the query.
        let on_rows = unsafe { &mut *(self.on_rows as *mut &mut OnRows) };
        let rows = Rows { values: &self.values[..used], nulls: &self.nulls[..used], width: self.width, count };
        match on_rows(rows) {
            Ok(()) => true,
            Err(e) => {
                self.failure = Some(e);
                false
            }
        }
    }
}

/// Deform the slot's attributes, all of them.
///
/// # Safety
/// A valid slot from the executor.
#[inline(always)]
unsafe fn deform(slot: *mut pg_sys::TupleTableSlot, n: usize) {
    // Projected rows arrive fully deformed; only call out when some attributes are not. The
    // slot's own deforming, called directly: a guarded FFI call per row costs more. It cannot
    // fail on a tuple the executor just read; attributes it leaves missing (a column added
    // later with a default) go through PostgreSQL's full path.
    unsafe {
        if ((*slot).tts_nvalid as usize) < n {
            if let Some(deform) = (*(*slot).tts_ops).getsomeattrs {
                deform(slot, n as i32);
            }
            if ((*slot).tts_nvalid as usize) < n {
                pg_sys::slot_getallattrs(slot);
            }
        }
    }
}

/// Each row as it comes, when rows are not batched: the caller's code runs inside the guard.
#[pg_guard]
unsafe extern "C-unwind" fn receive_one(slot: *mut pg_sys::TupleTableSlot, this: *mut pg_sys::DestReceiver) -> bool {
    // SAFETY: `this` is the `base` of our Receiver (first field, repr(C)), alive for the query;
    // the slot is valid for the duration of this call.
    unsafe {
        let receiver = &mut *(this as *mut Receiver);
        let n = receiver.width;
        deform(slot, n);
        let rows = Rows {
            values: std::slice::from_raw_parts((*slot).tts_values, n),
            nulls: std::slice::from_raw_parts((*slot).tts_isnull, n),
            width: n,
            count: 1,
        };
        let on_rows = &mut *(receiver.on_rows as *mut &mut OnRows);
        match on_rows(rows) {
            Ok(()) => true,
            Err(e) => {
                receiver.failure = Some(e);
                false // stops the executor
            }
        }
    }
}

/// A full batch handed on, inside the guard.
#[pg_guard]
unsafe extern "C-unwind" fn deliver_batch(this: *mut Receiver) -> bool {
    // SAFETY: our Receiver, alive for the query.
    unsafe { (*this).deliver() }
}

/// Each row copied into the batch. Not guarded, and so written to be unable to panic: raw
/// copies into room made at startup, and the one call that runs the caller's code guarded.
unsafe extern "C-unwind" fn receive_batched(
    slot: *mut pg_sys::TupleTableSlot,
    this: *mut pg_sys::DestReceiver,
) -> bool {
    // SAFETY: as in `receive_one`; `values` and `nulls` hold `BATCH_ROWS * width` entries and
    // `filled < BATCH_ROWS` on entry (a full batch is delivered before returning).
    unsafe {
        let receiver = this as *mut Receiver;
        let n = (*receiver).width;
        deform(slot, n);
        let at = (*receiver).filled * n;
        let (values, nulls) = ((*receiver).values.as_mut_ptr().add(at), (*receiver).nulls.as_mut_ptr().add(at));
        // A loop, not `copy_nonoverlapping`: for two or three attributes a call to memmove
        // costs more than the copy.
        for i in 0..n {
            *values.add(i) = *(*slot).tts_values.add(i);
            *nulls.add(i) = *(*slot).tts_isnull.add(i);
        }
        (*receiver).filled += 1;
        if (*receiver).filled == BATCH_ROWS {
            return deliver_batch(receiver);
        }
        true
    }
}

/// Rows of by-value attributes only are batched (a by-reference Datum points into the slot's
/// tuple, gone by the next row).
#[pg_guard]
unsafe extern "C-unwind" fn startup(this: *mut pg_sys::DestReceiver, _operation: c_int, desc: pg_sys::TupleDesc) {
    // SAFETY: our Receiver; `desc` is the query's row type, valid for this call.
    unsafe {
        let receiver = &mut *(this as *mut Receiver);
        let attrs = pgrx::PgTupleDesc::from_pg_unchecked(desc);
        let width = attrs.len();
        receiver.width = width;
        if attrs.iter().all(|a| a.attbyval) {
            receiver.values = vec![pg_sys::Datum::null(); BATCH_ROWS * width];
            receiver.nulls = vec![true; BATCH_ROWS * width];
            receiver.base.receiveSlot = Some(receive_batched);
        }
    }
}

// Nothing to tear down: the rows left in a batch are handed on once the query is done.
unsafe extern "C-unwind" fn shutdown(_this: *mut pg_sys::DestReceiver) {}

/// Run `sql` (a SELECT without parameters) and hand every row's Datums to `on_row`, in order.
/// Returning an error from `on_row` stops the scan and is returned.
pub fn for_each_row(
    sql: &str,
    mut on_row: impl FnMut(&[pg_sys::Datum], &[bool]) -> Result<(), ErrorReport>,
) -> Result<(), ErrorReport> {
    for_each_batch(sql, |rows| rows.iter().try_for_each(|(values, nulls)| on_row(values, nulls)))
}

/// Run `sql` as [`for_each_row`] does, handing its rows on a batch at a time (one row at a
/// time when some attribute is passed by reference), in order.
pub fn for_each_batch(
    sql: &str,
    mut on_rows: impl FnMut(Rows<'_>) -> Result<(), ErrorReport>,
) -> Result<(), ErrorReport> {
    let mut callback: &mut OnRows = &mut on_rows;
    let mut receiver = Receiver {
        base: pg_sys::DestReceiver {
            receiveSlot: Some(receive_one),
            rStartup: Some(startup),
            rShutdown: Some(shutdown),
            rDestroy: Some(shutdown),
            mydest: pg_sys::CommandDest::DestNone,
        },
        on_rows: &mut callback as *mut &mut OnRows as *mut c_void,
        failure: None,
        width: 0,
        values: Vec::new(),
        nulls: Vec::new(),
        filled: 0,
    };
    let query = CString::new(sql).map_err(internal)?;
    Spi::connect(|_client| -> Result<(), ErrorReport> {
        // SAFETY: SPI is connected; the options and receiver outlive the call.
        let status = unsafe {
            let mut options: pg_sys::SPIExecuteOptions = std::mem::zeroed();
            // Not read_only: that would reuse the current snapshot and miss rows this very
            // call just wrote (inject into a fresh copy reads the copy it made).
            options.read_only = false;
            options.dest = &mut receiver.base;
            pg_sys::SPI_execute_extended(query.as_ptr(), &options)
        };
        Spi::check_status(status).map(|_| ()).or_report()
    })?;
    if receiver.failure.is_none() && receiver.batching() {
        receiver.deliver();
    }
    match receiver.failure.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
