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
use crate::error::{Code, error, invalid_argument};
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

/// Which model the arguments are checked against: its name, the detector it was trained
/// with, and the `detector` argument's default (which leaving it out gives).
pub struct ModelArgs<'a> {
    pub name: &'a str,
    pub trained_with: &'a str,
    pub default_detector: &'a str,
}

/// With a model, `detector` and `params` are the model's: left at their defaults, or the same.
/// `prefix` is put before the argument names in messages ("config." in a schedule's config).
pub fn check_model_args(
    prefix: &str,
    model: &ModelArgs<'_>,
    detector: &str,
    params: &serde_json::Value,
    stored: &serde_json::Value,
) -> Result<(), ErrorReport> {
    if detector != model.default_detector && detector != model.trained_with {
        return Err(invalid_argument(
            format!("{prefix}detector: model {} was trained with {}, not {detector}", model.name, model.trained_with),
            "leave detector out when you name a model",
        ));
    }
    // Parameters given must be the model's (all of them or some).
    let differs = match params.as_object() {
        Some(given) => given.iter().any(|(k, v)| stored.get(k) != Some(v)),
        None => true,
    };
    if differs {
        return Err(invalid_argument(
            format!("{prefix}params: model {} was trained with {stored}", model.name),
            "leave params out when you name a model; train another model for other parameters",
        ));
    }
    Ok(())
}
