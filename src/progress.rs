//! How far a long call has got, as a NOTICE (`anomdet_core::progress::line`): at most every
//! `anomdet.progress_every` seconds (5), the first once the call has run that long, so short
//! calls say nothing; 0 turns it off.

use std::time::{Duration, Instant};

pub struct Progress {
    what: &'static str,
    unit: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    pub fn new(what: &'static str, unit: &'static str, total: u64) -> Progress {
        let now = Instant::now();
        Progress { what, unit, total, done: 0, started: now, last: now }
    }

    /// One more unit done; report when the interval has passed.
    pub fn step(&mut self) {
        self.done += 1;
        let every = crate::settings::PROGRESS_EVERY.get();
        if every <= 0 {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last) < Duration::from_secs(every as u64) {
            return;
        }
        self.last = now;
        let line =
            anomdet_core::progress::line(self.what, self.unit, self.done, self.total, now.duration_since(self.started));
        pgrx::notice!("{line}");
    }
}
