//! One helper thread that takes jobs in order, so the calling thread can do its own work
//! (reading the next rows) while the helper does the jobs it was given (scoring the rows read
//! before). Up to `depth` jobs wait or run at once, so a slow job does not stall the caller.
//! Jobs and results are moved, never shared, and come back in the order given; `work` may
//! keep state from job to job (a detector).
//!
//! Inside PostgreSQL the caller is the backend's own thread: only it checks for interrupts
//! (while it waits, too), and the helper blocks every signal so the backend's handlers never
//! run on it. When the caller unwinds (a cancel), dropping the helper tells it to stop and
//! waits until it has: nothing it works on outlives the call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the caller waits for a result between two interrupt checks.
const CHECK_EVERY: Duration = Duration::from_millis(10);

/// Seen by the helper's work: true once the caller has given up on the job.
#[derive(Clone)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A helper thread running `work` on each job given.
pub struct Helper<J, R> {
    jobs: Option<SyncSender<J>>,
    results: Receiver<std::thread::Result<R>>,
    stop: Stop,
    thread: Option<JoinHandle<()>>,
    /// Jobs given whose results are not yet taken.
    in_flight: usize,
    depth: usize,
}

impl<J: Send + 'static, R: Send + 'static> Helper<J, R> {
    /// Start the thread, which takes up to `depth` jobs at once and does each with
    /// `work(&mut state, job, stop)`. When the system will not make a thread, `state` comes
    /// back as the error (the caller then does the work itself).
    pub fn start<S, W>(depth: usize, state: S, mut work: W) -> Result<Helper<J, R>, S>
    where
        S: Send + 'static,
        W: FnMut(&mut S, J, &Stop) -> R + Send + 'static,
    {
        let depth = depth.max(1);
        // The state crosses over once the thread exists, so a failed start can give it back.
        let (handover, arrival) = sync_channel::<S>(1);
        let (jobs, inbox) = sync_channel::<J>(depth);
        // Room for every result, so the thread never waits to hand one back.
        let (outbox, results) = sync_channel(depth);
        let stop = Stop(Arc::new(AtomicBool::new(false)));
        let seen = stop.clone();
        let thread = with_signals_blocked(|| {
            std::thread::Builder::new().name("anomdet helper".into()).spawn(move || {
                let Ok(mut state) = arrival.recv() else { return };
                for job in inbox {
                    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut state, job, &seen)));
                    if outbox.send(done).is_err() {
                        return;
                    }
                }
            })
        });
        let Ok(thread) = thread else { return Err(state) };
        // The thread waits for it, and holds the receiver until it has it.
        let _ = handover.send(state);
        Ok(Helper { jobs: Some(jobs), results, stop, thread: Some(thread), in_flight: 0, depth })
    }

    /// Jobs given whose results are not yet taken.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether it holds as many jobs as it takes (then `take` before giving another).
    pub fn full(&self) -> bool {
        self.in_flight >= self.depth
    }

    /// Hand a job over; the helper must not be full.
    pub fn give(&mut self, job: J) {
        assert!(!self.full(), "a helper takes at most {} jobs at once", self.depth);
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job));
        // The thread only ends when told to, or on a panic that `catch_unwind` let through.
        assert!(matches!(sent, Some(Ok(()))), "the helper thread has ended");
        self.in_flight += 1;
    }

    /// Wait for the result of the oldest job given, checking for interrupts while waiting; a
    /// panic of the work goes on in the caller.
    pub fn take(&mut self) -> R {
        assert!(self.in_flight > 0, "no job was given");
        loop {
            match self.results.recv_timeout(CHECK_EVERY) {
                Ok(done) => {
                    self.in_flight -= 1;
                    return done.unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                }
                Err(RecvTimeoutError::Timeout) => crate::interrupt::check(),
                Err(RecvTimeoutError::Disconnected) => panic!("the helper thread has ended"),
            }
        }
    }
}

impl<J, R> Drop for Helper<J, R> {
    fn drop(&mut self) {
        self.stop.0.store(true, Ordering::Relaxed);
        // Closing the channel ends the thread's loop once its job (if any) is done.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `spawn()` with every signal blocked in the calling thread, so the thread it makes starts
/// with them blocked (a thread inherits its maker's mask); the caller's mask is then restored.
pub fn with_signals_blocked<T>(spawn: impl FnOnce() -> T) -> T {
    #[cfg(unix)]
    {
        // SAFETY: plain sigset_t values on the stack, filled by libc before use.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut before: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut before);
            let made = spawn();
            libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
            made
        }
    }
    #[cfg(not(unix))]
    spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_come_back_in_order_and_the_work_keeps_its_state() {
        let mut helper = Helper::start(3, 0u64, |sum, xs: Vec<u64>, _: &Stop| {
            *sum += xs.iter().sum::<u64>();
            (*sum, xs.len())
        })
        .expect("a thread");
        let mut out = Vec::new();
        for k in 0..50u64 {
            if helper.full() {
                out.push(helper.take());
            }
            helper.give((0..k).collect());
        }
        assert_eq!(helper.in_flight(), 3);
        while helper.in_flight() > 0 {
            out.push(helper.take());
        }
        let mut running = 0;
        for (k, &(s, len)) in out.iter().enumerate() {
            running += (k as u64) * (k as u64).saturating_sub(1) / 2;
            assert_eq!((s, len), (running, k));
        }
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller_and_the_helper_goes_on() {
        let mut helper =
            Helper::start(1, (), |_, x: i32, _: &Stop| if x < 0 { panic!("negative") } else { x * 2 }).unwrap();
        helper.give(-1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| helper.take()));
        assert!(caught.is_err());
        helper.give(21);
        assert_eq!(helper.take(), 42);
    }

    #[test]
    fn dropping_a_busy_helper_stops_its_work() {
        use std::time::Instant;
        let mut helper = Helper::start(2, (), |_, _: (), stop: &Stop| {
            let t = Instant::now();
            while !stop.requested() && t.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(1));
            }
            t.elapsed()
        })
        .unwrap();
        helper.give(());
        helper.give(());
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        drop(helper);
        assert!(t.elapsed() < Duration::from_secs(5), "drop waited {:?}", t.elapsed());
    }

    #[test]
    fn the_helper_starts_with_every_signal_blocked_and_the_caller_keeps_its_mask() {
        // SAFETY: as in `with_signals_blocked`: stack sigsets filled by libc.
        let mask_now = || unsafe {
            let mut now: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut now);
            (libc::sigismember(&now, libc::SIGINT), libc::sigismember(&now, libc::SIGTERM))
        };
        let before = mask_now();
        let mut helper = Helper::start(1, (), move |_, _: (), _: &Stop| mask_now()).unwrap();
        helper.give(());
        assert_eq!(helper.take(), (1, 1));
        assert_eq!(mask_now(), before);
    }
}
