//! The one scoring loop: a chosen detector over one series, in either mode. NULL, NaN and
//! ±Infinity are never fed to a detector; they come out unscored. Batch mode checks the
//! detector's working memory on the values first (54000 above the limit).

use crate::chosen_detector::ChosenDetector;
use anomdet_core::{Detector, Scored};
use pgrx::pg_sys::panic::ErrorReport;

/// One scored row as a sink receives it; `ts` is PostgreSQL's microseconds since 2000-01-01.
#[derive(Debug, Clone, Copy)]
pub struct ScoredRow {
    pub ts: i64,
    pub value: Option<f64>,
    pub scored: Scored,
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
        let mut scores = self.detector.score_fitted(&valid).into_iter();
        values
            .iter()
            .map(
                |v| {
                    if v.is_some_and(f64::is_finite) { scores.next().unwrap_or(Scored::WARMUP) } else { Scored::WARMUP }
                },
            )
            .collect()
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
        let valid: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        self.chosen.check_memory_of(&valid, series)?;
        let scores = self.detector.score_batch(&valid);
        if valid.len() == values.len() {
            // Every value usable (the usual case): the scores are already row for row.
            return Ok(scores);
        }
        let mut scores = scores.into_iter();
        Ok(values
            .iter()
            .map(
                |v| {
                    if v.is_some_and(f64::is_finite) { scores.next().unwrap_or(Scored::WARMUP) } else { Scored::WARMUP }
                },
            )
            .collect())
    }
}
