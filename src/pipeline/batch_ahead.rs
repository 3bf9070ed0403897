//! Batch mode's rows scored a range at a time from what the whole series set
//! (`BatchPieces::Learnt`: a mean, a resolution): each range is scored alone, so with a
//! helper thread every other range is scored there while the backend scores the one before,
//! and the two halves of the work run at once. The scores are the same whichever thread made
//! them (`ScoreRange` gives `score_batch`'s, bit for bit).

use anomdet_core::Scored;
use anomdet_core::detector::ScoreRange;
use anomdet_core::helper::Helper;
use std::ops::Range;
use std::sync::Arc;

/// Below this many values a series is scored on the backend alone (a thread costs more).
const HELPED_FROM: usize = 20_000;

/// The helper's side: its own copy of what was learnt, and the series.
type Learnt = (Box<dyn ScoreRange>, Arc<Vec<f64>>);

/// A range's scores, with the range they are of.
type ScoredRange = (Range<usize>, Vec<Scored>);

/// A series' batch scores, made a range at a time.
pub struct LearntRanges {
    valid: Arc<Vec<f64>>,
    by_range: Box<dyn ScoreRange>,
    /// Scores the range after the one the backend is scoring.
    helper: Option<Helper<Range<usize>, ScoredRange>>,
}

impl LearntRanges {
    /// `valid`: the series' values, every one usable; a helper only when `helper_allowed`.
    pub fn new(valid: Vec<f64>, by_range: Box<dyn ScoreRange>, helper_allowed: bool) -> LearntRanges {
        let valid = Arc::new(valid);
        let helper = (helper_allowed && valid.len() >= HELPED_FROM)
            .then(|| {
                let state: Learnt = (by_range.fork(), Arc::clone(&valid));
                Helper::start(1, state, |(learnt, xs): &mut Learnt, range: Range<usize>, _| {
                    let mut scores = Vec::with_capacity(range.len());
                    learnt.score_range(xs, range.clone(), &mut scores);
                    (range, scores)
                })
                .ok()
            })
            .flatten();
        LearntRanges { valid, by_range, helper }
    }

    /// Whether a helper thread scores some of the ranges.
    pub fn helped(&self) -> bool {
        self.helper.is_some()
    }

    /// The scores of `range` into `out` (emptied first). The range after it, of the same
    /// length, is guessed to come next: the helper scores it meanwhile, unless it just did one.
    pub fn score(&mut self, range: Range<usize>, out: &mut Vec<Scored>) {
        out.clear();
        if let Some(helper) = &mut self.helper {
            if helper.in_flight() > 0 {
                let (scored, scores) = helper.take();
                if scored == range {
                    *out = scores;
                    return;
                }
                // Another range was asked for than the one guessed: scored here instead.
            }
            let next = range.end..(2 * range.end - range.start).min(self.valid.len());
            if !next.is_empty() {
                helper.give(next);
            }
        }
        self.by_range.score_range(&self.valid, range, out);
    }
}
