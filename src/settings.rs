//! anomdet's settings (GUCs).

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Whether a superuser may start background jobs that then run with superuser rights
/// (pg_cron's `cron.enable_superuser_jobs` lesson). Off: such jobs should run as an ordinary
/// role that holds just the table privileges they need.
pub static ALLOW_SUPERUSER_JOBS: GucSetting<bool> = GucSetting::<bool>::new(false);

pub fn define() {
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
