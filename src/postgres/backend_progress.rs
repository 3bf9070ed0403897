//! A long call's progress, published in this backend's slot of PostgreSQL's backend status
//! table, where another session reads it at once (`anomdet.progress`) — the mechanism of the
//! `pg_stat_progress_*` views, so no shared memory of anomdet's own and no preload. The slot is
//! marked with a command code of anomdet's own, far from core's (1 to 6 today), so core's
//! progress views never show it and anomdet's view shows nothing of theirs.

use pgrx::pg_sys;

/// "anom": the command code in `st_progress_command`.
const COMMAND: pg_sys::ProgressCommandType::Type = 0x616e_6f6d;

// The slots of `st_progress_param` anomdet uses.
const CALL: i32 = 0;
const PHASE: i32 = 1;
const DONE: i32 = 2;
const TOTAL: i32 = 3;
const STARTED: i32 = 4;
const JOB: i32 = 5;
const ESTIMATED: i32 = 6;

/// The long calls that publish progress, by their code in the CALL slot.
pub const CALLS: [&str; 6] = ["benchmark", "run_batch", "inject", "evaluate", "train", "detect"];

/// What a call has published: `total` < 0 when it is not known, `estimated` when it is a guess.
#[derive(Debug, Clone, Copy)]
pub struct Published {
    pub call: usize,
    pub phase: usize,
    pub done: i64,
    pub total: i64,
    pub estimated: bool,
    pub started: pg_sys::TimestampTz,
    pub job: i64,
    pub relation: pg_sys::Oid,
}

/// Claim this backend's slot for `call` (an index into CALLS) on `relation` (InvalidOid when none).
pub fn start(call: usize, relation: pg_sys::Oid, published: &Published) {
    // SAFETY: plain writes into this backend's own status entry, as core's commands do.
    unsafe { pg_sys::pgstat_progress_start_command(COMMAND, relation) };
    write(&Published { call, relation, ..*published });
}

/// Rewrite every slot; a command run inside the call (CREATE INDEX, COPY) takes the status slot
/// over and clears it when it ends, so the slot is claimed again first when that happened.
pub fn write(p: &Published) {
    if !owns_slot() {
        // SAFETY: as in start.
        unsafe { pg_sys::pgstat_progress_start_command(COMMAND, p.relation) };
    }
    let index = [CALL, PHASE, DONE, TOTAL, STARTED, JOB, ESTIMATED];
    let values = [p.call as i64, p.phase as i64, p.done, p.total, p.started, p.job, i64::from(p.estimated)];
    // SAFETY: the indexes are below PGSTAT_NUM_PROGRESS_PARAM and the arrays are the same length.
    unsafe { pg_sys::pgstat_progress_update_multi_param(index.len() as i32, index.as_ptr(), values.as_ptr()) };
}

/// Give the slot back (a no-op when a nested command has already cleared it).
pub fn end() {
    if owns_slot() {
        // SAFETY: resets this backend's own entry.
        unsafe { pg_sys::pgstat_progress_end_command() };
    }
}

fn owns_slot() -> bool {
    // SAFETY: MyBEEntry is this backend's own entry (NULL before it is set up); only we write it.
    unsafe { pg_sys::MyBEEntry.as_ref().is_some_and(|e| e.st_progress_command == COMMAND) }
}

/// Every backend's published progress that the caller may see: its own role's calls, or all
/// with the privileges of pg_read_all_stats, as pg_stat_progress_* decide.
pub fn visible() -> Vec<(i32, pg_sys::Oid, pg_sys::Oid, Published)> {
    let mut rows = Vec::new();
    for i in 1..=crate::postgres::pg_version::local_backend_count() {
        let Some(s) = crate::postgres::pg_version::local_backend_status(i) else { continue };
        if s.st_progress_command != COMMAND || !may_see(s.st_userid) {
            continue;
        }
        let at = |slot: i32| s.st_progress_param[slot as usize];
        let call = at(CALL);
        if call < 0 || call as usize >= CALLS.len() {
            continue;
        }
        let published = Published {
            call: call as usize,
            phase: at(PHASE).max(0) as usize,
            done: at(DONE),
            total: at(TOTAL),
            estimated: at(ESTIMATED) != 0,
            started: at(STARTED),
            job: at(JOB),
            relation: s.st_progress_command_target,
        };
        rows.push((s.st_procpid, s.st_databaseid, s.st_userid, published));
    }
    rows
}

fn may_see(owner: pg_sys::Oid) -> bool {
    // SAFETY: catalog lookups of role membership, in a transaction.
    unsafe {
        let me = pg_sys::GetUserId();
        pg_sys::has_privs_of_role(me, pg_sys::Oid::from(pg_sys::ROLE_PG_READ_ALL_STATS))
            || pg_sys::has_privs_of_role(me, owner)
    }
}
