//! Stream jobs: `run_stream` records a job and starts a dynamic background worker that replays
//! the source into a target table at a speed-up, scoring each row online as it arrives.
//!
//! Nothing needs `shared_preload_libraries`. The worker connects as the job's owner (never as
//! a superuser), waits for the transaction that created the job to commit, and commits one
//! batch of rows at a time, so progress, results and NOTIFY alerts are visible while it runs.

mod injection;
pub mod start;
mod txn;
pub mod worker;

/// How the worker shows up in `pg_stat_activity.application_name`; liveness checks match it.
pub fn application_name(job_id: i64) -> String {
    format!("anomdet job {job_id}")
}
