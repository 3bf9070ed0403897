//! Every difference between the PostgreSQL versions anomdet builds for (15 to 18), in one place:
//! the rest of the extension calls these and never tests a version itself.

use pgrx::pg_sys;

/// The status of the `index`th backend (1-based) in this transaction's snapshot of the
/// backend status table, as `pg_stat_activity` reads it; None past the end.
pub fn local_backend_status(index: i32) -> Option<pg_sys::PgBackendStatus> {
    // SAFETY: both functions take the snapshot on first use in the transaction and return a
    // pointer into it (or NULL when the index is out of range); the entry is copied out at once.
    unsafe {
        #[cfg(feature = "pg15")]
        let entry = pg_sys::pgstat_fetch_stat_local_beentry(index);
        #[cfg(not(feature = "pg15"))]
        let entry = pg_sys::pgstat_get_local_beentry_by_index(index);
        entry.as_ref().map(|e| e.backendStatus)
    }
}

/// How many backends the snapshot holds.
pub fn local_backend_count() -> i32 {
    // SAFETY: takes the snapshot if needed; a plain count.
    unsafe { pg_sys::pgstat_fetch_stat_numbackends() }
}

/// True in a background worker (PostgreSQL 17 replaced the flag by the backend type).
pub fn in_background_worker() -> bool {
    // SAFETY: reads a backend-global that PostgreSQL sets once at process start.
    unsafe {
        #[cfg(any(feature = "pg15", feature = "pg16"))]
        let worker = pg_sys::IsBackgroundWorker;
        #[cfg(not(any(feature = "pg15", feature = "pg16")))]
        let worker = pg_sys::MyBackendType == pg_sys::BackendType::B_BG_WORKER;
        worker
    }
}

/// Whether a planner set of relations is empty (PostgreSQL 16 on keeps an empty set as NULL
/// only; 15 may keep one of zero words).
///
/// # Safety
/// `set` must be a valid Bitmapset or NULL.
pub unsafe fn relids_empty(set: *mut pg_sys::Bitmapset) -> bool {
    #[cfg(feature = "pg15")]
    // SAFETY: the caller's valid set.
    return unsafe { pg_sys::bms_is_empty(set) };
    #[cfg(not(feature = "pg15"))]
    return set.is_null();
}
