//! `anomdet.detect_columns(...)`: several columns of each row scored together by a multivariate
//! detector, each flagged row explained by its columns' shares of its score.

use crate::error::{Code, error, invalid_argument, param_error, required};
use crate::multivariate::{Explain, detect_columns as detect_columns_of};
use crate::postgres::json_arg::JsonArg;
use crate::postgres::relation::Source;
use anomdet_core::Params;
use anomdet_core::multivariate::{find_multivariate, multivariate};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score `value_columns` of `source` together with `detector`; per series when `series_column`.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[pg_extern(stable, parallel_restricted)]
fn detect_columns(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_columns: Option<Vec<Option<String>>>,
    detector: default!(Option<&str>, "'isolation_forest'"),
    params: default!(Option<JsonArg>, "'{}'"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    explain: default!(Option<&str>, "'flagged'"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(ts, TimestampWithTimeZone),
            name!(series, Option<String>),
            name!(score, Option<f64>),
            name!(is_anomaly, Option<bool>),
            name!(contributions, Option<pgrx::JsonB>),
        ),
    >,
    ErrorReport,
> {
    let _path = crate::postgres::search_path::pin();
    let relid = required("source", source)?.0;
    let columns = column_list(required("value_columns", value_columns)?)?;
    let name = required("detector", detector)?;
    let info = find_multivariate(name).ok_or_else(|| {
        invalid_argument(
            format!("detector: \"{name}\" does not score several columns together"),
            format!(
                "multivariate detectors (anomdet.multivariate_detectors()): {}",
                multivariate().iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let json = required("params", params)?;
    let params = Params::parse(&format!("detector {name}"), info.params, Some(json.value("params")?))
        .map_err(|e| param_error("detectors", name, e))?;
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
    // Every column is checked (exists, is a number, may be read) before anything is read.
    let source = Source::resolve(relid, &columns[0], time_column, series_column)?;
    for c in &columns[1..] {
        Source::resolve(relid, c, Some(&source.time_column), source.series_column.as_deref())?;
    }
    let out = detect_columns_of(&source, &columns, info, &params, explain)?;
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

/// The requested columns: at least one, no NULL, no repeats.
fn column_list(given: Vec<Option<String>>) -> Result<Vec<String>, ErrorReport> {
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
