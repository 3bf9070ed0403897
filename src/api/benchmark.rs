//! `anomdet.benchmark(...)`: detectors × injection methods × seeds × datasets on one value
//! column, or detectors × datasets against your own labels (see `crate::benchmark`).

use crate::benchmark::{Benchmark, run};
use crate::error::required;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Run a benchmark grid and return its id; results in anomdet.benchmark_results.
#[allow(clippy::too_many_arguments)]
#[pg_extern(name = "benchmark", volatile, parallel_unsafe)]
pub(super) fn benchmark_ranged(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    detectors: default!(Option<Vec<Option<String>>>, "NULL"),
    methods: default!(Option<Vec<Option<String>>>, "'{spike,extremum,step,mean,variance,trend,platform,noise}'"),
    seeds: default!(Option<i32>, "3"),
    count: default!(Option<i32>, "3"),
    length: default!(Option<i32>, "10"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    name: default!(Option<&str>, "NULL"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    label_column: default!(Option<&str>, "NULL"),
    label_windows: default!(Option<crate::postgres::rel_arg::RelArg>, "NULL"),
) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    run(Benchmark {
        relid: required("source", source)?.0,
        value_column: required("value_column", value_column)?,
        detectors,
        methods: required("methods", methods)?,
        seeds: required("seeds", seeds)?,
        count: required("count", count)?,
        length: required("length", length)?,
        time_column,
        series_column,
        name,
        start_time,
        end_time,
        label_column,
        label_windows: label_windows.map(|w| w.0),
    })
}

/// What a Citus worker runs for the coordinator's `benchmark` (`crate::benchmark::on_workers`):
/// the grid `request` describes on one series of a shard, at its single-node place
/// `series_index`; the evaluated cells as a JSON array. Not for direct use.
#[pg_extern(name = "_benchmark_series", volatile, parallel_safe)]
fn benchmark_series(
    key: Option<&str>,
    series_index: Option<i32>,
    ts: Option<Vec<Option<TimestampWithTimeZone>>>,
    value: Option<Vec<Option<f64>>>,
    request: Option<pgrx::JsonB>,
) -> Result<pgrx::JsonB, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let cells = crate::benchmark::on_workers::grid_on_worker(
        key,
        required("series_index", series_index)?,
        required("ts", ts)?,
        required("value", value)?,
        &required("request", request)?.0,
    )?;
    Ok(pgrx::JsonB(cells))
}
