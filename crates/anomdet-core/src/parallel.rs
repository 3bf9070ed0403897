//! A loop over rows shared between the calling thread and a helper, for the models whose cost
//! is a search per row (k nearest neighbours, LOF). Only the calling thread checks for
//! interrupts (inside PostgreSQL it is the backend's own thread, the only one that may); the
//! helper stops at its next block once the caller has been interrupted.

use std::sync::atomic::{AtomicBool, Ordering};

/// Threads in all, the caller included: the machines this runs on have two cores, and a
/// backend should not take more than the cores a query may reasonably use.
pub const THREADS: usize = 2;

/// Rows handed out at a time; blocks alternate between the threads so that both finish
/// together when the cost per row varies.
const BLOCK: usize = 64;

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
    let stop = AtomicBool::new(false);
    // The blocks of thread t: t, t + threads, ...; each thread returns its blocks in order.
    let run = |t: usize, stop: Option<&AtomicBool>| -> Vec<Vec<T>> {
        let mut own = scratch();
        let mut out = Vec::new();
        for b in (t..blocks).step_by(threads) {
            match stop {
                None => crate::interrupt::check(),
                Some(flag) if flag.load(Ordering::Relaxed) => break,
                Some(_) => {}
            }
            out.push((b * BLOCK..((b + 1) * BLOCK).min(n)).map(|i| row(&mut own, i)).collect());
        }
        out
    };
    let per_thread: Vec<Vec<Vec<T>>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|t| {
                let (run, stop) = (&run, &stop);
                scope.spawn(move || run(t, Some(stop)))
            })
            .collect();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(0, None))) {
            Ok(mine) => {
                let mut all = vec![mine];
                all.extend(helpers.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))));
                all
            }
            Err(payload) => {
                // Interrupted (a cancel inside PostgreSQL): stop the helper, then go on unwinding.
                stop.store(true, Ordering::Relaxed);
                for h in helpers {
                    let _ = h.join();
                }
                std::panic::resume_unwind(payload)
            }
        }
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
