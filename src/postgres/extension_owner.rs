//! Running one fixed statement as the extension's owner, as a SECURITY DEFINER function would:
//! for catalog rows that only anomdet may write (saved detector states, which a detector
//! trusts when it resumes), while the caller keeps SELECT and DELETE on their own rows.

use crate::error::{OrReport, internal};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;

/// Puts the caller's identity back when dropped (an error aborts the transaction, which
/// restores it too).
struct Restore {
    user: pg_sys::Oid,
    context: i32,
}

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: restores the values read by GetUserIdAndSecContext in `run_as_owner`.
        unsafe { pg_sys::SetUserIdAndSecContext(self.user, self.context) };
    }
}

/// Run `f` as the owner of the anomdet extension.
pub fn run_as_owner<T>(f: impl FnOnce() -> Result<T, ErrorReport>) -> Result<T, ErrorReport> {
    let owner = crate::postgres::sql::read_one::<pg_sys::Oid>(
        "SELECT extowner FROM pg_catalog.pg_extension WHERE extname = 'anomdet'",
        &[],
    )
    .or_report()?
    .ok_or_else(|| internal("the anomdet extension has no owner row"))?;
    let (mut user, mut context) = (pg_sys::Oid::INVALID, 0i32);
    // SAFETY: plain reads and a switch of this backend's current user, undone by `Restore`.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
        pg_sys::SetUserIdAndSecContext(owner, context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32);
    }
    let _restore = Restore { user, context };
    f()
}
