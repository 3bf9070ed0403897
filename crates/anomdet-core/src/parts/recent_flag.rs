//! Flags for online scores that have no natural threshold (tree masses, displacements, match
//! distances): a score is flagged when it is `threshold` robust sd above the median of the
//! last 1,000 scores. Shared by the online ensembles and the left matrix profile.
//!
//! A detector scoring windows (or shingles) of w values gives one unusual value w high
//! scores, one per window through it; `hold` = w − 1 flags only the first of them: after a
//! flag, the next `hold` values are not flagged (their scores still count as history).

use crate::series::{floor_scale, mad_sorted, quantile_sorted};
use crate::window::SortedWindow;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many recent scores the flags compare against.
const RECENT: usize = 1000;
/// The fewest scores before anything is flagged.
const MIN_SCORES: usize = 30;

#[derive(Serialize, Deserialize)]
pub struct RecentFlag {
    threshold: f64,
    hold: usize,
    held: usize,
    recent: VecDeque<f64>,
    sorted: SortedWindow,
}

impl RecentFlag {
    pub fn new(threshold: f64) -> RecentFlag {
        RecentFlag::holding(threshold, 0)
    }

    /// Flags at most once per `hold + 1` values.
    pub fn holding(threshold: f64, hold: usize) -> RecentFlag {
        // Positive (every caller's parameter is bounded so): nothing at or below the median is flagged.
        debug_assert!(threshold > 0.0);
        RecentFlag {
            threshold,
            hold,
            held: 0,
            recent: VecDeque::with_capacity(RECENT + 1),
            sorted: SortedWindow::with_capacity(RECENT + 1),
        }
    }

    /// Whether `value` stands out from the recent values; then remember it.
    pub fn judge(&mut self, value: f64) -> bool {
        let flagged = self.recent.len() >= MIN_SCORES && {
            let sorted = self.sorted.as_slice();
            let median = quantile_sorted(sorted, 0.5);
            // At or below the median nothing is flagged, whatever the spread: skip the MAD.
            value > median && value > median + self.threshold * floor_scale(1.4826 * mad_sorted(sorted, median), median)
        };
        let flagged = if self.held > 0 {
            self.held -= 1;
            false
        } else {
            if flagged {
                self.held = self.hold;
            }
            flagged
        };
        self.recent.push_back(value);
        // Full: the oldest value leaves as this one comes, one shift of the values between them.
        if self.recent.len() > RECENT
            && let Some(old) = self.recent.pop_front()
        {
            self.sorted.replace(old, value);
        } else {
            self.sorted.insert(value);
        }
        flagged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_only_a_value_far_above_the_recent_ones_after_warm_up() {
        let mut flag = RecentFlag::new(3.0);
        assert!(!flag.judge(100.0), "nothing is flagged before 30 values");
        for i in 0..2000 {
            assert!(!flag.judge((i % 10) as f64), "{i}");
        }
        assert!(flag.judge(30.0));
        assert!(!flag.judge(6.0));
    }

    #[test]
    fn holding_flags_once_per_window() {
        let mut flag = RecentFlag::holding(3.0, 2);
        for i in 0..100 {
            flag.judge((i % 10) as f64);
        }
        let got: Vec<bool> = [30.0, 30.0, 30.0, 30.0, 1.0, 30.0].iter().map(|&v| flag.judge(v)).collect();
        assert_eq!(got, [true, false, false, true, false, false]);
    }
}
