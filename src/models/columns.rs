//! Multivariate models: a `detect_columns` detector fitted on several columns of trusted rows
//! (`anomdet.train_columns`), stored like any model with its columns, and scored row by row
//! by `detect_columns(..., model => name)`.

use super::store::{self, ModelRecord};
use crate::error::{Code, error, internal, param_error};
use crate::pipeline::plan::series_label;
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use anomdet_core::Params;
use anomdet_core::multivariate::model::MultiModel;
use anomdet_core::multivariate::{MultiInfo, find_multivariate};
use pgrx::pg_sys::panic::ErrorReport;
use std::collections::HashMap;

/// A multivariate model as loaded for scoring.
pub struct ColumnsModel {
    pub name: String,
    pub info: &'static MultiInfo,
    pub params: Params,
    pub columns: Vec<String>,
    series_column: Option<String>,
    states: HashMap<Option<String>, MultiModel>,
}

impl ColumnsModel {
    /// The caller's multivariate model `name`, its states decoded.
    pub fn load(argument: &str, name: &str) -> Result<ColumnsModel, ErrorReport> {
        let fetched = store::fetch(argument, name)?;
        let Some(columns) = fetched.value_columns else {
            return Err(error(
                Code::ERRCODE_WRONG_OBJECT_TYPE,
                format!("{argument}: model \"{name}\" scores one column ({})", fetched.detector),
                format!("score with it in anomdet.detect(source, value_column, model => '{name}')"),
            ));
        };
        let info = find_multivariate(&fetched.detector)
            .ok_or_else(|| internal(format!("model {name}: no multivariate detector {}", fetched.detector)))?;
        let params = Params::parse(&format!("detector {}", info.name), info.params, Some(&fetched.params))
            .map_err(|e| param_error("multivariate_detectors", info.name, e))?;
        let mut states = HashMap::with_capacity(fetched.states.len());
        for (series, bytes) in fetched.states {
            let model = MultiModel::restore(&bytes).map_err(|e| {
                error(
                    Code::ERRCODE_INVALID_BINARY_REPRESENTATION,
                    format!("model {name}: its stored state cannot be read: {e}"),
                    "train it again with anomdet.train_columns(...)",
                )
            })?;
            states.insert(series, model);
        }
        Ok(ColumnsModel { name: fetched.name, info, params, columns, series_column: fetched.series_column, states })
    }

    /// A job's arguments beside this model: `value_column`, when given, names its first column;
    /// `detector` and `params` are left at their defaults (zscore, {}) or are the model's.
    /// `prefix` is put before the argument names in messages ("config." in a schedule's config).
    pub fn check_job_args(
        &self,
        prefix: &str,
        value_column: Option<&str>,
        detector: &str,
        params: &serde_json::Value,
    ) -> Result<(), ErrorReport> {
        if let Some(given) = value_column.filter(|c| *c != self.columns[0]) {
            return Err(crate::error::invalid_argument(
                format!(
                    "{prefix}value_column: model {} scores the columns {}, not {given}",
                    self.name,
                    self.columns.join(", ")
                ),
                match prefix {
                    "" => format!("value_column => '{}', the model's first column", self.columns[0]),
                    _ => {
                        format!("leave {prefix}value_column out, or name the model's first column, {}", self.columns[0])
                    }
                },
            ));
        }
        let args =
            crate::models::ModelArgs { name: &self.name, trained_with: self.info.name, default_detector: "zscore" };
        crate::models::check_model_args(prefix, &args, detector, params, &self.params.to_json(self.info.params))
    }

    /// The fitted model for a series: its own for a model trained per series, else the one.
    pub fn for_series(&self, series: Option<&str>) -> Result<&MultiModel, ErrorReport> {
        if let (Some(column), None) = (&self.series_column, series) {
            return Err(error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("model {} was trained per series of {column}; these rows name no series", self.name),
                "pass series_column, or train one model without series_column",
            ));
        }
        let key = if self.series_column.is_some() { series.map(str::to_string) } else { None };
        self.states.get(&key).ok_or_else(|| {
            error(
                Code::ERRCODE_NO_DATA_FOUND,
                format!("model {} has no state for series \"{}\"", self.name, series.unwrap_or("")),
                "train it on a stretch that holds every series you score, or train one model without series_column",
            )
        })
    }
}

/// Fit `info` on the complete rows of every series of `source` (columns `columns`, the first
/// being the source's value column) and store it as model `name`; returns its id.
pub fn train(
    name: &str,
    source: &Source,
    columns: &[String],
    info: &MultiInfo,
    params: &Params,
) -> Result<i64, ErrorReport> {
    let series = series_rows::read(source, columns, None)?;
    let mut collected = store::Collected::default();
    for s in &series {
        pgrx::check_for_interrupts!();
        let (_, matrix) = s.complete_rows();
        let label = format!("{}{}", source.qualified, series_label(s.key.as_deref()));
        if matrix.rows < 2 {
            return Err(error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!("{label} has {} rows with every column set to train on; a model needs at least 2", matrix.rows),
                "widen the training range (start_time, end_time), or fill the missing values first",
            ));
        }
        let model = MultiModel::fit(info, &matrix, params).map_err(|e| {
            error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!("{label}: {e}"),
                "drop the constant or duplicated column, or use another detector (e.g. isolation_forest)",
            )
        })?;
        let state = model.save().ok_or_else(|| internal("a multivariate model did not encode"))?;
        collected.add(s.key.clone(), matrix.rows as i64, &s.ts, state);
    }
    collected.save(
        &ModelRecord {
            name,
            detector: info.name,
            params: params.to_json(info.params),
            source: &source.qualified,
            value_column: &columns[0],
            value_columns: Some(columns),
            time_column: &source.time_column,
            series_column: source.series_column.as_deref(),
        },
        &source.range,
    )
}
