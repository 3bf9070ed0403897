//! Run a closure in an internal subtransaction: on a PostgreSQL ERROR the subtransaction is
//! rolled back and the error handed back, so the caller can record it and carry on.

use pgrx::PgTryBuilder;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use std::panic::AssertUnwindSafe;

pub fn in_subtransaction<T>(body: impl FnOnce() -> T) -> Result<T, CaughtError> {
    // SAFETY: the standard BeginInternalSubTransaction protocol (as in PL/pgSQL's exception
    // blocks): remember the memory context and resource owner, restore both on either path.
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let restore = move || {
            pg_sys::MemoryContextSwitchTo(context);
            pg_sys::CurrentResourceOwner = owner;
        };
        PgTryBuilder::new(AssertUnwindSafe(|| {
            let value = body();
            pg_sys::ReleaseCurrentSubTransaction();
            restore();
            Ok(value)
        }))
        .catch_others(|caught| {
            pg_sys::RollbackAndReleaseCurrentSubTransaction();
            restore();
            Err(caught)
        })
        .execute()
    }
}
