//! anomdet's settings (GUCs).

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Whether a superuser may start background jobs that then run with superuser rights
/// (pg_cron's `cron.enable_superuser_jobs` lesson). Off: such jobs should run as an ordinary
/// role that holds just the table privileges they need.
pub static ALLOW_SUPERUSER_JOBS: GucSetting<bool> = GucSetting::<bool>::new(false);

/// Milliseconds between progress NOTICEs of long calls (`crate::progress`); 0: none.
pub static PROGRESS_EVERY: GucSetting<i32> = GucSetting::<i32>::new(5000);

/// Whether `detect(...)` in FROM streams its rows through anomdet's custom scan
/// (`postgres::streamed_scan`) instead of a function scan that stores them all first.
pub static STREAM_FUNCTIONS: GucSetting<bool> = GucSetting::<bool>::new(true);

pub fn define() {
    GucRegistry::define_int_guc(
        c"anomdet.progress_every",
        c"Time between progress notices of long calls (benchmark, run_batch, inject, evaluate, train); 0 turns them off.",
        c"A call reports done / total, elapsed time and an estimate of what is left as a NOTICE, \
          the first once it has run this long, so short calls say nothing. The view anomdet.progress \
          shows the same to other sessions whatever this is.",
        &PROGRESS_EVERY,
        0,
        86_400_000,
        GucContext::Userset,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_bool_guc(
        c"anomdet.stream_functions",
        c"Stream the rows of anomdet.detect(...) in FROM as they are scored, instead of storing them all first.",
        c"On: a plain call of detect in FROM is planned as a custom scan (EXPLAIN shows \"anomdet streamed rows\") \
          that hands each row on as it is scored, so nothing is stored and a LIMIT stops the scoring early. \
          Off: PostgreSQL's function scan, which stores every row in a tuplestore first. The rows are the same.",
        &STREAM_FUNCTIONS,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"anomdet.allow_superuser_jobs",
        c"Let a superuser start stream jobs, whose workers then run as that superuser.",
        c"Off by default: run stream jobs as a role without superuser that holds the privileges they need. \
          A superuser may SET it on for a session, or in postgresql.conf for a throwaway lab cluster.",
        &ALLOW_SUPERUSER_JOBS,
        GucContext::Suset,
        GucFlags::default(),
    );
}
