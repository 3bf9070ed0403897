//! The rows a scheduled run scores: per series, the rows after the watermark, and before them
//! the `lookback` rows that warm up a detector with no saved state. Both are read through the
//! one query of `postgres::series_select`.

use crate::postgres::relation::Source;
use crate::postgres::series_rows::{self, SeriesRows};
use crate::postgres::series_select::SeriesSelect;
use crate::postgres::timestamps::sql_literal;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::spi::{quote_identifier, quote_literal};

/// One series of a run: `warmup` rows at or before the watermark, then the new rows.
pub struct NewRows {
    pub rows: SeriesRows,
    pub warmup: usize,
}

/// Per series with new rows: every row after the watermark and, when `warm(series)` says it
/// needs them (no saved state), the last `lookback` rows at or before it; the values of
/// `columns`. A run reads what it needs, not the whole history (a time index serves both parts).
pub fn read(
    source: &Source,
    columns: &[String],
    watermark: Option<i64>,
    lookback: i64,
    warm: impl Fn(Option<&str>) -> bool,
) -> Result<Vec<NewRows>, ErrorReport> {
    let fresh = SeriesSelect { source, columns, row_ids: false, ordered: false, only: None, after: watermark };
    let new = series_rows::read_select(&fresh)?;
    let needing: Vec<Option<&str>> = new.iter().map(|s| s.key.as_deref()).filter(|&k| warm(k)).collect();
    let mut before = match watermark {
        Some(at) if lookback > 0 && !needing.is_empty() => {
            let select = SeriesSelect { after: None, ..fresh };
            series_rows::read_sql(&warmup_sql(&select, &needing, at, lookback), select.layout(), &source.qualified)?
        }
        _ => Vec::new(),
    };
    Ok(new
        .into_iter()
        .map(|rows| match before.iter().position(|b| b.key == rows.key) {
            Some(at) => {
                let mut joined = before.swap_remove(at);
                let warmup = joined.ts.len();
                joined.ts.extend(rows.ts);
                joined.tids.extend(rows.tids);
                for (column, new) in joined.values.iter_mut().zip(rows.values) {
                    column.extend(new);
                }
                NewRows { rows: joined, warmup }
            }
            None => NewRows { rows, warmup: 0 },
        })
        .collect())
}

/// The last `lookback` rows at or before `watermark` of each series in `keys`, newest first
/// per series with a LIMIT (the reader sorts them back into time order).
fn warmup_sql(select: &SeriesSelect<'_>, keys: &[Option<&str>], watermark: i64, lookback: i64) -> String {
    let source = select.source;
    let t = quote_identifier(&source.time_column);
    let of_series = match &source.series_column {
        Some(k) => format!(" AND {}::pg_catalog.text IS NOT DISTINCT FROM s.k", quote_identifier(k)),
        None => String::new(),
    };
    let keys: Vec<String> = keys.iter().map(|k| k.map_or_else(|| "NULL".to_string(), quote_literal)).collect();
    format!(
        "SELECT w.* FROM pg_catalog.unnest(ARRAY[{}]::pg_catalog.text[]) AS s(k) CROSS JOIN LATERAL ( \
           SELECT {} FROM {} WHERE {} AND {t} <= {}{of_series} ORDER BY {t} DESC LIMIT {lookback}) w",
        keys.join(", "),
        select.select_list(),
        source.qualified,
        select.condition(),
        sql_literal(watermark),
    )
}
