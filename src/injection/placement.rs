//! Where an injection goes: a time span (AnomDet's timestamp + duration) or random positions
//! (a count or a percentage of the rows, in spans of `length` rows), seeded.

use crate::error::invalid_argument;
use crate::postgres::series_rows::SeriesRows;
use anomdet_core::inject::{place_random, placement_rng};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::ops::Range;

pub enum Placement {
    /// Rows with start <= ts < end (microseconds); `end == None`: the first row at or after start.
    /// A method with a fixed length takes that many rows from the start of the window; a
    /// window with fewer rows than the method needs is an error.
    Time { start: i64, end: Option<i64>, fixed: Option<usize>, min: usize },
    /// `count` spans of `length` rows per series.
    Count { count: usize, length: usize },
    /// Spans of `length` rows covering about `percent` % of each series' rows (at least one span).
    Percent { percent: f64, length: usize },
}

impl Placement {
    /// Build from the SQL arguments; exactly one way of placing must be given.
    pub fn from_args(
        start_time: Option<TimestampWithTimeZone>,
        duration: Option<Interval>,
        count: Option<i32>,
        percent: Option<f64>,
        length: i32,
        fixed_length: Option<usize>,
        min_length: usize,
    ) -> Result<Placement, ErrorReport> {
        let given = [start_time.is_some(), count.is_some(), percent.is_some()].iter().filter(|&&g| g).count();
        if given != 1 {
            return Err(invalid_argument(
                "placement: give exactly one of start_time (with duration), count or percent",
                "e.g. start_time => '2024-01-01 10:00', duration => '30 minutes', or count => 5, or percent => 1",
            ));
        }
        if duration.is_some() && start_time.is_none() {
            return Err(invalid_argument("duration: only meaningful with start_time", "pass start_time as well"));
        }
        if let Some(start) = start_time {
            let start: i64 = start.into_inner();
            let end = match duration {
                None => None,
                Some(d) => {
                    if d.micros() < 0 || d.days() < 0 || d.months() < 0 {
                        return Err(invalid_argument(
                            format!("duration: must not be negative, got {d}"),
                            "pass a positive interval",
                        ));
                    }
                    if d.months() != 0 {
                        return Err(invalid_argument("duration: months are not a fixed length", "use days instead"));
                    }
                    Some(start + d.micros() + i64::from(d.days()) * 86_400_000_000)
                }
            };
            return Ok(Placement::Time { start, end, fixed: fixed_length, min: min_length });
        }
        if length < 1 {
            return Err(invalid_argument(
                format!("length: must be at least 1 row, got {length}"),
                "length is rows per span",
            ));
        }
        let length = fixed_length.unwrap_or(length as usize);
        if length < min_length {
            return Err(invalid_argument(
                format!("length: this method needs spans of at least {min_length} rows, got {length}"),
                format!("pass length => {min_length} or more"),
            ));
        }
        if let Some(count) = count {
            if count < 1 {
                return Err(invalid_argument(
                    format!("count: must be at least 1, got {count}"),
                    "count is spans per series",
                ));
            }
            return Ok(Placement::Count { count: count as usize, length });
        }
        let percent = percent.unwrap_or_default();
        if !(percent > 0.0 && percent <= 100.0) {
            return Err(invalid_argument(
                format!("percent: must be in (0, 100], got {percent}"),
                "percent of each series' rows",
            ));
        }
        Ok(Placement::Percent { percent, length })
    }

    pub fn describe(&self) -> String {
        match self {
            Placement::Time { start, end: None, .. } => {
                format!("the first row at or after {}", crate::postgres::timestamps::format_ts(*start))
            }
            Placement::Time { start, end: Some(end), .. } => {
                format!(
                    "the time span [{}, {})",
                    crate::postgres::timestamps::format_ts(*start),
                    crate::postgres::timestamps::format_ts(*end)
                )
            }
            Placement::Count { count, length } => format!("{count} spans of {length} rows"),
            Placement::Percent { percent, length } => format!("{percent}% of the rows in spans of {length}"),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Placement::Time { start, end, .. } => serde_json::json!({
                "start_time": crate::postgres::timestamps::iso_utc(*start),
                "end_time": end.map(crate::postgres::timestamps::iso_utc),
            }),
            Placement::Count { count, length } => serde_json::json!({"count": count, "length": length}),
            Placement::Percent { percent, length } => serde_json::json!({"percent": percent, "length": length}),
        }
    }

    /// The spans of one series (index `s`), in row order.
    pub fn spans(&self, rows: &SeriesRows, s: usize, seed: i64) -> Result<Vec<Range<usize>>, ErrorReport> {
        let n = rows.ts.len();
        let random = |count: usize, length: usize| {
            place_random(n, count, length, &mut placement_rng(seed, s)).map_err(|e| {
                invalid_argument(
                    format!("placement: {e}{}", rows.label()),
                    "ask for fewer or shorter spans, or a smaller percent",
                )
            })
        };
        match *self {
            Placement::Time { start, end, fixed, min } => {
                let from = rows.ts.partition_point(|&t| t < start);
                let mut to = match end {
                    None => (from + fixed.unwrap_or(1).max(min)).min(n),
                    Some(end) => rows.ts.partition_point(|&t| t < end),
                };
                if let Some(fixed) = fixed {
                    to = to.min(from + fixed);
                }
                if to > from && to - from < min {
                    return Err(invalid_argument(
                        format!(
                            "duration: the time span holds {} rows{}, this method needs at least {min}",
                            to - from,
                            rows.label()
                        ),
                        "pass a longer duration",
                    ));
                }
                Ok((to > from).then_some(from..to).into_iter().collect())
            }
            Placement::Count { count, length } => random(count, length),
            Placement::Percent { percent, length } => {
                let count = ((n as f64 * percent / 100.0 / length as f64).round() as usize).max(1);
                random(count, length)
            }
        }
    }
}
