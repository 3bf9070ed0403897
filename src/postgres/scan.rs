//! Streaming a read-only query's rows straight into Rust, through our own DestReceiver.
//!
//! SPI's default receiver copies every row into a tuple table; for a million rows that copy
//! costs more than the scan. Here each row arrives as the executor's slot: one call to deform
//! it, then its Datums are read in place. The callback must not run SPI itself (the executor
//! is mid-scan); callers that write while reading use a cursor instead.

use crate::error::{OrReport, internal};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::ffi::{CString, c_int, c_void};

type OnRow<'a> = dyn FnMut(&[pg_sys::Datum], &[bool]) -> Result<(), ErrorReport> + 'a;

#[repr(C)]
struct Receiver {
    /// Must come first: PostgreSQL sees only this part.
    base: pg_sys::DestReceiver,
    /// A `*mut &mut OnRow`: a thin pointer to the caller's closure.
    on_row: *mut c_void,
    failure: Option<ErrorReport>,
}

#[pg_guard]
unsafe extern "C-unwind" fn receive(slot: *mut pg_sys::TupleTableSlot, this: *mut pg_sys::DestReceiver) -> bool {
    // SAFETY: `this` is the `base` of our Receiver (first field, repr(C)), alive for the query;
    // the slot is valid for the duration of this call.
    unsafe {
        let receiver = &mut *(this as *mut Receiver);
        let n = (*(*slot).tts_tupleDescriptor).natts as usize;
        // Projected rows arrive fully deformed; only call out when some attributes are not.
        // The slot's own deforming, called directly: a guarded FFI call per row costs more. It
        // cannot fail on a tuple the executor just read; attributes it leaves missing (a column
        // added later with a default) go through PostgreSQL's full path.
        if ((*slot).tts_nvalid as usize) < n {
            if let Some(deform) = (*(*slot).tts_ops).getsomeattrs {
                deform(slot, n as i32);
            }
            if ((*slot).tts_nvalid as usize) < n {
                pg_sys::slot_getallattrs(slot);
            }
        }
        let values = std::slice::from_raw_parts((*slot).tts_values, n);
        let nulls = std::slice::from_raw_parts((*slot).tts_isnull, n);
        let on_row = &mut *(receiver.on_row as *mut &mut OnRow);
        match on_row(values, nulls) {
            Ok(()) => true,
            Err(e) => {
                receiver.failure = Some(e);
                false // stops the executor
            }
        }
    }
}

// Nothing to set up or tear down: these cannot fail, so they need no guard.
unsafe extern "C-unwind" fn startup(_this: *mut pg_sys::DestReceiver, _operation: c_int, _desc: pg_sys::TupleDesc) {}

unsafe extern "C-unwind" fn shutdown(_this: *mut pg_sys::DestReceiver) {}

/// Run `sql` (a SELECT without parameters) and hand every row's Datums to `on_row`, in order.
/// Returning an error from `on_row` stops the scan and is returned.
pub fn for_each_row(
    sql: &str,
    mut on_row: impl FnMut(&[pg_sys::Datum], &[bool]) -> Result<(), ErrorReport>,
) -> Result<(), ErrorReport> {
    let mut callback: &mut OnRow = &mut on_row;
    let mut receiver = Receiver {
        base: pg_sys::DestReceiver {
            receiveSlot: Some(receive),
            rStartup: Some(startup),
            rShutdown: Some(shutdown),
            rDestroy: Some(shutdown),
            mydest: pg_sys::CommandDest::DestNone,
        },
        on_row: &mut callback as *mut &mut OnRow as *mut c_void,
        failure: None,
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
    match receiver.failure.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
