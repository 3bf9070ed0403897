//! `anomdet.detect(...)`: score a table ad hoc and return every row with its score.

use crate::error::required;
use crate::pipeline::plan::{ScoredRow, Sink};
use crate::postgres::json_arg::JsonArg;
use crate::postgres::materialized::{Materialized, boolean, float8};
use crate::score_request::SqlScoreArgs;
use anomdet_core::detector::ProbabilityFor;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Writes scored rows into the call's result set as they come (`postgres::materialized`):
/// ts, series, value, score, probability, is_anomaly, expected, lower_bound, upper_bound — or,
/// for 0.2.0's definition, the same without probability.
pub(super) struct ResultRows {
    pub(super) out: Materialized,
    pub(super) only_anomalies: bool,
    /// The rows have a probability column (0.2.0's have none).
    pub(super) with_probability: bool,
    /// Someone reads it: else it is left NULL and never worked out (a streamed query that
    /// does not read it; a call keeps no state, so nothing else would see it).
    pub(super) probability_read: bool,
}

impl Sink for ResultRows {
    fn reset(&mut self) {
        self.out.clear();
    }

    fn keeps_only_anomalies(&self) -> bool {
        self.only_anomalies
    }

    fn probability_for(&self) -> ProbabilityFor {
        match (self.with_probability && self.probability_read, self.only_anomalies) {
            (false, _) => ProbabilityFor::NoRow,
            (true, true) => ProbabilityFor::FlaggedRows,
            (true, false) => ProbabilityFor::EveryRow,
        }
    }

    fn accept(&mut self, series: Option<&str>, rows: &[ScoredRow]) -> Result<(), ErrorReport> {
        // One text datum for the whole chunk (a chunk is one series).
        let series_datum = series.and_then(|k| k.into_datum());
        let series_cell = (series_datum.unwrap_or_else(pg_sys::Datum::null), series_datum.is_none());
        for r in rows {
            if self.only_anomalies && r.scored.is_anomaly != Some(true) {
                continue;
            }
            let cells = row_cells(series_cell, r);
            if self.with_probability {
                self.out.put(&cells.map(|c| c.0), &cells.map(|c| c.1));
            } else {
                let without: [(pg_sys::Datum, bool); 8] =
                    [cells[0], cells[1], cells[2], cells[3], cells[5], cells[6], cells[7], cells[8]];
                self.out.put(&without.map(|c| c.0), &without.map(|c| c.1));
            }
        }
        if let Some(d) = series_datum {
            unsafe { pg_sys::pfree(d.cast_mut_ptr()) };
        }
        Ok(())
    }
}

/// One row of `detect`'s result, its nine columns as (datum, is NULL): ts, series, value, score,
/// probability, is_anomaly, expected, lower_bound, upper_bound.
pub(super) fn row_cells(series: (pg_sys::Datum, bool), r: &ScoredRow) -> [(pg_sys::Datum, bool); 9] {
    std::array::from_fn(|column| row_cell(column, series, r))
}

/// Column `column` (0-based) of `row_cells`, alone: a query may read only some.
pub(super) fn row_cell(column: usize, series: (pg_sys::Datum, bool), r: &ScoredRow) -> (pg_sys::Datum, bool) {
    let s = &r.scored;
    match column {
        // A timestamptz is its microseconds, passed by value; `ts` was read from one.
        0 => (pg_sys::Datum::from(r.ts), false),
        1 => series,
        2 => float8(r.value),
        3 => float8(s.score),
        4 => float8(s.probability),
        5 => boolean(s.is_anomaly),
        6 => float8(s.expected),
        7 => float8(s.lower),
        _ => float8(s.upper),
    }
}

/// Score `value_column` of `source` with a detector and return one row per source row, with
/// the calibrated anomaly probability of each score.
#[allow(clippy::too_many_arguments)]
// The definition is written out: its rows leave in materialize mode, which pgrx's generated
// definitions do not declare (`sql/anomdet--0.2.0--0.3.0.sql` has the same).
#[pg_extern(
    name = "detect",
    sql = r#"
CREATE FUNCTION "detect"(
	"source" regclass,
	"value_column" TEXT,
	"detector" TEXT DEFAULT 'zscore',
	"params" jsonb DEFAULT '{}',
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"mode" TEXT DEFAULT 'batch',
	"on_invalid" TEXT DEFAULT 'skip',
	"on_duplicate" TEXT DEFAULT 'error',
	"only_anomalies" bool DEFAULT false,
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL,
	"lookback" bigint DEFAULT 1000,
	"model" TEXT DEFAULT NULL
) RETURNS TABLE (
	"ts" timestamp with time zone,
	"series" TEXT,
	"value" double precision,
	"score" double precision,
	"probability" double precision,
	"is_anomaly" bool,
	"expected" double precision,
	"lower_bound" double precision,
	"upper_bound" double precision
)
VOLATILE PARALLEL RESTRICTED
SUPPORT "_detect_planner_support"
LANGUAGE c
AS 'MODULE_PATHNAME', 'detect_materialized_wrapper';
"#,
    requires = [detect_streamed::detect_planner_support]
)]
fn detect_materialized(
    fcinfo: pg_sys::FunctionCallInfo,
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
        start_time,
        end_time,
        lookback,
        model,
    };
    // SAFETY: the call's own fcinfo, of a function declared to return a set of rows.
    unsafe { detect_into(fcinfo, args, only_anomalies, true) }
}

/// Scores as `detect` asks and writes the rows into the call's result set; for it and for
/// 0.2.0's symbol (`with_probability` false: 0.2.0's rows have no probability column).
///
/// # Safety
/// `fcinfo` must be the call's own, of a function returning `detect`'s rows.
pub(super) unsafe fn detect_into(
    fcinfo: pg_sys::FunctionCallInfo,
    args: SqlScoreArgs<'_>,
    only_anomalies: Option<bool>,
    with_probability: bool,
) -> Result<(), ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let only_anomalies = required("only_anomalies", only_anomalies)?;
    let (source, parts) = args.prepare()?;
    let columns = if with_probability { 9 } else { 8 };
    let out = unsafe { Materialized::start(fcinfo, columns)? };
    let mut sink = ResultRows { out, only_anomalies, with_probability, probability_read: with_probability };
    let estimate = crate::postgres::row_estimate::rows_of(&source);
    let mut progress = crate::progress::Progress::start("detect", "rows", estimate, Some(source.relid))
        .every(crate::progress::ROWS_BETWEEN_REPORTS);
    crate::pipeline::pushdown::score_where_rows_live(&parts.with_source(&source), &mut sink, &mut progress).map(|_| ())
}
