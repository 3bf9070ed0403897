//! Work shared between the calling thread and a helper: STOMP's diagonals, and the rows of the
//! models whose cost is a search per row (k nearest neighbours, LOF). Only the calling thread checks for
//! interrupts (inside PostgreSQL it is the backend's own thread, the only one that may); the
//! helper stops at its next block once the caller has been interrupted.

use std::sync::atomic::{AtomicBool, Ordering};

/// Threads in all, the caller included: the machines this runs on have two cores, and a
/// backend should not take more than the cores a query may reasonably use.
pub const THREADS: usize = 2;

/// Rows handed out at a time; blocks alternate between the threads so that both finish
/// together when the cost per row varies.
const BLOCK: usize = 64;

/// Where a thread stands: the caller checks for interrupts between units of work (and may
/// unwind out of the check); a helper stops once the caller has been interrupted.
pub struct Turn<'a> {
    stop: Option<&'a AtomicBool>,
}

impl Turn<'_> {
    /// Call between units of work; false when a helper should stop.
    pub fn go_on(&self) -> bool {
        match self.stop {
            None => {
                crate::interrupt::check();
                true
            }
            Some(flag) => !flag.load(Ordering::Relaxed),
        }
    }
}

/// `work(t, turn)` on `threads` threads, t = 0 being the caller; the results in thread order.
/// When the caller unwinds (a cancel inside PostgreSQL), the helpers are stopped and joined
/// before the unwinding goes on.
pub fn on_threads<T, Work>(threads: usize, work: Work) -> Vec<T>
where
    T: Send,
    Work: Fn(usize, &Turn) -> T + Sync,
{
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1))
            .map(|t| {
                let (work, stop) = (&work, &stop);
                // Signals stay with the caller (the backend's handlers must not run on a helper).
                crate::helper::with_signals_blocked(|| scope.spawn(move || work(t, &Turn { stop: Some(stop) })))
            })
            .collect();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(0, &Turn { stop: None }))) {
            Ok(mine) => {
                let mut all = vec![mine];
                all.extend(helpers.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))));
                all
            }
            Err(payload) => {
                stop.store(true, Ordering::Relaxed);
                for h in helpers {
                    let _ = h.join();
                }
                std::panic::resume_unwind(payload)
            }
        }
    })
}

/// `row(&mut scratch, i)` for every i in 0..n, in order. Each thread makes its own scratch
/// with `scratch`. Below `min_parallel` rows the caller does it all.
pub fn map_rows<S, T, Make, Row>(n: usize, min_parallel: usize, scratch: Make, row: Row) -> Vec<T>
where
    T: Send,
    Make: Fn() -> S + Sync,
    Row: Fn(&mut S, usize) -> T + Sync,
{
    let threads = if n >= min_parallel.max(2 * BLOCK) { THREADS } else { 1 };
    let blocks = n.div_ceil(BLOCK);
    // The blocks of thread t: t, t + threads, ...; each thread returns its blocks in order.
    let per_thread: Vec<Vec<Vec<T>>> = on_threads(threads, |t, turn| {
        let mut own = scratch();
        let mut out = Vec::new();
        for b in (t..blocks).step_by(threads) {
            if !turn.go_on() {
                break;
            }
            out.push((b * BLOCK..((b + 1) * BLOCK).min(n)).map(|i| row(&mut own, i)).collect());
        }
        out
    });
    // Interleave the blocks back into row order.
    let mut iters: Vec<_> = per_thread.into_iter().map(|blocks| blocks.into_iter()).collect();
    let mut out = Vec::with_capacity(n);
    for b in 0..blocks {
        if let Some(block) = iters[b % threads].next() {
            out.extend(block);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_in_order_with_per_thread_scratch() {
        for n in [0, 1, 63, 64, 65, 127, 128, 129, 1000, 4097] {
            let out = map_rows(n, 0, Vec::<usize>::new, |seen, i| {
                seen.push(i);
                // Each thread's scratch holds only its own rows, in increasing order.
                assert!(seen.windows(2).all(|w| w[0] < w[1]));
                i * i
            });
            assert_eq!(out, (0..n).map(|i| i * i).collect::<Vec<_>>(), "n = {n}");
        }
    }

    #[test]
    fn a_panic_in_the_caller_stops_the_helper_and_propagates() {
        use std::sync::atomic::AtomicUsize;
        let done = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            map_rows(
                100_000,
                0,
                || (),
                |_, i| {
                    if i == 4 * BLOCK {
                        // A block of the caller's (even blocks are its own).
                        panic!("interrupted");
                    }
                    std::thread::sleep(std::time::Duration::from_micros(20));
                    done.fetch_add(1, Ordering::Relaxed);
                },
            )
        }));
        assert!(result.is_err());
        // The helper stopped long before the end (100,000 rows at 20 µs would take 2 s).
        assert!(done.load(Ordering::Relaxed) < 20_000, "{}", done.load(Ordering::Relaxed));
    }
}
