//! `anomdet.detect_columns(...)`: several columns of each row scored together by a multivariate
//! detector, each flagged row explained by its columns' shares of its score.

use crate::error::{Code, error, invalid_argument, param_error, required};
use crate::postgres::json_arg::JsonArg;
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use anomdet_core::Params;
use anomdet_core::multivariate::{find_multivariate, multivariate};
use anomdet_core::tabular::Matrix;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

type Row = (TimestampWithTimeZone, Option<String>, Option<f64>, Option<bool>, Option<pgrx::JsonB>);

/// Which rows get their explanation computed and returned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Explain {
    Flagged,
    All,
    None,
}

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
    let mut out: Vec<Row> = Vec::new();
    for rows in series_rows::read(&source, &columns, None)? {
        score_series(&source, &columns, info, &params, explain, &rows, &mut out)?;
    }
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

/// One series: the rows where every column holds a finite value are scored; the others come
/// back with NULL score and flag.
fn score_series(
    source: &Source,
    columns: &[String],
    info: &anomdet_core::multivariate::MultiInfo,
    params: &Params,
    explain: Explain,
    rows: &series_rows::SeriesRows,
    out: &mut Vec<Row>,
) -> Result<(), ErrorReport> {
    let n = rows.ts.len();
    let complete: Vec<usize> =
        (0..n).filter(|&i| rows.values.iter().all(|col| col[i].is_some_and(f64::is_finite))).collect();
    let mut data = Vec::with_capacity(complete.len() * columns.len());
    for &i in &complete {
        data.extend(rows.values.iter().map(|col| col[i].unwrap_or(f64::NAN)));
    }
    let scored = if complete.len() >= 2 {
        let matrix = Matrix::new(complete.len(), columns.len(), data);
        let outcome = info.score(&matrix, params, |_, flagged| match explain {
            Explain::All => true,
            Explain::Flagged => flagged,
            Explain::None => false,
        });
        Some(outcome.map_err(|e| {
            error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!("{}{}: {e}", source.qualified, crate::pipeline::plan::series_label(rows.key.as_deref())),
                "drop the constant or duplicated column, or use another detector (e.g. isolation_forest)",
            )
        })?)
    } else {
        None
    };
    let mut at = 0;
    for i in 0..n {
        let ts = TimestampWithTimeZone::try_from(rows.ts[i]).map_err(crate::error::internal)?;
        let k = (at < complete.len() && complete[at] == i).then(|| {
            at += 1;
            at - 1
        });
        let row = match (k, &scored) {
            (Some(k), Some(s)) => {
                let shares = s.shares.row(k);
                let contributions = (!shares[0].is_nan()).then(|| {
                    let map: serde_json::Map<String, serde_json::Value> =
                        columns.iter().zip(shares).map(|(c, v)| (c.clone(), serde_json::json!(v))).collect();
                    pgrx::JsonB(serde_json::Value::Object(map))
                });
                (ts, rows.key.clone(), Some(s.scores[k]), Some(s.flags[k]), contributions)
            }
            _ => (ts, rows.key.clone(), None, None, None),
        };
        out.push(row);
    }
    Ok(())
}
