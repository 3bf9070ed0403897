//! The C symbols of 0.2.0's SQL functions whose signatures 0.3.0 extended (a time range on
//! detect, run_batch, benchmark and evaluate; a model on run_stream and detect_columns; a
//! probability column on the rows of detect and detect_columns, a cost column on detectors()). A database keeps 0.2.0's definitions, which
//! call these symbols with 0.2.0's arguments, from the moment the new library is installed
//! until `ALTER EXTENSION anomdet UPDATE`; each call here is the new function with no range.
//! No SQL is generated for them: 0.3.0's definitions call the `*_ranged` symbols.

use super::{benchmark, detect, detect_columns, detectors as catalog, evaluate, jobs, stream};
use crate::postgres::json_arg::JsonArg;
use crate::score_request::SqlScoreArgs;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn detect(
    fcinfo: pgrx::pg_sys::FunctionCallInfo,
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    detector: Option<&str>,
    params: Option<JsonArg>,
    time_column: Option<&str>,
    series_column: Option<&str>,
    mode: Option<&str>,
    on_invalid: Option<&str>,
    on_duplicate: Option<&str>,
    only_anomalies: Option<bool>,
) -> Result<(), ErrorReport> {
    let args = SqlScoreArgs {
        source,
        value_column,
        detector,
        params,
        time_column,
        series_column,
        mode,
        on_invalid,
        on_duplicate,
        start_time: None,
        end_time: None,
        lookback: Some(1000),
        model: None,
    };
    // SAFETY: the call's own fcinfo; 0.2.0's detect returns these rows without probability.
    unsafe { detect::detect_into(fcinfo, args, only_anomalies, false) }
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn run_batch(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    detector: Option<&str>,
    params: Option<JsonArg>,
    time_column: Option<&str>,
    series_column: Option<&str>,
    name: Option<&str>,
    mode: Option<&str>,
    on_invalid: Option<&str>,
    on_duplicate: Option<&str>,
) -> Result<i64, ErrorReport> {
    jobs::run_batch_ranged(
        source,
        value_column,
        detector,
        params,
        time_column,
        series_column,
        name,
        mode,
        on_invalid,
        on_duplicate,
        None,
        None,
        Some(1000),
        None,
        Some(false),
    )
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn benchmark(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    detectors: Option<Vec<Option<String>>>,
    methods: Option<Vec<Option<String>>>,
    seeds: Option<i32>,
    count: Option<i32>,
    length: Option<i32>,
    time_column: Option<&str>,
    series_column: Option<&str>,
    name: Option<&str>,
) -> Result<i64, ErrorReport> {
    benchmark::benchmark_ranged(
        source,
        value_column,
        detectors,
        methods,
        seeds,
        count,
        length,
        time_column,
        series_column,
        name,
        None,
        None,
        None,
        None,
    )
}

#[pg_extern(sql = false)]
#[allow(clippy::type_complexity)]
fn evaluate(
    job_id: Option<i64>,
    threshold: Option<&str>,
) -> Result<TableIterator<'static, (name!(metric, String), name!(value, Option<f64>), name!(note, String))>, ErrorReport>
{
    evaluate::evaluate_ranged(job_id, threshold, None, None, None, None)
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn run_stream(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    target: Option<&str>,
    detector: Option<&str>,
    params: Option<JsonArg>,
    speedup: Option<f64>,
    time_column: Option<&str>,
    series_column: Option<&str>,
    name: Option<&str>,
    inject: Option<JsonArg>,
) -> Result<i64, ErrorReport> {
    stream::run_stream_with_model(
        source,
        value_column,
        target,
        detector,
        params,
        speedup,
        time_column,
        series_column,
        name,
        inject,
        None,
    )
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[pg_extern(sql = false)]
fn detect_columns(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_columns: Option<Vec<Option<String>>>,
    detector: Option<&str>,
    params: Option<JsonArg>,
    time_column: Option<&str>,
    series_column: Option<&str>,
    explain: Option<&str>,
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
    let rows = detect_columns::detect_columns_with_model(
        source,
        value_columns,
        detector,
        params,
        time_column,
        series_column,
        explain,
        None,
    )?;
    // 0.2.0's detect_columns has no probability column.
    Ok(TableIterator::new(rows.map(|(t, k, s, f, c, _)| (t, k, s, f, c))))
}

#[allow(clippy::type_complexity)]
#[pg_extern(sql = false)]
fn detectors() -> Result<
    TableIterator<
        'static,
        (
            name!(name, String),
            name!(family, String),
            name!(online, bool),
            name!(multivariate, bool),
            name!(params, pgrx::JsonB),
            name!(description, String),
        ),
    >,
    ErrorReport,
> {
    // 0.2.0's detectors() has no cost column.
    Ok(TableIterator::new(catalog::rows()?.into_iter().map(|(n, f, o, m, p, d, _)| (n, f, o, m, p, d))))
}
