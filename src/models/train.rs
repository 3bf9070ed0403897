//! `anomdet.train`: fit a detector on a stretch of a table, per series, and store the model.

use super::store::{self, ModelRecord};
use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, error, invalid_argument};
use crate::pipeline::plan::series_label;
use crate::pipeline::scorer::SeriesScorer;
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use crate::progress::Progress;
use anomdet_core::progress::Total;
use pgrx::pg_sys::panic::ErrorReport;

/// A checked training request.
pub struct Training<'a> {
    pub name: &'a str,
    pub source: Source,
    pub detector: ChosenDetector,
}

/// Check a model name: what `detect(..., model => name)` will be given.
pub fn check_name(name: &str) -> Result<(), ErrorReport> {
    if name.is_empty() || name.len() > 63 || name.chars().any(char::is_control) {
        return Err(invalid_argument(
            format!("name: \"{name}\" is not a model name"),
            "1 to 63 characters, e.g. 'cpu_ewma'",
        ));
    }
    Ok(())
}

/// Refuse a detector with no stored form before anything is read.
pub fn check_trainable(detector: &ChosenDetector) -> Result<(), ErrorReport> {
    if detector.trainable() {
        return Ok(());
    }
    Err(error(
        Code::ERRCODE_FEATURE_NOT_SUPPORTED,
        format!("detector: {} is a SQL detector, which keeps no stored form", detector.name()),
        "every built-in detector can be trained (SELECT name FROM anomdet.detectors())",
    ))
}

/// Fit the detector on every series of the source's range and store the model; returns its id.
pub fn train(t: &Training<'_>) -> Result<i64, ErrorReport> {
    let source = &t.source;
    let mut progress = Progress::start("train", "rows", Total::Unknown, Some(source.relid));
    progress.set_phase("reading rows");
    let series = series_rows::read(source, std::slice::from_ref(&source.value_column), None)?;
    progress.set_total(Total::Known(series.iter().map(|s| s.ts.len() as u64).sum()));
    progress.set_phase("scoring");
    let needed = t.detector.min_points();
    let mut collected = store::Collected::default();
    for s in &series {
        pgrx::check_for_interrupts!();
        let values = &s.values[0];
        let usable = values.iter().flatten().filter(|v| v.is_finite()).count();
        let label = format!("{}{}", source.qualified, series_label(s.key.as_deref()));
        if usable < needed {
            return Err(error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!(
                    "{label} has {usable} usable values to train on; detector {} with these parameters needs at least {needed}",
                    t.detector.name()
                ),
                "widen the training range (start_time, end_time), or lower the length parameters in params",
            ));
        }
        t.detector.check_memory(usable, &label)?;
        let mut scorer = SeriesScorer::new(&t.detector);
        scorer.fit(values);
        let state = scorer.save().ok_or_else(|| crate::error::internal("a trainable detector saved no state"))?;
        collected.add(s.key.clone(), s.ts.len() as i64, &s.ts, state);
        progress.advance(s.ts.len() as u64);
    }
    progress.set_phase("writing results");
    collected.save(
        &ModelRecord {
            name: t.name,
            detector: t.detector.name(),
            params: t.detector.params_json(),
            source: &source.qualified,
            value_column: &source.value_column,
            value_columns: None,
            time_column: &source.time_column,
            series_column: source.series_column.as_deref(),
        },
        &source.range,
    )
}
