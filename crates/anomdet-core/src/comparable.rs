//! Scores made comparable over time, for the few online detectors whose scores drift by
//! construction, so that their calibrated probability (the share of earlier scores below this
//! one) keeps its meaning. Ranked raw, a score that shrinks as history grows (the left matrix
//! profile's nearest-neighbour distance) is almost never above its past, and one that climbs
//! between restarts (Page-Hinkley's cumulative sum) is above it far too often. Each transform
//! here is a function of the scores in order, so a resumed or stored detector gives the same.

use serde::{Deserialize, Serialize};

use crate::series::quantile_sorted;
use crate::window::TrailingWindow;

/// Scores before the reference median means anything.
const MIN_RECENT: usize = 20;

/// How a score is set against the median of the recent ones.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub enum Against {
    /// score / median: for scores whose scale drifts (a residual scale still settling).
    Ratio,
    /// score − median: for scores whose level drifts (a distance shrinking with history).
    Difference,
}

/// A score against the median of the last `window` scores (before it joins them).
#[derive(Serialize, Deserialize)]
pub struct RecentMedian {
    recent: TrailingWindow,
    against: Against,
}

impl RecentMedian {
    pub fn new(window: usize, against: Against) -> RecentMedian {
        RecentMedian { recent: TrailingWindow::new(window), against }
    }

    /// `score` made comparable, None while fewer than 20 scores are known; then it joins them.
    pub fn comparable(&mut self, score: f64) -> Option<f64> {
        let past = self.recent.sorted();
        let out = (past.len() >= MIN_RECENT).then(|| {
            let median = quantile_sorted(past, 0.5);
            match self.against {
                // A median of 0 (most recent scores inside the band) counts as 1e-12: any
                // positive score then ranks far above the ratios of a settled stretch.
                Against::Ratio => score / median.max(1e-12),
                Against::Difference => score - median,
            }
        });
        self.recent.push(score);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drifting_score_is_set_against_the_recent_median() {
        let mut level = RecentMedian::new(50, Against::Difference);
        let mut scale = RecentMedian::new(50, Against::Ratio);
        for i in 0..20 {
            assert_eq!(level.comparable(100.0 - i as f64), None);
            assert_eq!(scale.comparable(2.0), None);
        }
        // The 21st score is the first judged: against the median of the 20 before it.
        assert_eq!(level.comparable(80.0), Some(80.0 - 90.5));
        assert_eq!(scale.comparable(6.0), Some(3.0));
    }
}
