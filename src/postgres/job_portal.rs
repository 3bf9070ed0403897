//! A workaround for TimescaleDB's job runner on current PostgreSQL minors.
//!
//! TimescaleDB 2.28.3 runs a job (`add_job`, and its own compression and retention policies)
//! inside an unnamed portal it creates and never starts, then drops that portal after the job's
//! transaction has committed. PostgreSQL 15.20 refuses to drop a portal still in `PORTAL_NEW`
//! ("cannot drop portal "" while it is being set up", 24000), so every run is recorded as failed
//! in `timescaledb_information.job_stats` although its work committed, and the scheduler backs
//! off as if it had not. A scheduled detection that finished its work marks that portal done,
//! which is what it is, so its run is recorded as the success it was.

use pgrx::pg_sys;

/// Mark the job runner's unstarted portal done, when this backend is one (a background worker
/// whose active portal is TimescaleDB's unnamed, invisible, never-started one). Anything else
/// (a client's session, pg_cron, a portal that was started) is left alone.
pub fn settle_job_portal() {
    // SAFETY: reads backend-global state PostgreSQL maintains; the portal, when not null, is
    // the live ActivePortal of this backend, and only its status word is written.
    unsafe {
        if !crate::postgres::pg_version::in_background_worker() {
            return;
        }
        let portal = pg_sys::ActivePortal;
        if portal.is_null() {
            return;
        }
        let unnamed = !(*portal).name.is_null() && *(*portal).name == 0;
        if unnamed && !(*portal).visible && (*portal).status == pg_sys::PortalStatus::PORTAL_NEW {
            (*portal).status = pg_sys::PortalStatus::PORTAL_DONE;
        }
    }
}
