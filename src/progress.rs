//! How far a long call has got: published at once for other sessions (`anomdet.progress`,
//! through the backend status table) and printed as a NOTICE (`anomdet_core::progress::line`)
//! at most every `anomdet.progress_every` (5 s), the first once the call has run that long, so
//! short calls say nothing; 0 turns the notices off (never the view).

use crate::postgres::backend_progress::{self, CALLS, Published};
use anomdet_core::progress::Total;
use pgrx::pg_sys;
use std::time::{Duration, Instant};

/// Rows between two reports of a row loop: a report reads the clock, a row costs less.
pub const ROWS_BETWEEN_REPORTS: u64 = 4096;

/// What a call is doing, shown in the view's `phase` column.
pub const PHASES: [&str; 4] = ["running", "reading rows", "scoring", "writing results"];

pub struct Progress {
    call: &'static str,
    unit: &'static str,
    total: Total,
    done: u64,
    /// Publish after this many more units (1 for cells and series; a few thousand for rows,
    /// where a clock read per row would cost more than the row).
    stride: u64,
    published: Published,
    started: Instant,
    last_notice: Instant,
}

impl Progress {
    /// A call of CALLS over `relation` (None when it has none), publishing from now on.
    pub fn start(call: &'static str, unit: &'static str, total: Total, relation: Option<pg_sys::Oid>) -> Progress {
        let code = CALLS.iter().position(|c| *c == call).unwrap_or(0);
        let now = Instant::now();
        let published = Published {
            call: code,
            phase: 0,
            done: 0,
            total: as_slot(total),
            estimated: matches!(total, Total::About(_)),
            // SAFETY: reads the clock.
            started: unsafe { pg_sys::GetCurrentTimestamp() },
            job: 0,
            relation: relation.unwrap_or(pg_sys::InvalidOid),
        };
        backend_progress::start(code, published.relation, &published);
        Progress { call, unit, total, done: 0, stride: 1, published, started: now, last_notice: now }
    }

    /// Publish every `stride` units only (row loops).
    pub fn every(mut self, stride: u64) -> Progress {
        self.stride = stride.max(1);
        self
    }

    /// The job (or benchmark) id the call has made, once it has one.
    pub fn set_job(&mut self, id: i64) {
        self.published.job = id;
        self.publish();
    }

    /// A new phase. A notice that is due goes out first, naming the phase the time went to
    /// (a batch detector's scoring, not the writing that follows it).
    pub fn set_phase(&mut self, phase: &'static str) {
        self.maybe_notice();
        self.published.phase = PHASES.iter().position(|p| *p == phase).unwrap_or(0);
        self.write_status();
    }

    /// The total, once the call knows it.
    pub fn set_total(&mut self, total: Total) {
        self.total = total;
        self.publish();
    }

    /// Count again from zero (a read that is being retried).
    pub fn restart(&mut self) {
        self.done = 0;
        self.publish();
    }

    /// One more unit done.
    pub fn step(&mut self) {
        self.advance(1);
    }

    pub fn advance(&mut self, units: u64) {
        self.done += units;
        if self.done - self.published.done as u64 >= self.stride {
            self.publish();
        }
    }

    fn publish(&mut self) {
        self.write_status();
        self.maybe_notice();
    }

    /// What other sessions see (`anomdet.progress`).
    fn write_status(&mut self) {
        self.published.done = self.done as i64;
        let total = self.total.given(self.done);
        self.published.total = as_slot(total);
        self.published.estimated = matches!(total, Total::About(_));
        backend_progress::write(&self.published);
    }

    fn maybe_notice(&mut self) {
        let every = crate::settings::PROGRESS_EVERY.get();
        if every <= 0 {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last_notice) < Duration::from_millis(every as u64) {
            return;
        }
        self.last_notice = now;
        let elapsed = now.duration_since(self.started);
        let what = match self.published.phase {
            0 => self.call.to_string(),
            p => format!("{} ({})", self.call, PHASES[p]),
        };
        let line = anomdet_core::progress::line(&what, self.unit, self.done, self.total, elapsed);
        pgrx::notice!("{line}");
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        backend_progress::end();
    }
}

/// A total in its slot: known or estimated as the count, unknown as -1.
fn as_slot(total: Total) -> i64 {
    match total {
        Total::Known(t) | Total::About(t) => t as i64,
        Total::Unknown => -1,
    }
}
