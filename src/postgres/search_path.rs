//! Our own SQL runs with `search_path` pinned to `pg_catalog, pg_temp`, so objects placed ahead
//! of pg_catalog in a caller's path (look-alike operators and functions) never run inside our
//! queries. User code we call (registered detectors, triggers on tables we write) and names a
//! user passes as text see the caller's own path again. The mechanism is PostgreSQL's own for a
//! function's `SET` clause: a new GUC nest level, popped on return, and by the (sub)transaction
//! abort when an error unwinds.

use pgrx::pg_sys;
use std::cell::RefCell;
use std::ffi::{CStr, CString};

const PINNED: &CStr = c"pg_catalog, pg_temp";

thread_local! {
    /// The callers' paths, innermost last (our functions can nest: a procedure calling one).
    static CALLERS: RefCell<Vec<CString>> = const { RefCell::new(Vec::new()) };
}

/// Pins the path until dropped.
pub struct Pinned {
    nest_level: i32,
}

/// Pin `search_path` for the rest of the calling function.
pub fn pin() -> Pinned {
    // SAFETY: GetConfigOption returns a pointer to the current value (or NULL), copied at once.
    let current = unsafe {
        let value = pg_sys::GetConfigOption(c"search_path".as_ptr(), true, false);
        if value.is_null() { CString::default() } else { CStr::from_ptr(value).to_owned() }
    };
    CALLERS.with(|c| c.borrow_mut().push(current));
    Pinned { nest_level: set(PINNED) }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        CALLERS.with(|c| c.borrow_mut().pop());
        // On an error the (sub)transaction abort restores the path; only a normal return pops it.
        if !std::thread::panicking() {
            // SAFETY: pops the nest level `set` opened, restoring the value saved there.
            unsafe { pg_sys::AtEOXact_GUC(true, self.nest_level) };
        }
    }
}

/// Run `body` with the caller's own path: for user code and names the user gave as text.
pub fn as_caller<T>(body: impl FnOnce() -> T) -> T {
    let Some(path) = CALLERS.with(|c| c.borrow().last().cloned()) else { return body() };
    let nest_level = set(&path);
    let out = body();
    // SAFETY: as in Drop for Pinned.
    unsafe { pg_sys::AtEOXact_GUC(true, nest_level) };
    out
}

/// Open a GUC nest level and set `search_path` in it, as a function's SET clause does.
fn set(path: &CStr) -> i32 {
    // SAFETY: the calls fmgr_security_definer makes for a SET clause; the value is a valid path
    // (our constant, or the caller's current one).
    unsafe {
        let nest_level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            path.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        nest_level
    }
}
