//! A set-returning function in `FROM` whose rows stream through a custom scan node instead of
//! PostgreSQL's function scan. A function scan stores every row the function returns in a
//! tuplestore (spilling to a temporary file past `work_mem`) before the query reads the first;
//! this node asks the function's [`RowSource`] for one row at a time, so rows leave as they are
//! made, nothing is stored, and a `LIMIT` stops the work early.
//!
//! The planner hook takes over only a plain call of a function declared streamable
//! ([`declare_streamable`], from the function's planner support function, whose call also loads
//! this library before the hook is needed): one function, no `WITH ORDINALITY`, no column
//! definition list, no reference to other tables of the query (`LATERAL`), no whole-row
//! reference. `SET anomdet.stream_functions = off` leaves every function scan as it is.

mod execution;
mod planning;

use execution::{begin, create_state, end, exec, explain, rescan};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use planning::{on_rel_pathlist, plan_path};
use std::cell::RefCell;
use std::ffi::CStr;

/// Where a streamed scan's rows come from.
pub trait RowSource {
    /// The next row: every column of the function's row type, in order; false when there are
    /// no more.
    fn next(&mut self, values: &mut [pg_sys::Datum], nulls: &mut [bool]) -> Result<bool, ErrorReport>;

    /// The scan ends normally or starts over (not called when an error aborts the query: then
    /// the query's memory and temporary files go with the transaction).
    fn close(&mut self) {}

    /// How the rows are made, for EXPLAIN ANALYZE.
    fn describe(&self) -> &'static CStr;
}

/// Starts a call's rows from its evaluated arguments (in the function's argument order,
/// defaults filled in), its row type, and which of its columns the query reads (the others'
/// values are never looked at: a source may leave them NULL).
pub type Starter = fn(
    args: &[(pg_sys::Datum, bool)],
    row_type: pg_sys::TupleDesc,
    reads: &[bool],
) -> Result<Box<dyn RowSource>, ErrorReport>;

const NAME: &CStr = c"anomdet streamed rows";

thread_local! {
    /// The functions whose calls stream in this backend, as their support functions declared.
    static STREAMABLE: RefCell<Vec<(pg_sys::Oid, Starter)>> = const { RefCell::new(Vec::new()) };
}

/// Calls of `function` may stream, their rows started by `starter`.
pub fn declare_streamable(function: pg_sys::Oid, starter: Starter) {
    STREAMABLE.with(|s| {
        let mut s = s.borrow_mut();
        if !s.iter().any(|(f, _)| *f == function) {
            s.push((function, starter));
        }
    });
}

fn starter_of(function: pg_sys::Oid) -> Option<Starter> {
    STREAMABLE.with(|s| s.borrow().iter().find(|(f, _)| *f == function).map(|(_, st)| *st))
}

/// The method tables PostgreSQL keeps pointers to; they hold C strings, so say they may be shared.
struct Methods<T>(T);
// SAFETY: immutable tables of a constant name and function pointers, read by one backend thread.
unsafe impl<T> Sync for Methods<T> {}

static PATH_METHODS: Methods<pg_sys::CustomPathMethods> = Methods(pg_sys::CustomPathMethods {
    CustomName: NAME.as_ptr(),
    PlanCustomPath: Some(plan_path),
    ReparameterizeCustomPathByChild: None,
});

static SCAN_METHODS: Methods<pg_sys::CustomScanMethods> =
    Methods(pg_sys::CustomScanMethods { CustomName: NAME.as_ptr(), CreateCustomScanState: Some(create_state) });

static EXEC_METHODS: Methods<pg_sys::CustomExecMethods> = Methods(pg_sys::CustomExecMethods {
    CustomName: NAME.as_ptr(),
    BeginCustomScan: Some(begin),
    ExecCustomScan: Some(exec),
    EndCustomScan: Some(end),
    ReScanCustomScan: Some(rescan),
    ExplainCustomScan: Some(explain),
    // SAFETY: the remaining members are optional callbacks; all-zero is None for each.
    ..unsafe { std::mem::zeroed() }
});

static mut PREVIOUS_HOOK: pg_sys::set_rel_pathlist_hook_type = None;

/// Install the planner hook and make the node known (from `_PG_init`, once per backend).
pub fn install() {
    // SAFETY: _PG_init runs once, before any planning in this backend; the previous hook is
    // kept and called first.
    unsafe {
        PREVIOUS_HOOK = pg_sys::set_rel_pathlist_hook;
        pg_sys::set_rel_pathlist_hook = Some(on_rel_pathlist);
        pg_sys::RegisterCustomScanMethods(&SCAN_METHODS.0);
    }
}
