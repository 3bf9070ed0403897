//! Fitted models: `train(...)` and `drop_model(name)`; `anomdet.models` lists them.

use crate::chosen_detector::ChosenDetector;
use crate::error::required;
use crate::models::train::{Training, check_name, check_trainable, train as fit};
use crate::postgres::json_arg::JsonArg;
use crate::postgres::rel_arg::RelArg;
use crate::postgres::relation::Source;
use crate::postgres::time_range::TimeRange;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Fit `detector` on the rows of `source` in [start_time, end_time), per series when
/// `series_column` is named, and store it as model `name` (replacing your model of that name).
/// Returns the model id.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe)]
fn train(
    name: Option<&str>,
    source: Option<RelArg>,
    value_column: Option<&str>,
    detector: default!(Option<&str>, "'zscore'"),
    params: default!(Option<JsonArg>, "'{}'"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let name = required("name", name)?;
    check_name(name)?;
    let relid = required("source", source)?.0;
    let value_column = required("value_column", value_column)?;
    let params = required("params", params)?;
    let detector = ChosenDetector::resolve("detector", required("detector", detector)?, Some(params.value("params")?))?;
    check_trainable(&detector)?;
    let range = TimeRange::from_args(start_time, end_time)?;
    let mut source = Source::resolve(relid, value_column, time_column, series_column)?;
    source.range = range;
    fit(&Training { name, source, detector })
}

/// Fit the multivariate `detector` on `value_columns` of the rows of `source` in
/// [start_time, end_time), per series when `series_column` is named, and store it as model
/// `name` (replacing your model of that name); `detect_columns(..., model => name)` scores
/// with it. Returns the model id.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe)]
fn train_columns(
    name: Option<&str>,
    source: Option<RelArg>,
    value_columns: Option<Vec<Option<String>>>,
    detector: default!(Option<&str>, "'isolation_forest'"),
    params: default!(Option<JsonArg>, "'{}'"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let name = required("name", name)?;
    check_name(name)?;
    let relid = required("source", source)?.0;
    let columns = super::detect_columns::column_list(required("value_columns", value_columns)?)?;
    let detector = required("detector", detector)?;
    let info = super::detect_columns::multivariate_detector("detector", detector)?;
    let json = required("params", params)?;
    let params = anomdet_core::Params::parse(&format!("detector {detector}"), info.params, Some(json.value("params")?))
        .map_err(|e| crate::error::param_error("multivariate_detectors", detector, e))?;
    let range = TimeRange::from_args(start_time, end_time)?;
    let mut source = crate::multivariate::resolve_columns(relid, &columns, time_column, series_column)?;
    source.range = range;
    crate::models::columns::train(name, &source, &columns, info, &params)
}

/// Drop your model `name`; false when you have none of that name.
#[pg_extern(volatile, parallel_unsafe)]
fn drop_model(name: Option<&str>) -> Result<bool, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    crate::models::store::drop(required("name", name)?)
}
