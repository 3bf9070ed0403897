//! `anomdet.detect_columns(...)`: several columns of each row scored together by a multivariate
//! detector, each flagged row explained by its columns' shares of its score.

use crate::error::{Code, error, invalid_argument, param_error, required};
use crate::models::columns::ColumnsModel;
use crate::models::{ModelArgs, check_model_args};
use crate::multivariate::{Explain, Scoring, detect_columns as detect_columns_of};
use crate::postgres::json_arg::JsonArg;
use anomdet_core::Params;
use anomdet_core::multivariate::{MultiInfo, find_multivariate, multivariate};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score `value_columns` of `source` together with `detector`, or with a stored multivariate
/// model; per series when `series_column`.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[pg_extern(name = "detect_columns", stable, parallel_restricted)]
pub(super) fn detect_columns_with_model(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_columns: Option<Vec<Option<String>>>,
    detector: default!(Option<&str>, "'isolation_forest'"),
    params: default!(Option<JsonArg>, "'{}'"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    explain: default!(Option<&str>, "'flagged'"),
    model: default!(Option<&str>, "NULL"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(ts, TimestampWithTimeZone),
            name!(series, Option<String>),
            name!(score, Option<f64>),
            name!(is_anomaly, Option<bool>),
            name!(contributions, Option<pgrx::JsonB>),
            name!(probability, Option<f64>),
        ),
    >,
    ErrorReport,
> {
    let _path = crate::postgres::search_path::pin();
    let relid = required("source", source)?.0;
    let columns = column_list(required("value_columns", value_columns)?)?;
    let name = required("detector", detector)?;
    let json = required("params", params)?;
    let model = model.map(|m| ColumnsModel::load("model", m)).transpose()?;
    let (info, params) = match &model {
        Some(m) => {
            let stored = m.params.to_json(m.info.params);
            let args = ModelArgs { name: &m.name, trained_with: m.info.name, default_detector: "isolation_forest" };
            check_model_args("", &args, name, json.value("params")?, &stored)?;
            check_column_count(m, &columns)?;
            (m.info, m.params.clone())
        }
        None => {
            let info = multivariate_detector("detector", name)?;
            let params = Params::parse(&format!("detector {name}"), info.params, Some(json.value("params")?))
                .map_err(|e| param_error("multivariate_detectors", name, e))?;
            (info, params)
        }
    };
    let explain = match required("explain", explain)? {
        "flagged" => Explain::Flagged,
        "all" => Explain::All,
        "none" => Explain::None,
        other => {
            return Err(invalid_argument(
                format!("explain: unknown choice \"{other}\""),
                "'flagged' (the default: flagged rows only), 'all' or 'none'",
            ));
        }
    };
    let source = crate::multivariate::resolve_columns(relid, &columns, time_column, series_column)?;
    let scoring = match &model {
        Some(m) => Scoring::Model(m),
        None => Scoring::Fit { info, params: &params },
    };
    let out = detect_columns_of(&source, &columns, scoring, explain)?;
    Ok(TableIterator::new(out))
}

/// The detectors `detect_columns` runs, their parameters, and what a column's share means.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn multivariate_detectors() -> TableIterator<
    'static,
    (name!(name, String), name!(params, pgrx::JsonB), name!(description, String), name!(explanation, String)),
> {
    let _path = crate::postgres::search_path::pin();
    TableIterator::new(multivariate().iter().map(|m| {
        (m.name.to_string(), super::params_json(m.params), m.description.to_string(), m.explanation.to_string())
    }))
}

/// The multivariate detector `name` (`argument` names it in the error).
pub(super) fn multivariate_detector(argument: &str, name: &str) -> Result<&'static MultiInfo, ErrorReport> {
    find_multivariate(name).ok_or_else(|| {
        invalid_argument(
            format!("{argument}: \"{name}\" does not score several columns together"),
            format!(
                "multivariate detectors (anomdet.multivariate_detectors()): {}",
                multivariate().iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// A model scores as many columns as it was trained on, in that order.
fn check_column_count(model: &ColumnsModel, columns: &[String]) -> Result<(), ErrorReport> {
    if columns.len() == model.columns.len() {
        return Ok(());
    }
    Err(invalid_argument(
        format!(
            "value_columns: model {} was trained on {} columns ({}); {} given",
            model.name,
            model.columns.len(),
            model.columns.join(", "),
            columns.len()
        ),
        "list as many columns, in the order of the model's",
    ))
}

/// The requested columns: at least one, no NULL, no repeats.
pub(super) fn column_list(given: Vec<Option<String>>) -> Result<Vec<String>, ErrorReport> {
    let columns: Vec<String> = given.into_iter().collect::<Option<_>>().ok_or_else(|| {
        error(Code::ERRCODE_NULL_VALUE_NOT_ALLOWED, "value_columns: a column name is NULL", "list the columns by name")
    })?;
    if columns.is_empty() || columns.len() > 1000 {
        return Err(invalid_argument(
            format!("value_columns: {} columns given", columns.len()),
            "give 1 to 1000 numeric columns, e.g. ARRAY['cpu', 'memory', 'latency']",
        ));
    }
    if let Some(c) = columns.iter().enumerate().find(|(i, c)| columns[..*i].contains(c)).map(|(_, c)| c) {
        return Err(invalid_argument(format!("value_columns: \"{c}\" is listed twice"), "list each column once"));
    }
    Ok(columns)
}
