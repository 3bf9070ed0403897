//! A benchmark of a Citus table distributed by its series column runs where the series live:
//! the coordinator sends one query grouped by that column, which Citus pushes down whole; on
//! each worker `anomdet._benchmark_series` runs the grid on each series of its shards, in
//! parallel, and returns the evaluated cells; the coordinator stores them as it stores its own.
//! Each series keeps the place it has on a single node (key order), which seeds where its spans
//! go, so every cell equals the single-node one.

use super::{Grid, Outcome, dataset_name, store};
use crate::chosen_detector::ChosenDetector;
use crate::error::{OrReport, invalid_argument};
use crate::postgres::relation::Source;
use crate::postgres::series_rows::{SeriesRows, in_time_order};
use crate::progress::Progress;
use crate::worker_request::{array, integer, needed};
use anomdet_core::inject::find_injector;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, quote_literal};
use serde_json::{Value, json};

/// Series fetched from the workers at a time (each is one value holding all its cells).
const SERIES_PER_FETCH: i64 = 8;

/// Each series' key and row count (in the time range), in the order a single node reads the
/// series: by key, NULL first.
pub fn series_lengths(source: &Source) -> Result<Vec<(Option<String>, usize)>, ErrorReport> {
    let (t, k) = columns(source);
    let sql = format!(
        "SELECT {k}::pg_catalog.text, pg_catalog.count(*) FROM {} WHERE {t} IS NOT NULL{} GROUP BY {k}",
        source.qualified,
        source.range.sql(&source.time_column)
    );
    let mut lengths = Spi::connect(|client| -> Result<Vec<(Option<String>, usize)>, ErrorReport> {
        let rows = client.select(&sql, None, &[]).or_report()?;
        rows.map(|r| Ok((r.get::<String>(1).or_report()?, r.get::<i64>(2).or_report()?.unwrap_or(0) as usize)))
            .collect()
    })?;
    lengths.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(lengths)
}

/// Run `grid` on every series (`keys`, in their single-node order) on the workers; store the
/// cells under benchmark `id`.
pub fn run(
    source: &Source,
    grid: &Grid<'_>,
    keys: &[Option<String>],
    id: i64,
    progress: &mut Progress,
) -> Result<(), ErrorReport> {
    progress.set_phase("scoring on the Citus workers");
    let sql = worker_query(source, grid, keys);
    Spi::connect(|client| -> Result<(), ErrorReport> {
        let mut cursor = client.try_open_cursor(sql.as_str(), &[]).or_report()?;
        loop {
            pgrx::check_for_interrupts!();
            let batch = cursor.fetch(SERIES_PER_FETCH).or_report()?;
            if batch.is_empty() {
                return Ok(());
            }
            for row in batch {
                let key: Option<String> = row.get(1).or_report()?;
                let cells: Option<pgrx::JsonB> = row.get(2).or_report()?;
                let dataset = dataset_name(source, key.as_deref());
                for cell in cells.map(|c| c.0).as_ref().and_then(Value::as_array).into_iter().flatten() {
                    store(id, &dataset, &decode(cell)?)?;
                    progress.step();
                }
            }
        }
    })
}

fn columns(source: &Source) -> (String, String) {
    (quote_identifier(&source.time_column), quote_identifier(source.series_column.as_deref().unwrap_or_default()))
}

/// The query Citus pushes down whole: each series' rows gathered on its worker (in scan order;
/// the worker sorts them) with its single-node place among the series.
fn worker_query(source: &Source, grid: &Grid<'_>, keys: &[Option<String>]) -> String {
    let (t, k) = columns(source);
    let v = quote_identifier(&source.value_column);
    let request = json!({
        "source": source.qualified,
        "detectors": grid.detectors.iter().map(|d| json!({"name": d.name(), "params": d.params_json()})).collect::<Vec<_>>(),
        "methods": grid.methods.iter().map(|m| m.name).collect::<Vec<_>>(),
        "seeds": grid.seeds,
        "count": grid.count,
        "length": grid.length,
    });
    let keys: Vec<String> =
        keys.iter().map(|k| k.as_deref().map_or_else(|| "NULL".to_string(), quote_literal)).collect();
    format!(
        "SELECT {k}::pg_catalog.text, anomdet._benchmark_series({k}::pg_catalog.text, \
           (pg_catalog.array_position(ARRAY[{}]::pg_catalog.text[], {k}::pg_catalog.text) - 1)::pg_catalog.int4, \
           pg_catalog.array_agg({t}::pg_catalog.timestamptz), pg_catalog.array_agg({v}::pg_catalog.float8), {}::pg_catalog.jsonb) \
         FROM {} WHERE {t} IS NOT NULL{} GROUP BY {k}",
        keys.join(", "),
        quote_literal(request.to_string()),
        source.qualified,
        source.range.sql(&source.time_column),
    )
}

