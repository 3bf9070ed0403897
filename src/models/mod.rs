//! Fitted models: a detector trained once on rows the user trusts (`anomdet.train`), its learnt
//! state stored per series (`store`), and new rows scored against it, again and again with the
//! same answer, without refitting: each call resumes a copy of the stored state.
//!
//! A model of an online detector is its state after one online pass over the training rows;
//! scoring new rows continues that pass (the copy keeps learning within the call, the stored
//! model never changes).

pub mod columns;
pub mod store;
pub mod train;

use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, error};
use crate::pipeline::scorer::{ResumeFrom, SeriesScorer};
use pgrx::pg_sys::panic::ErrorReport;
use std::collections::HashMap;

/// A model as loaded for scoring.
pub struct StoredModel {
    pub name: String,
    pub detector: ChosenDetector,
    /// The series column named at training: a state per series.
    pub series_column: Option<String>,
    states: HashMap<Option<String>, Vec<u8>>,
}

impl ResumeFrom for StoredModel {
    /// A scorer for one series, resumed from the model: that series' own state for a model
    /// trained per series, the single state for every series otherwise.
    fn scorer_for(&self, series: Option<&str>) -> Result<SeriesScorer, ErrorReport> {
        if let (Some(column), None) = (&self.series_column, series) {
            return Err(error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("model {} was trained per series of {column}; these rows name no series", self.name),
                "pass series_column, or train one model without series_column",
            ));
        }
        let key = if self.series_column.is_some() { series.map(str::to_string) } else { None };
        let state = self.states.get(&key).ok_or_else(|| {
            error(
                Code::ERRCODE_NO_DATA_FOUND,
                format!("model {} has no state for series \"{}\"", self.name, series.unwrap_or("")),
                "train it on a stretch that holds every series you score, or train one model without series_column",
            )
        })?;
        SeriesScorer::resume(&self.detector, state).map_err(|e| {
            error(
                Code::ERRCODE_INVALID_BINARY_REPRESENTATION,
                format!("model {}: its stored state cannot be read: {e}", self.name),
                "train it again with anomdet.train(...)",
            )
        })
    }
}
