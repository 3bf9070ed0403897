//! The arguments of a scoring call (`detect`, `run_batch`, `run_stream`), checked in the order a
//! user reads them, before anything is read.

use crate::chosen_detector::ChosenDetector;
use crate::error::invalid_argument;
use crate::models::{ModelArgs, StoredModel, check_model_args};
use crate::pipeline::plan::{DuplicatePolicy, InvalidPolicy, Plan};
use crate::postgres::relation::Source;

use anomdet_core::Mode;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// The arguments shared by `detect` and `run_batch`, checked in the order a user reads them.
pub struct ScoreArgs<'a> {
    pub source: pg_sys::Oid,
    pub value_column: &'a str,
    pub detector: &'a str,
    pub params: Option<&'a serde_json::Value>,
    pub time_column: Option<&'a str>,
    pub series_column: Option<&'a str>,
    pub mode: &'a str,
    pub on_invalid: &'a str,
    pub on_duplicate: &'a str,
}

/// The scoring arguments exactly as SQL passes them (any may be NULL), shared by `detect` and
/// `run_batch`.
pub struct SqlScoreArgs<'a> {
    pub source: Option<crate::postgres::rel_arg::RelArg>,
    pub value_column: Option<&'a str>,
    pub detector: Option<&'a str>,
    pub params: Option<crate::postgres::json_arg::JsonArg>,
    pub time_column: Option<&'a str>,
    pub series_column: Option<&'a str>,
    pub mode: Option<&'a str>,
    pub on_invalid: Option<&'a str>,
    pub on_duplicate: Option<&'a str>,
    pub start_time: Option<TimestampWithTimeZone>,
    pub end_time: Option<TimestampWithTimeZone>,
    pub lookback: Option<i64>,
    /// A stored model to score with, instead of fitting the detector on these rows.
    pub model: Option<&'a str>,
}

impl SqlScoreArgs<'_> {
    /// Refuse NULLs by name, then validate everything (see `prepare`).
    pub fn prepare(self) -> Result<(Source, PlanParts), ErrorReport> {
        use crate::error::required;
        let params = required("params", self.params)?;
        let params = params.value("params")?;
        let range = crate::postgres::time_range::TimeRange::from_args(self.start_time, self.end_time)?;
        let mut lookback = required("lookback", self.lookback)?;
        let detector = required("detector", self.detector)?;
        let mut mode = required("mode", self.mode)?;
        let model = self.model.map(|name| crate::models::store::load("model", name)).transpose()?;
        let model_params = model.as_ref().map(|m| m.detector.params_json());
        let (detector, params) = match (&model, &model_params) {
            (Some(m), Some(stored)) => {
                let args = ModelArgs { name: &m.name, trained_with: m.detector.name(), default_detector: "zscore" };
                check_model_args("", &args, detector, params, stored)?;
                // A model is warm already: no warm-up rows. An online detector's model scores
                // online; a batch-only one's scores each whole series with what it learnt.
                lookback = 0;
                mode = if m.detector.supports_online() { "online" } else { "batch" };
                (m.detector.name(), stored)
            }
            _ => (detector, params),
        };
        let (mut source, mut parts) = prepare(&ScoreArgs {
            source: required("source", self.source)?.0,
            value_column: required("value_column", self.value_column)?,
            detector,
            params: Some(params),
            time_column: self.time_column,
            series_column: self.series_column,
            mode,
            on_invalid: required("on_invalid", self.on_invalid)?,
            on_duplicate: required("on_duplicate", self.on_duplicate)?,
        })?;
        parts.model = model;
        source.range =
            range.with_lookback(&source.qualified, &source.time_column, source.series_column.as_deref(), lookback)?;
        Ok((source, parts))
    }
}

/// Validate detector, parameters and policies, then the source; nothing is read before this passes.
pub fn prepare(args: &ScoreArgs<'_>) -> Result<(Source, PlanParts), ErrorReport> {
    let detector = ChosenDetector::resolve("detector", args.detector, args.params)?;
    let mode = Mode::parse(args.mode)
        .ok_or_else(|| invalid_argument(format!("mode: unknown mode \"{}\"", args.mode), "use 'batch' or 'online'"))?;
    if mode == Mode::Online && !detector.supports_online() {
        return Err(invalid_argument(
            format!("mode: detector {} with these params has no online mode", detector.name()),
            "SELECT name FROM anomdet.detectors() WHERE online lists the online detectors; an ensemble is online \
             when all its members are",
        ));
    }
    let on_invalid = InvalidPolicy::parse(args.on_invalid)?;
    let on_duplicate = DuplicatePolicy::parse(args.on_duplicate)?;
    let source = Source::resolve(args.source, args.value_column, args.time_column, args.series_column)?;
    Ok((source, PlanParts { detector, mode, on_invalid, on_duplicate, model: None }))
}

/// A plan without its source, so the source can be owned by the caller.
pub struct PlanParts {
    pub detector: ChosenDetector,
    pub mode: Mode,
    pub on_invalid: InvalidPolicy,
    pub on_duplicate: DuplicatePolicy,
    /// Score with this stored model (each series resumes its learnt state).
    pub model: Option<StoredModel>,
}

impl PlanParts {
    /// The name of the stored model scored with, if any.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_ref().map(|m| m.name.as_str())
    }

    pub fn with_source<'a>(&'a self, source: &'a Source) -> Plan<'a> {
        Plan {
            source,
            detector: &self.detector,
            mode: self.mode,
            on_invalid: self.on_invalid,
            on_duplicate: self.on_duplicate,
            model: self.model.as_ref().map(|m| m as &dyn crate::pipeline::scorer::ResumeFrom),
        }
    }
}
