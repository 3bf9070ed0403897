//! `anomdet.generate(...)`: a new table (a hypertable when TimescaleDB is installed) holding a
//! seeded synthetic series; registered in `anomdet.generated` and listed by `anomdet.datasets`.

use crate::error::{invalid_argument, required};
use anomdet_core::synth::{KINDS, Spec};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

const MAX_ROWS: i64 = 100_000_000;

/// Create table `target` with columns ts, [series,] value (or value_1..value_k for channels).
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe)]
fn generate(
    target: Option<&str>,
    kind: default!(Option<&str>, "'sine'"),
    length: default!(Option<i32>, "10000"),
    every: default!(Option<Interval>, "'1 minute'"),
    period: default!(Option<f64>, "100"),
    amplitude: default!(Option<f64>, "1"),
    noise: default!(Option<f64>, "0"),
    trend: default!(Option<f64>, "0"),
    level: default!(Option<f64>, "0"),
    channels: default!(Option<i32>, "1"),
    series: default!(Option<i32>, "1"),
    seed: default!(Option<i64>, "0"),
    start_time: default!(Option<TimestampWithTimeZone>, "'2024-01-01 00:00:00+00'"),
    coefficients: default!(Option<Vec<Option<f64>>>, "'{0,1}'"),
) -> Result<String, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let target = required("target", target)?;
    let kind = required("kind", kind)?;
    if !KINDS.contains(&kind) {
        return Err(invalid_argument(
            format!("kind: unknown signal \"{kind}\""),
            format!("kinds: {}", KINDS.join(", ")),
        ));
    }
    let length = required("length", length)?;
    let (channels, series) = (required("channels", channels)?, required("series", series)?);
    if length < 1 || channels < 1 || series < 1 {
        return Err(invalid_argument("length, channels and series must each be at least 1", "e.g. length => 10000"));
    }
    if i64::from(length) * i64::from(series) > MAX_ROWS || channels > 100 {
        return Err(invalid_argument(
            format!(
                "length × series is {} rows; at most {MAX_ROWS}, and at most 100 channels",
                i64::from(length) * i64::from(series)
            ),
            "generate a smaller table",
        ));
    }
    let every = required("every", every)?;
    if every.months() != 0 || every.days() < 0 || every.micros() < 0 || (every.days() == 0 && every.micros() == 0) {
        return Err(invalid_argument(
            format!("every: must be a positive interval of days or less, got {every}"),
            "e.g. every => '10 seconds'",
        ));
    }
    let step = every.micros() + i64::from(every.days()) * 86_400_000_000;
    let spec = Spec {
        kind: kind.to_string(),
        length: length as usize,
        period: positive("period", required("period", period)?)?,
        amplitude: finite("amplitude", required("amplitude", amplitude)?)?,
        noise: finite("noise", required("noise", noise)?)?,
        trend: finite("trend", required("trend", trend)?)?,
        offset: finite("level", required("level", level)?)?,
        coefficients: required("coefficients", coefficients)?.into_iter().map(|c| c.unwrap_or(0.0)).collect(),
    };
    if spec.noise < 0.0 {
        return Err(invalid_argument(
            format!("noise: must not be negative, got {}", spec.noise),
            "noise is a standard deviation",
        ));
    }
    let seed = required("seed", seed)?;
    let start_time = required("start_time", start_time)?;
    if start_time.is_infinity() || start_time.is_neg_infinity() {
        return Err(invalid_argument(
            format!("start_time: must be a finite time, got {start_time}"),
            "e.g. '2024-01-01'",
        ));
    }
    let start: i64 = start_time.into_inner();
    // The last row's time must exist too: a timestamptz ends in 294276 AD.
    let last = step.checked_mul(i64::from(length) - 1).and_then(|span| start.checked_add(span));
    if last.and_then(|t| TimestampWithTimeZone::try_from(t).ok()).is_none_or(|t| t.is_infinity()) {
        return Err(crate::error::error(
            crate::error::Code::ERRCODE_DATETIME_FIELD_OVERFLOW,
            format!(
                "start_time, every, length: {length} rows every {every} from {start_time} end beyond the timestamp range"
            ),
            "start earlier, or use fewer rows or a shorter interval",
        ));
    }

    crate::generated::generate(&crate::generated::Generation {
        target,
        spec,
        channels,
        series,
        seed,
        start,
        step,
        every: every.to_string(),
    })
}

fn positive(name: &str, v: f64) -> Result<f64, ErrorReport> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(invalid_argument(format!("{name}: must be a positive number, got {v}"), "e.g. 100 rows"))
    }
}

fn finite(name: &str, v: f64) -> Result<f64, ErrorReport> {
    if v.is_finite() { Ok(v) } else { Err(invalid_argument(format!("{name}: must be a finite number, got {v}"), "")) }
}
