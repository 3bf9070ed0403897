//! A transaction in a background worker that survives an ERROR inside it.
//!
//! pgrx's `BackgroundWorker::transaction` lets an ERROR end the worker process; a job must
//! instead record why it failed, so errors are caught, the transaction aborted, and the
//! message handed back.

use pgrx::pg_sys;
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::pg_sys::panic::{CaughtError, ErrorReport, ErrorReportWithLevel};
use pgrx::prelude::*;
use std::panic::AssertUnwindSafe;

/// Why a unit of work failed, with the SQLSTATE when PostgreSQL raised it.
pub struct Failure {
    pub message: String,
    pub code: PgSqlErrorCode,
}

impl Failure {
    /// Our own errors: their code is not readable back from an ErrorReport, and never a cancel.
    fn from_report(e: &ErrorReport) -> Failure {
        Failure { message: e.message().to_string(), code: PgSqlErrorCode::ERRCODE_INTERNAL_ERROR }
    }

    fn raised(e: &ErrorReportWithLevel) -> Failure {
        Failure { message: e.message().to_string(), code: e.sql_error_code() }
    }

    /// A query cancel (pg_cancel_backend on the worker) rather than a fault.
    pub fn is_cancel_signal(&self) -> bool {
        self.code == PgSqlErrorCode::ERRCODE_QUERY_CANCELED
    }
}

/// Run `body` outside any transaction, turning an ERROR it raises into a `Failure`: used for
/// the interrupt check between batches, where a cancel must end the job, not the process.
pub fn catching(body: impl FnOnce()) -> Result<(), Failure> {
    PgTryBuilder::new(AssertUnwindSafe(|| {
        body();
        Ok(())
    }))
    .catch_others(|caught| Err(caught_failure(&caught)))
    .execute()
}

fn caught_failure(caught: &CaughtError) -> Failure {
    match caught {
        CaughtError::PostgresError(e) | CaughtError::ErrorReport(e) => Failure::raised(e),
        CaughtError::RustPanic { ereport, .. } => Failure::raised(ereport),
    }
}

/// Run `body` in its own transaction; commit on success, abort on `Err` or on an ERROR.
pub fn in_transaction<R>(body: impl FnOnce() -> Result<R, ErrorReport>) -> Result<R, Failure> {
    // SAFETY: called from the worker's top level, outside any transaction.
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    let outcome = PgTryBuilder::new(AssertUnwindSafe(|| body().map_err(|e| Failure::from_report(&e))))
        .catch_others(|caught| Err(caught_failure(&caught)))
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
