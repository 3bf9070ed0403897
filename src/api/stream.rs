//! `run_stream`: replay a table into a new one at a speed-up, scoring each row as it arrives.

use crate::postgres::json_arg::JsonArg;
use crate::postgres::rel_arg::RelArg;
use crate::stream::start::{StreamArgs, start};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Start a stream job: replay `source` into the new table `target` at `speedup` × the recorded
/// cadence (NULL: as fast as possible), scoring every row online as it arrives; `inject`
/// plants labelled anomalies in the replayed values.
#[allow(clippy::too_many_arguments)]
#[pg_extern(name = "run_stream", volatile, parallel_unsafe)]
pub(super) fn run_stream_with_model(
    source: Option<RelArg>,
    value_column: Option<&str>,
    target: Option<&str>,
    detector: default!(Option<&str>, "'zscore'"),
    params: default!(Option<JsonArg>, "'{}'"),
    speedup: default!(Option<f64>, "NULL"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    name: default!(Option<&str>, "NULL"),
    inject: default!(Option<JsonArg>, "NULL"),
    model: default!(Option<&str>, "NULL"),
) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    start(StreamArgs {
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
        model,
    })
}
