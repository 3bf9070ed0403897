//! `anomdet.detect(...)`: score a table ad hoc and return every row with its score.

use crate::error::required;
use crate::pipeline::plan::{ScoredRow, Sink};
use crate::postgres::json_arg::JsonArg;
use crate::score_request::SqlScoreArgs;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// ts, series, value, score, probability, is_anomaly, expected, lower_bound, upper_bound.
pub(super) type DetectRow = (
    TimestampWithTimeZone,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<bool>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// Collects rows for the result set.
#[derive(Default)]
struct Collect {
    rows: Vec<DetectRow>,
    only_anomalies: bool,
}

impl Sink for Collect {
    fn reset(&mut self) {
        self.rows.clear();
    }

    fn accept(&mut self, series: Option<&str>, rows: &[ScoredRow]) -> Result<(), ErrorReport> {
        self.rows.reserve(rows.len());
        for r in rows {
            if self.only_anomalies && r.scored.is_anomaly != Some(true) {
                continue;
            }
            let ts = TimestampWithTimeZone::try_from(r.ts).map_err(crate::error::internal)?;
            let s = r.scored;
            self.rows.push((
                ts,
                series.map(str::to_owned),
                r.value,
                s.score,
                s.probability,
                s.is_anomaly,
                s.expected,
                s.lower,
                s.upper,
            ));
        }
        Ok(())
    }
}

/// Score `value_column` of `source` with a detector and return one row per source row, with
/// the calibrated anomaly probability of each score.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[pg_extern(name = "detect", volatile, parallel_restricted)]
pub(super) fn detect_with_probability(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    detector: default!(Option<&str>, "'zscore'"),
    params: default!(Option<JsonArg>, "'{}'"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    mode: default!(Option<&str>, "'batch'"),
    on_invalid: default!(Option<&str>, "'skip'"),
    on_duplicate: default!(Option<&str>, "'error'"),
    only_anomalies: default!(Option<bool>, "false"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    lookback: default!(Option<i64>, "1000"),
    model: default!(Option<&str>, "NULL"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(ts, TimestampWithTimeZone),
            name!(series, Option<String>),
            name!(value, Option<f64>),
            name!(score, Option<f64>),
            name!(probability, Option<f64>),
            name!(is_anomaly, Option<bool>),
            name!(expected, Option<f64>),
            name!(lower_bound, Option<f64>),
            name!(upper_bound, Option<f64>),
        ),
    >,
    ErrorReport,
> {
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
        start_time,
        end_time,
        lookback,
        model,
    };
    detect_rows(args, only_anomalies).map(TableIterator::new)
}

/// The rows of `detect`, for it and for the symbols of older versions.
pub(super) fn detect_rows(args: SqlScoreArgs<'_>, only_anomalies: Option<bool>) -> Result<Vec<DetectRow>, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let (source, parts) = args.prepare()?;
    let mut sink = Collect { rows: Vec::new(), only_anomalies: required("only_anomalies", only_anomalies)? };
    let estimate = crate::postgres::row_estimate::rows_of(&source);
    let mut progress = crate::progress::Progress::start("detect", "rows", estimate, Some(source.relid))
        .every(crate::progress::ROWS_BETWEEN_REPORTS);
    parts.with_source(&source).run(&mut sink, &mut progress)?;
    Ok(sink.rows)
}
