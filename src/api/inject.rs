//! Injection from SQL: `injectors()`, `inject(...)`, `revert_injection(...)`.

use crate::error::{invalid_argument, param_error, required};
use crate::injection::placement::Placement;
use crate::injection::{in_table, ledger};
use crate::postgres::json_arg::JsonArg;
use crate::postgres::relation::{Source, check_can_update};
use crate::postgres::{series_rows, tables};
use crate::progress::Progress;
use anomdet_core::inject::{find_injector, injectors as registry};
use anomdet_core::progress::Total;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Every injection method with its parameters (name, type, default, range) and a description.
#[pg_extern(immutable, parallel_safe)]
fn injectors() -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(family, String),
        name!(row_by_row, bool),
        name!(params, pgrx::JsonB),
        name!(description, String),
    ),
> {
    let rows: Vec<_> = registry()
        .iter()
        .map(|m| {
            (
                m.name.to_string(),
                m.family.to_string(),
                m.row_by_row,
                super::params_json(m.params),
                m.description.to_string(),
            )
        })
        .collect();
    TableIterator::new(rows)
}

/// Inject labelled anomalies into columns of a table (in place, or into a new copy named
/// `target`). Returns the injection id; the ground truth goes to the anomdet.injection_* tables.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe)]
fn inject(
    source: Option<crate::postgres::rel_arg::RelArg>,
    method: Option<&str>,
    columns: Option<Vec<Option<String>>>,
    params: default!(Option<JsonArg>, "'{}'"),
    seed: default!(Option<i64>, "0"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    duration: default!(Option<Interval>, "NULL"),
    count: default!(Option<i32>, "NULL"),
    percent: default!(Option<f64>, "NULL"),
    length: default!(Option<i32>, "1"),
    series_column: default!(Option<&str>, "NULL"),
    series: default!(Option<&str>, "NULL"),
    time_column: default!(Option<&str>, "NULL"),
    target: default!(Option<&str>, "NULL"),
) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let relid = required("source", source)?.0;
    let method = required("method", method)?;
    let info = find_injector(method).ok_or_else(|| {
        invalid_argument(
            format!("method: unknown injection method \"{method}\""),
            format!("methods: {}", registry().iter().map(|m| m.name).collect::<Vec<_>>().join(", ")),
        )
    })?;
    let columns: Vec<String> =
        required("columns", columns)?.into_iter().map(|c| required("columns", c)).collect::<Result<_, _>>()?;
    if columns.is_empty() {
        return Err(invalid_argument("columns: name at least one column", "e.g. columns => '{value}'"));
    }
    let params = info
        .parse_params(Some(required("params", params)?.value("params")?))
        .map_err(|e| param_error("injectors", method, e))?;
    if let Some(problem) = (info.check)(&params) {
        return Err(invalid_argument(format!("params: {problem}"), "see SELECT params FROM anomdet.injectors()"));
    }
    let seed = required("seed", seed)?;
    let placement = Placement::from_args(
        start_time,
        duration,
        count,
        percent,
        required("length", length)?,
        info.fixed_length,
        (info.min_length)(&params),
    )?;
    if series.is_some() && series_column.is_none() {
        return Err(invalid_argument(
            "series: needs series_column to say which column holds the key",
            "pass series_column too",
        ));
    }

    // Every column must be a readable number; the target must be writable (or a new copy).
    let mut source = Source::resolve(relid, &columns[0], time_column, series_column)?;
    for c in &columns[1..] {
        Source::resolve(relid, c, Some(&source.time_column), series_column)?;
    }
    if let Some(name) = target {
        source = tables::copy(&source, name, &columns)?;
    }
    for c in &columns {
        check_can_update(&source, c)?;
    }

    let copied_from = target.map(|_| {
        crate::postgres::sql::read_one::<String>("SELECT $1::pg_catalog.regclass::pg_catalog.text", &[relid.into()])
    });
    let copied_from = copied_from.transpose().map_err(crate::error::internal)?.flatten();
    let mut progress = Progress::start("inject", "rows", Total::Unknown, Some(source.relid));
    progress.set_phase("reading rows");
    let rows = series_rows::read(&source, &columns, series)?;
    let injection = in_table::Injection {
        info,
        params: &params,
        placement: &placement,
        seed,
        source: &source,
        columns: &columns,
        rows: &rows,
        copied_from: copied_from.as_deref(),
    };
    in_table::inject(&injection, &mut progress)
}

/// Put back the values an injection replaced, exactly. Reverting twice is harmless; cells
/// changed by someone after the injection stop the revert unless `force` is true.
#[pg_extern(volatile, parallel_unsafe)]
fn revert_injection(injection_id: Option<i64>, force: default!(Option<bool>, "false")) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    ledger::revert(required("injection_id", injection_id)?, required("force", force)?)
}
