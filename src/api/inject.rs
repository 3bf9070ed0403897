//! Injection from SQL: `injectors()`, `inject(...)`, `revert_injection(...)`.

use crate::error::{invalid_argument, param_error, required};
use crate::injection::placement::Placement;
use crate::injection::{compute, ledger, table, write};
use crate::json_arg::JsonArg;
use crate::relation::{RowIdentity, Source, check_can_update, column_type};
use anomdet_core::inject::{find_injector, injectors as registry};
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
    source: Option<crate::rel_arg::RelArg>,
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
    let _path = crate::search_path::pin();
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
        source = table::copy(&source, name, &columns)?;
    }
    for c in &columns {
        check_can_update(&source, c)?;
    }

    let rows = table::read(&source, &columns, series)?;
    let changes = compute(info, &params, &placement, &rows, seed)?;
    let copied_from = target
        .map(|_| crate::sql::read_one::<String>("SELECT $1::pg_catalog.regclass::pg_catalog.text", &[relid.into()]));
    let copied_from = copied_from.transpose().map_err(crate::error::internal)?.flatten();
    let id = ledger::open(&ledger::Record {
        source: &source,
        columns: &columns,
        method,
        params: params.to_json(info.params),
        placement: placement.to_json(),
        seed,
        copied_from: copied_from.as_deref(),
    })?;

    // Every series' spans together: one write per column and one ledger insert each,
    // however many series the table holds.
    let (mut spans, mut ts, mut tids, mut keys) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut new: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
    for (series_rows, change) in rows.iter().zip(&changes) {
        pgrx::check_for_interrupts!();
        for (k, span) in change.spans.iter().enumerate() {
            if k % anomdet_core::interrupt::EVERY == 0 {
                pgrx::check_for_interrupts!();
            }
            let first = series_rows.ts[span.start];
            spans.push((series_rows.key.clone(), first, series_rows.ts[span.end - 1], span.len() as i32));
            ts.extend_from_slice(&series_rows.ts[span.clone()]);
            tids.extend_from_slice(&series_rows.tids[span.clone()]);
            keys.extend(std::iter::repeat_n(series_rows.key.clone(), span.len()));
        }
        for (c, column_values) in change.values.iter().enumerate() {
            for (k, span_values) in column_values.iter().enumerate() {
                if k % anomdet_core::interrupt::EVERY == 0 {
                    pgrx::check_for_interrupts!();
                }
                new[c].extend(span_values.iter().map(|&v| table::to_sql_text(v)));
            }
        }
    }
    ledger::add_spans(id, &spans)?;
    // Each column's write moves the rows to new versions; the cells record where the last
    // write left them, as a hint for revert.
    let mut changed = 0i64;
    let mut recorded = Vec::with_capacity(columns.len());
    for (column, values) in columns.iter().zip(&new) {
        let cast = table::value_cast(&column_type(source.relid, column)?);
        let refs = write::RowRefs { tids: &tids, ts: &ts, keys: &keys };
        let written = write::write(&source, column, &cast, &refs, values, None)?;
        if written.len() != ts.len() {
            return Err(concurrent_change(&source));
        }
        for (i, _, _, tid) in &written {
            if let Some(tid) = tid {
                tids[*i] = *tid;
            }
        }
        changed += written.len() as i64;
        recorded.push(by_position(ts.len(), &written));
    }
    for (column, (originals, injected)) in columns.iter().zip(recorded) {
        ledger::add_cells(
            id,
            source.relid,
            column,
            keys.clone(),
            &ts,
            originals,
            injected,
            tids.iter().map(|&tid| (source.identity == RowIdentity::Tid).then_some(tid)).collect(),
        )?;
    }
    ledger::close(id, changed)?;
    Ok(id)
}

fn concurrent_change(source: &Source) -> ErrorReport {
    crate::error::error(
        PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
        format!("rows of {} changed while the injection ran; nothing was injected", source.qualified),
        "retry the call",
    )
}

/// The text before and after of each injected row, in input order (RETURNING has no order).
fn by_position(n: usize, written: &[write::Written]) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let (mut before, mut after) = (vec![None; n], vec![None; n]);
    for (i, old, new, _) in written {
        if *i < n {
            before[*i] = old.clone();
            after[*i] = new.clone();
        }
    }
    (before, after)
}

/// Put back the values an injection replaced, exactly. Reverting twice is harmless; cells
/// changed by someone after the injection stop the revert unless `force` is true.
#[pg_extern(volatile, parallel_unsafe)]
fn revert_injection(injection_id: Option<i64>, force: default!(Option<bool>, "false")) -> Result<i64, ErrorReport> {
    let _path = crate::search_path::pin();
    ledger::revert(required("injection_id", injection_id)?, required("force", force)?)
}
