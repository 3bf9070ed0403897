//! The words of a progress report: how far a long call has got and what is left at the rate
//! so far (the extension prints them as a NOTICE every few seconds).

use std::time::Duration;

/// "anomdet benchmark: 100 / 400 cells (25.0%), 30 s elapsed, about 1 min 30 s left".
pub fn line(what: &str, unit: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let share = done as f64 / total.max(1) as f64;
    let left = if done == 0 {
        "rate not known yet".to_string()
    } else {
        format!("about {} left", seconds(elapsed.as_secs_f64() * (1.0 / share - 1.0)))
    };
    format!(
        "anomdet {what}: {done} / {total} {unit} ({:.1}%), {} elapsed, {left}",
        100.0 * share,
        seconds(elapsed.as_secs_f64())
    )
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
            line("benchmark", "cells", 100, 400, Duration::from_secs(30)),
            "anomdet benchmark: 100 / 400 cells (25.0%), 30 s elapsed, about 1 min 30 s left"
        );
        assert_eq!(
            line("benchmark", "cells", 0, 400, Duration::from_secs(6)),
            "anomdet benchmark: 0 / 400 cells (0.0%), 6 s elapsed, rate not known yet"
        );
        assert_eq!(seconds(3725.0), "1 h 2 min");
    }
}
