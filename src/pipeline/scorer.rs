//! The one scoring loop: a chosen detector over one series, in either mode. NULL, NaN and
//! ±Infinity are never fed to a detector; they come out unscored. Batch mode checks the
//! detector's working memory on the values first (54000 above the limit).

use super::batch_ahead::LearntRanges;
use crate::chosen_detector::ChosenDetector;
use anomdet_core::detector::BatchPieces;
use anomdet_core::{Detector, Scored};
use pgrx::pg_sys::panic::ErrorReport;

/// One scored row as a sink receives it; `ts` is PostgreSQL's microseconds since 2000-01-01.
#[derive(Debug, Clone, Copy)]
pub struct ScoredRow {
    pub ts: i64,
    pub value: Option<f64>,
    pub scored: Scored,
}

/// A series' batch scores, made a range at a time as its rows are handed on: a sink that keeps
/// only flagged rows then never holds 88 bytes of scores a row.
pub enum BatchScores {
    /// Worked out whole, row for row.
    Rows(Vec<Scored>),
    /// Learnt from the whole series (every row's value usable); a range is scored when asked
    /// for, every other one on a helper thread when allowed.
    Learnt(LearntRanges),
    /// The online mode replayed by the scorer itself, the ranges asked for in order; `next`
    /// is the first row not yet scored.
    Online { next: usize },
}

/// Where each series' scorer comes from instead of a fresh detector: a stored model.
pub trait ResumeFrom {
    /// A scorer for `series`, already warm.
    fn scorer_for(&self, series: Option<&str>) -> Result<SeriesScorer, ErrorReport>;
}

/// A detector scoring one series.
pub struct SeriesScorer {
    chosen: ChosenDetector,
    detector: Box<dyn Detector>,
}

impl SeriesScorer {
    /// A fresh detector for a new series.
    pub fn new(chosen: &ChosenDetector) -> SeriesScorer {
        SeriesScorer { chosen: chosen.clone(), detector: chosen.build() }
    }

    /// A detector resumed from a state [`SeriesScorer::save`] gave, for the same parameters.
    pub fn resume(chosen: &ChosenDetector, state: &[u8]) -> Result<SeriesScorer, anomdet_core::state::StateError> {
        let mut scorer = SeriesScorer::new(chosen);
        scorer.detector.restore(state)?;
        Ok(scorer)
    }

    /// Tell the detector which rows' probability will be read (the others' are left out).
    pub fn probability_for(&mut self, rows: anomdet_core::detector::ProbabilityFor) {
        self.detector.probability_for(rows);
    }

    /// The detector's learnt state, when it keeps one (online detectors).
    pub fn save(&self) -> Option<Vec<u8>> {
        self.detector.save()
    }

    /// Learn from trusted values (a model is the state after this); unusable values are left out.
    pub fn fit(&mut self, values: &[Option<f64>]) {
        let valid: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        self.detector.fit(&valid);
    }

    /// Score values with what was fitted (a resumed model), never refitting on them.
    pub fn score_fitted(&mut self, values: &[Option<f64>]) -> Vec<Scored> {
        let valid: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        let scores = self.detector.score_fitted(&valid);
        row_for_row(values, valid.len(), scores)
    }

    /// Online: score one value against the past, then learn from it.
    pub fn update(&mut self, value: Option<f64>) -> Scored {
        match value {
            Some(v) if v.is_finite() => self.detector.update(v),
            _ => Scored::WARMUP,
        }
    }

    /// Batch: every usable value at once (the detector may look both ways); `series` names
    /// the series in a memory error.
    pub fn score_whole(&mut self, values: &[Option<f64>], series: &str) -> Result<Vec<Scored>, ErrorReport> {
        let valid = self.checked_valid(values, series)?;
        let scores = self.detector.score_batch(&valid);
        Ok(row_for_row(values, valid.len(), scores))
    }

    /// Batch, as [`SeriesScorer::score_whole`], the scores made a range at a time (by
    /// [`SeriesScorer::batch_range`]) where the detector can, on two threads if `helper_allowed`.
    pub fn score_whole_in_ranges(
        &mut self,
        values: &[Option<f64>],
        series: &str,
        helper_allowed: bool,
    ) -> Result<BatchScores, ErrorReport> {
        let valid = self.checked_valid(values, series)?;
        let scores = match self.detector.batch_pieces(&valid) {
            BatchPieces::Online => return Ok(BatchScores::Online { next: 0 }),
            BatchPieces::Learnt(by_range) if valid.len() == values.len() => {
                return Ok(BatchScores::Learnt(LearntRanges::new(valid, by_range, helper_allowed)));
            }
            // Some rows unusable (rare): scored whole, then spread over the rows.
            BatchPieces::Learnt(mut by_range) => {
                let mut scores = Vec::with_capacity(valid.len());
                by_range.score_range(&valid, 0..valid.len(), &mut scores);
                scores
            }
            BatchPieces::Whole => self.detector.score_batch(&valid),
        };
        Ok(BatchScores::Rows(row_for_row(values, valid.len(), scores)))
    }

    /// The batch scores of rows `range` (of `values`, the series `scores` came from): a slice
    /// of `scores` or of `buffer`, which is filled when they are made here.
    pub fn batch_range<'a>(
        &mut self,
        scores: &'a mut BatchScores,
        values: &[Option<f64>],
        range: std::ops::Range<usize>,
        buffer: &'a mut Vec<Scored>,
    ) -> &'a [Scored] {
        buffer.clear();
        match scores {
            BatchScores::Rows(rows) => return &rows[range],
            BatchScores::Learnt(ranges) => ranges.score(range, buffer),
            BatchScores::Online { next } => {
                debug_assert_eq!(*next, range.start, "online batch ranges are asked for in order");
                *next = range.end;
                buffer.extend(values[range].iter().map(|&v| self.update(v)));
            }
        }
        buffer
    }

    /// The usable values, once the detector's batch working memory on them is known to fit.
    fn checked_valid(&self, values: &[Option<f64>], series: &str) -> Result<Vec<f64>, ErrorReport> {
        let valid: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        self.chosen.check_memory_of(&valid, series)?;
        Ok(valid)
    }
}

/// Scores of the usable values of `values` (`valid` of them), spread over every row: an
/// unusable row is unscored, and so is a row past the scores a detector gave.
fn row_for_row(values: &[Option<f64>], valid: usize, mut scores: Vec<Scored>) -> Vec<Scored> {
    if valid == values.len() {
        // Every value usable (the usual case): the scores are already row for row.
        scores.resize(values.len(), Scored::WARMUP);
        return scores;
    }
    let mut scores = scores.into_iter();
    values
        .iter()
        .map(|v| if v.is_some_and(f64::is_finite) { scores.next().unwrap_or(Scored::WARMUP) } else { Scored::WARMUP })
        .collect()
}
