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
