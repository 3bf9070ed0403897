//! A hook that long loops call so the host can stop them: inside PostgreSQL it is set to
//! `CHECK_FOR_INTERRUPTS`, so `statement_timeout` and cancel reach the middle of a detector.
//! The core stays free of PostgreSQL: without a hook, `check` does nothing. Only the thread
//! that installed the hook calls it (a backend's own thread): on a helper thread (`helper`,
//! `parallel`) `check` does nothing, as PostgreSQL may only be called from its own thread.

use std::cell::Cell;
use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

thread_local! {
    /// Whether this thread installed the hook.
    static HOST_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// How many loop iterations pass between two calls of the hook.
pub const EVERY: usize = 4096;

/// Install the hook once per process; later calls are ignored.
pub fn set_hook(hook: fn()) {
    let _ = HOOK.set(hook);
    HOST_THREAD.with(|host| host.set(true));
}

/// Call the hook, if any. May not return (the host may unwind out of it).
#[inline]
pub fn check() {
    if let Some(hook) = HOOK.get()
        && HOST_THREAD.with(Cell::get)
    {
        hook();
    }
}

/// Call the hook every [`EVERY`] iterations of a loop counter.
#[inline]
pub fn check_every(i: usize) {
    if i.is_multiple_of(EVERY) {
        check();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mode, Params, registry};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn long_loops_call_the_hook() {
        set_hook(|| {
            CALLS.fetch_add(1, Ordering::Relaxed);
        });
        let xs: Vec<f64> = (0..20_000).map(|i| (i as f64).sin()).collect();
        for d in registry() {
            for mode in [Mode::Batch, Mode::Online] {
                let before = CALLS.load(Ordering::Relaxed);
                crate::detect::score_series(d, &Params::defaults(d.params), mode, &xs);
                let calls = CALLS.load(Ordering::Relaxed) - before;
                assert!(calls >= 4, "{} {:?} checked for interrupts only {calls} times", d.name, mode);
            }
        }
        // Another thread never calls it.
        let before = CALLS.load(Ordering::Relaxed);
        std::thread::spawn(|| (0..10 * EVERY).for_each(check_every)).join().unwrap();
        assert_eq!(CALLS.load(Ordering::Relaxed), before);
    }
}
