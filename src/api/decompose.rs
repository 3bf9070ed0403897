//! `anomdet.decompose(...)`: the robust STL components of each series, as columns, so the
//! trend and season behind the `stl` detector's scores can be plotted or reused in SQL.

use crate::error::{Code, error, invalid_argument, required};
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

type Row = (TimestampWithTimeZone, Option<String>, Option<f64>, Option<f64>, Option<f64>, Option<f64>, i32);

/// Decompose `value_column` of `source` into trend, season and residual (robust STL).
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[pg_extern(stable, parallel_restricted)]
fn decompose(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    period: default!(Option<i32>, "0"),
    seasonal: default!(Option<i32>, "0"),
    robust: default!(Option<bool>, "true"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(ts, TimestampWithTimeZone),
            name!(series, Option<String>),
            name!(value, Option<f64>),
            name!(trend, Option<f64>),
            name!(seasonal, Option<f64>),
            name!(residual, Option<f64>),
            name!(period, i32),
        ),
    >,
    ErrorReport,
> {
    let _path = crate::postgres::search_path::pin();
    let relid = required("source", source)?.0;
    let value_column = required("value_column", value_column)?;
    let period = required("period", period)?;
    let seasonal = required("seasonal", seasonal)?;
    let robust = required("robust", robust)?;
    if !(0..=1_000_000).contains(&period) || period == 1 {
        return Err(invalid_argument(
            format!("period: {period} is not a season length"),
            "give the season in rows (at least 2), or 0 to find it from the autocorrelation",
        ));
    }
    if seasonal != 0 && !(3..=1_000_001).contains(&seasonal) {
        return Err(invalid_argument(
            format!("seasonal: {seasonal} is outside 0 or [3, 1000001]"),
            "0: a periodic season (every cycle the same); else the seasonal smoother in cycles, e.g. 7",
        ));
    }
    let source = Source::resolve(relid, value_column, time_column, series_column)?;
    let mut out: Vec<Row> = Vec::new();
    for rows in series_rows::read(&source, &[value_column.to_string()], None)? {
        let values = &rows.values[0];
        // NULL and non-finite values are left out of the decomposition and get NULL components.
        let valid: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        let label = crate::pipeline::plan::series_label(rows.key.as_deref());
        let found = anomdet_core::seasonal::period_of(&valid, period as usize).ok_or_else(|| {
            if period >= 2 {
                error(
                    Code::ERRCODE_DATA_EXCEPTION,
                    format!(
                        "{}{label} has {} usable values, fewer than two periods of {period}",
                        source.qualified,
                        valid.len()
                    ),
                    "use a shorter period or a longer series",
                )
            } else {
                error(
                    Code::ERRCODE_DATA_EXCEPTION,
                    format!(
                        "{}{label}: no season found by autocorrelation (periods up to 3,333 rows)",
                        source.qualified
                    ),
                    "pass period => the season length in rows",
                )
            }
        })?;
        let window = (seasonal > 0).then_some(seasonal as usize);
        let parts = anomdet_core::stl::stl(&valid, found, window, robust);
        let mut next = 0;
        for (&ts, &value) in rows.ts.iter().zip(values) {
            let ts = TimestampWithTimeZone::try_from(ts).map_err(crate::error::internal)?;
            let (trend, season, residual) = if value.is_some_and(f64::is_finite) {
                next += 1;
                (Some(parts.trend[next - 1]), Some(parts.seasonal[next - 1]), Some(parts.residual[next - 1]))
            } else {
                (None, None, None)
            };
            out.push((ts, rows.key.clone(), value, trend, season, residual, found as i32));
        }
    }
    Ok(TableIterator::new(out))
}
