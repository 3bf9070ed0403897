//! A time range on a source (`start_time`, `end_time`): only the rows in it are returned, and
//! the rows read are bounded by constants the planner sees, so a hypertable's chunks (or a
//! partitioned table's partitions) outside the range are never opened. Detection also reads
//! up to `lookback` rows per series before the start to warm the detector up; those are
//! scored but not returned.

use crate::error::{OrReport, internal, invalid_argument};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// What a source's reads are bounded by, as microseconds since 2000-01-01 UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// The first row read (the start, or earlier for warm-up rows).
    pub read_from: Option<i64>,
    /// The first row returned.
    pub start: Option<i64>,
    /// Rows at or after this are not read.
    pub end: Option<i64>,
}

impl TimeRange {
    /// Check the arguments (`end_time` after `start_time`); warm-up comes with `with_lookback`.
    pub fn from_args(
        start: Option<TimestampWithTimeZone>,
        end: Option<TimestampWithTimeZone>,
    ) -> Result<TimeRange, ErrorReport> {
        let (start, end) = (start.map(|t| t.into_inner()), end.map(|t| t.into_inner()));
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            return Err(invalid_argument(
                "end_time: must be later than start_time",
                "the range is start_time <= ts < end_time",
            ));
        }
        Ok(TimeRange { read_from: start, start, end })
    }

    pub fn is_whole(&self) -> bool {
        self.read_from.is_none() && self.end.is_none()
    }

    /// ` AND t >= '…' AND t < '…'` for a query over `time_column` (quoted inside), constants
    /// the planner can exclude partitions and chunks with.
    pub fn sql(&self, time_column: &str) -> String {
        let t = quote_identifier(time_column);
        let mut out = String::new();
        if let Some(from) = self.read_from {
            out.push_str(&format!(" AND {t} >= {}", crate::postgres::timestamps::sql_literal(from)));
        }
        if let Some(end) = self.end {
            out.push_str(&format!(" AND {t} < {}", crate::postgres::timestamps::sql_literal(end)));
        }
        out
    }

    /// Whether a row at `ts` is returned (warm-up rows are not).
    pub fn keeps(&self, ts: i64) -> bool {
        self.start.is_none_or(|s| ts >= s)
    }

    /// Move `read_from` back so each series has up to `lookback` rows before the start: the
    /// timestamp of the (lookback × series)-th row before it, found through the time index.
    /// With the series interleaved in time, as metrics are, each gets about `lookback` rows.
    /// `relation` is quoted and qualified; the column names are quoted here.
    pub fn with_lookback(
        mut self,
        relation: &str,
        time_column: &str,
        series_column: Option<&str>,
        lookback: i64,
    ) -> Result<TimeRange, ErrorReport> {
        if !(0..=10_000_000).contains(&lookback) {
            return Err(invalid_argument(
                format!("lookback: must be a row count in [0, 10000000], got {lookback}"),
                "the rows before start_time that warm the detector up; default 1000",
            ));
        }
        let Some(start) = self.start.filter(|_| lookback > 0) else { return Ok(self) };
        let t = quote_identifier(time_column);
        let series = match series_column {
            None => 1,
            Some(k) => crate::postgres::sql::read_one::<i64>(
                &format!(
                    "SELECT pg_catalog.count(DISTINCT {}) FROM {} WHERE {t} IS NOT NULL{}",
                    quote_identifier(k),
                    relation,
                    self.sql(time_column)
                ),
                &[],
            )
            .or_report()?
            .unwrap_or(1)
            .max(1),
        };
        let offset = (lookback * series - 1).max(0);
        let earliest = crate::postgres::sql::read_one::<TimestampWithTimeZone>(
            &format!(
                "SELECT {t}::pg_catalog.timestamptz FROM {relation} WHERE {t} < {} ORDER BY {t} DESC OFFSET {offset} LIMIT 1",
                crate::postgres::timestamps::sql_literal(start)
            ),
            &[],
        );
        self.read_from = match earliest {
            Ok(Some(t)) => Some(t.into_inner()),
            // Fewer rows than that before the start: read them all.
            Ok(None) | Err(pgrx::spi::SpiError::InvalidPosition) => None,
            Err(e) => return Err(internal(e)),
        };
        Ok(self)
    }
}
