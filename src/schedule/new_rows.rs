//! The rows a scheduled run scores: per series, the rows after the watermark, and before them
//! the `lookback` rows that warm up a detector with no saved state.

use crate::error::{OrReport, internal};
use crate::postgres::relation::Source;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

pub struct NewRows {
    pub key: Option<String>,
    /// `warmup` rows at or before the watermark, then the new rows, in time order: their times
    /// and, per column read, their values.
    pub ts: Vec<i64>,
    pub values: Vec<Vec<Option<f64>>>,
    pub warmup: usize,
}

/// Per series: the last `lookback` rows at or before the watermark, and every row after it, the
/// values of `columns`. Series with a saved state of schedule `states_of` need no warm-up rows
/// (None: the catalog keeps no states).
pub fn read(
    source: &Source,
    columns: &[String],
    watermark: Option<TimestampWithTimeZone>,
    lookback: i64,
    states_of: Option<i64>,
) -> Result<Vec<NewRows>, ErrorReport> {
    let t = quote_identifier(&source.time_column);
    let v: Vec<String> = columns.iter().map(|c| format!("{}::pg_catalog.float8", quote_identifier(c))).collect();
    let v = v.join(", ");
    let rel = &source.qualified;
    let (key, same_series) = match &source.series_column {
        Some(k) => {
            let k = quote_identifier(k);
            (format!("{k}::pg_catalog.text"), format!(" AND {k}::pg_catalog.text IS NOT DISTINCT FROM s.k"))
        }
        None => ("NULL::pg_catalog.text".to_string(), String::new()),
    };
    // The new rows, then, only for series that have some and no saved state, the `lookback`
    // rows before the watermark, newest first with a LIMIT: a run reads what it needs, not the whole history
    // (a time index serves both parts). Warm-up rows sort before new ones within a series.
    let without_state = if states_of.is_some() {
        "WHERE NOT EXISTS (SELECT 1 FROM anomdet.detector_states st \
           WHERE st.job_id = $3 AND st.format = $4 AND st.series IS NOT DISTINCT FROM s.k)"
    } else {
        "WHERE $3::pg_catalog.int8 IS NULL AND $4::pg_catalog.int4 IS NOT NULL"
    };
    let sql = format!(
        "WITH fresh AS ( \
           SELECT false AS warm, {key} AS k, {t}::pg_catalog.timestamptz AS ts, {v} FROM {rel} \
            WHERE {t} IS NOT NULL AND ($1 IS NULL OR {t} > $1)) \
         SELECT * FROM fresh \
         UNION ALL \
         SELECT w.* FROM (SELECT DISTINCT k FROM fresh) s CROSS JOIN LATERAL ( \
           SELECT true AS warm, {key} AS k, {t}::pg_catalog.timestamptz AS ts, {v} FROM {rel} \
            WHERE $1 IS NOT NULL AND {t} <= $1{same_series} ORDER BY {t} DESC LIMIT $2) w \
         {without_state} \
         ORDER BY 2, 3"
    );
    Spi::connect(|client| {
        let rows = client
            .select(
                &sql,
                None,
                &[watermark.into(), lookback.into(), states_of.into(), anomdet_core::state::FORMAT.into()],
            )
            .or_report()?;
        let mut out: Vec<NewRows> = Vec::new();
        for row in rows {
            let warm: bool = row.get(1).or_report()?.unwrap_or(false);
            let key: Option<String> = row.get(2).or_report()?;
            let ts: i64 = row
                .get::<TimestampWithTimeZone>(3)
                .or_report()?
                .map(|t| t.into_inner())
                .ok_or_else(|| internal("NULL time"))?;
            if out.last().is_none_or(|s| s.key != key) {
                out.push(NewRows { key, ts: Vec::new(), values: vec![Vec::new(); columns.len()], warmup: 0 });
            }
            let Some(series) = out.last_mut() else { return Err(internal("no series in progress")) };
            series.ts.push(ts);
            for (c, column) in series.values.iter_mut().enumerate() {
                column.push(row.get::<f64>(4 + c).or_report()?);
            }
            if warm {
                series.warmup += 1;
            }
        }
        Ok(out)
    })
}
