//! A transaction in a background worker that survives an ERROR inside it.
//!
//! pgrx's `BackgroundWorker::transaction` lets an ERROR end the worker process; a job must
//! instead record why it failed, so errors are caught, the transaction aborted, and the
//! message handed back.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::{CaughtError, ErrorReport};
use pgrx::prelude::*;
use std::panic::AssertUnwindSafe;

/// Why a unit of work failed, with the SQLSTATE when PostgreSQL raised it.
pub struct Failure {
    pub message: String,
}

/// Run `body` in its own transaction; commit on success, abort on `Err` or on an ERROR.
pub fn in_transaction<R>(body: impl FnOnce() -> Result<R, ErrorReport>) -> Result<R, Failure> {
    // SAFETY: called from the worker's top level, outside any transaction.
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    let outcome = PgTryBuilder::new(AssertUnwindSafe(|| body().map_err(|e| Failure { message: e.message().into() })))
        .catch_others(|caught| {
            Err(Failure {
                message: match &caught {
                    CaughtError::PostgresError(e) | CaughtError::ErrorReport(e) => e.message().to_string(),
                    CaughtError::RustPanic { ereport, .. } => ereport.message().to_string(),
                },
            })
        })
        .execute();
    // SAFETY: the transaction started above is still open in both branches.
    unsafe {
        match &outcome {
            Ok(_) => {
                if pg_sys::ActiveSnapshotSet() {
                    pg_sys::PopActiveSnapshot();
                }
                pg_sys::CommitTransactionCommand();
            }
            Err(_) => pg_sys::AbortCurrentTransaction(),
        }
    }
    outcome
}
