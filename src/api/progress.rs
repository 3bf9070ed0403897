//! `anomdet.progress()` and the view `anomdet.progress`: the long calls running now in any
//! session (benchmark, run_batch, inject, evaluate, train), how far each has got and what is
//! left, like PostgreSQL's `pg_stat_progress_*` views (src/postgres/backend_progress.rs).

use crate::postgres::backend_progress::{CALLS, visible};
use crate::progress::PHASES;
use anomdet_core::progress::{Total, seconds_left};
use pgrx::datum::{Interval, TimestampWithTimeZone};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CStr;
use std::time::Duration;

#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_restricted)]
fn progress() -> TableIterator<
    'static,
    (
        name!(pid, i32),
        name!(database, Option<String>),
        name!(role, Option<String>),
        name!(call, String),
        name!(phase, String),
        name!(relid, Option<pg_sys::Oid>),
        name!(job_id, Option<i64>),
        name!(done, i64),
        name!(total, Option<i64>),
        name!(total_is_estimate, bool),
        name!(percent, Option<f64>),
        name!(started_at, Option<TimestampWithTimeZone>),
        name!(elapsed, Option<Interval>),
        name!(time_left, Option<Interval>),
    ),
> {
    // SAFETY: reads the clock.
    let now = unsafe { pg_sys::GetCurrentTimestamp() };
    let rows: Vec<_> = visible()
        .into_iter()
        .map(|(pid, database, role, p)| {
            let done = p.done.max(0) as u64;
            let total = match (p.total, p.estimated) {
                (t, _) if t < 0 => Total::Unknown,
                (t, true) => Total::About(t as u64),
                (t, false) => Total::Known(t as u64),
            };
            let elapsed = Duration::from_micros((now - p.started).max(0) as u64);
            let left = seconds_left(done, total, elapsed);
            (
                pid,
                name_of(unsafe { pg_sys::get_database_name(database) }),
                name_of(unsafe { pg_sys::GetUserNameFromId(role, true) }),
                CALLS[p.call].to_string(),
                PHASES.get(p.phase).unwrap_or(&PHASES[0]).to_string(),
                (p.relation != pg_sys::InvalidOid).then_some(p.relation),
                (p.job > 0).then_some(p.job),
                p.done,
                (p.total >= 0).then_some(p.total),
                p.estimated,
                total.share(done).map(|s| (1000.0 * s).round() / 10.0),
                TimestampWithTimeZone::try_from(p.started).ok(),
                Interval::try_from(elapsed).ok(),
                left.map(|s| Interval::from_seconds(s.round())),
            )
        })
        .collect();
    TableIterator::new(rows)
}

/// A palloc'd name from the catalogs (NULL when the object is gone).
fn name_of(name: *mut std::ffi::c_char) -> Option<String> {
    // SAFETY: NULL or a NUL-terminated string just made by the catalog lookup.
    unsafe { name.as_ref().map(|_| CStr::from_ptr(name).to_string_lossy().into_owned()) }
}

extension_sql!(
    r#"
CREATE VIEW anomdet.progress WITH (security_invoker = true) AS
SELECT pid, database, role, call, phase, relid::pg_catalog.regclass AS relation, job_id,
       done, total, total_is_estimate, percent, started_at, elapsed, time_left
FROM anomdet.progress();
GRANT SELECT ON anomdet.progress TO PUBLIC;
"#,
    name = "progress_view",
    requires = [progress]
);