/// What a worker runs: the grid `request` describes on one series (`ts` and `value` pairwise,
/// in any order), at place `series_index`; its cells as a JSON array.
pub fn grid_on_worker(
    key: Option<&str>,
    series_index: i32,
    ts: Vec<Option<TimestampWithTimeZone>>,
    value: Vec<Option<f64>>,
    request: &Value,
) -> Result<Value, ErrorReport> {
    if ts.len() != value.len() {
        return Err(invalid_argument(
            format!("value: {} values for {} timestamps", value.len(), ts.len()),
            "pass one value per timestamp",
        ));
    }
    let source = needed(request, "source")?;
    let detectors = array(request, "detectors")?
        .iter()
        .map(|d| {
            let name = needed(d, "name")?;
            ChosenDetector::resolve("request.detectors", name, d.get("params"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let methods = array(request, "methods")?
        .iter()
        .map(|m| {
            let name = m.as_str().unwrap_or_default();
            find_injector(name).ok_or_else(|| {
                invalid_argument(
                    format!("request: unknown injection method \"{name}\""),
                    "SELECT name FROM anomdet.injectors()",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let grid = Grid {
        methods: &methods,
        seeds: integer(request, "seeds")? as i32,
        count: integer(request, "count")?.max(0) as usize,
        length: integer(request, "length")?.max(0) as usize,
        detectors: &detectors,
    };
    // Rows with no time cannot come from the coordinator's query (it leaves them out).
    let (ts, values): (Vec<i64>, Vec<Option<f64>>) =
        ts.iter().zip(&value).filter_map(|(t, v)| t.map(|t| (pg_sys::TimestampTz::from(t), *v))).unzip();
    let mut series =
        SeriesRows { key: key.map(str::to_string), tids: vec![Default::default(); ts.len()], ts, values: vec![values] };
    in_time_order(&mut series, source)?;
    // Refuse a series too large for a detector before scoring any cell of it.
    let valid: Vec<f64> = series.values[0].iter().flatten().copied().filter(|v| v.is_finite()).collect();
    for d in &detectors {
        d.check_memory_of(&valid, &format!("{source}{}", series.label()))?;
    }
    let dataset = key.map_or_else(|| source.to_string(), str::to_string);
    let mut cells = Vec::with_capacity(grid.cells_per_series() as usize);
    grid.run_series(series_index.max(0) as usize, &series.values[0], &dataset, |cell| {
        cells.push(encode(&cell));
        Ok(())
    })?;
    Ok(Value::Array(cells))
}

fn encode(cell: &Outcome) -> Value {
    json!({
        "detector": cell.detector,
        "method": cell.method,
        "seed": cell.seed,
        "metrics": cell.metrics.iter().map(|(name, value)| (name.clone(), json!(value))).collect::<serde_json::Map<_, _>>(),
        "rows": cell.rows,
        "labelled_rows": cell.labelled_rows,
        "runtime_ms": cell.runtime_ms,
    })
}

fn decode(cell: &Value) -> Result<Outcome, ErrorReport> {
    let metrics = cell
        .get("metrics")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(name, value)| (name.clone(), value.as_f64())).collect())
        .unwrap_or_default();
    Ok(Outcome {
        detector: needed(cell, "detector")?.to_string(),
        method: needed(cell, "method")?.to_string(),
        seed: integer(cell, "seed")? as i32,
        metrics,
        rows: integer(cell, "rows")?,
        labelled_rows: integer(cell, "labelled_rows")?,
        runtime_ms: cell.get("runtime_ms").and_then(Value::as_f64).unwrap_or(0.0),
    })
}
