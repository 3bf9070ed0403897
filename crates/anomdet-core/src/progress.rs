//! The words of a progress report: how far a long call has got and what is left at the rate
//! so far (the extension prints them as a NOTICE every few seconds and shows them in a view).

use std::time::Duration;

/// How many units a call has to do, as far as it knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Total {
    /// Counted before the call began (cells of a benchmark, series of a job).
    Known(u64),
    /// Estimated, e.g. from the planner's row count of a table.
    About(u64),
    /// Not known: no estimate, or the estimate has been passed.
    Unknown,
}

impl Total {
    /// The total once `done` units are done: an estimate that has been passed is no estimate.
    pub fn given(self, done: u64) -> Total {
        match self {
            Total::About(t) if done > t => Total::Unknown,
            other => other,
        }
    }

    /// The share done, when the total is known or estimated.
    pub fn share(self, done: u64) -> Option<f64> {
        match self.given(done) {
            Total::Known(t) | Total::About(t) => Some(done as f64 / t.max(1) as f64),
            Total::Unknown => None,
        }
    }
}

/// Seconds left at the rate so far; None before the first unit or without a total.
pub fn seconds_left(done: u64, total: Total, elapsed: Duration) -> Option<f64> {
    let share = total.share(done)?;
    (done > 0).then(|| elapsed.as_secs_f64() * (1.0 / share - 1.0))
}

/// "anomdet benchmark: 100 / 400 cells (25.0%), 30 s elapsed, about 1 min 30 s left".
pub fn line(what: &str, unit: &str, done: u64, total: Total, elapsed: Duration) -> String {
    let elapsed_text = seconds(elapsed.as_secs_f64());
    let total = total.given(done);
    let (count, share) = match total {
        Total::Known(t) => (format!("{done} / {t} {unit}"), total.share(done)),
        Total::About(t) => (format!("{done} / about {t} {unit}"), total.share(done)),
        Total::Unknown => return format!("anomdet {what}: {done} {unit} so far, {elapsed_text} elapsed"),
    };
    let left = match seconds_left(done, total, elapsed) {
        Some(s) => format!("about {} left", seconds(s)),
        None => "rate not known yet".to_string(),
    };
    format!("anomdet {what}: {count} ({:.1}%), {elapsed_text} elapsed, {left}", 100.0 * share.unwrap_or(0.0))
}

/// "42 s", "3 min 5 s", "1 h 2 min".
fn seconds(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_how_far_and_how_long_is_left() {
        assert_eq!(
            line("benchmark", "cells", 100, Total::Known(400), Duration::from_secs(30)),
            "anomdet benchmark: 100 / 400 cells (25.0%), 30 s elapsed, about 1 min 30 s left"
        );
        assert_eq!(
            line("benchmark", "cells", 0, Total::Known(400), Duration::from_secs(6)),
            "anomdet benchmark: 0 / 400 cells (0.0%), 6 s elapsed, rate not known yet"
        );
        assert_eq!(seconds(3725.0), "1 h 2 min");
    }

    #[test]
    fn an_estimate_is_said_to_be_one_and_dropped_once_passed() {
        assert_eq!(
            line("run_batch", "rows", 500, Total::About(1000), Duration::from_secs(10)),
            "anomdet run_batch: 500 / about 1000 rows (50.0%), 10 s elapsed, about 10 s left"
        );
        assert_eq!(
            line("run_batch", "rows", 1500, Total::About(1000), Duration::from_secs(10)),
            "anomdet run_batch: 1500 rows so far, 10 s elapsed"
        );
        assert_eq!(seconds_left(1500, Total::About(1000), Duration::from_secs(10)), None);
        assert_eq!(Total::Known(0).share(0), Some(0.0));
    }
}
