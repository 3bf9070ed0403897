//! `anomdet.generate(...)`: a new table (a hypertable when TimescaleDB is installed) holding a
//! seeded synthetic series; registered in `anomdet.generated` and listed by `anomdet.datasets`.

use crate::error::{OrReport, internal, invalid_argument, required};
use anomdet_core::synth::{KINDS, Spec, generate as synthesize};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use serde_json::json;

const MAX_ROWS: i64 = 100_000_000;
const INSERT_CHUNK: usize = 50_000;

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

    let qualified = create_table(target, channels, series > 1)?;
    // A hypertable before the rows arrive, so they go straight into chunks (no migration).
    crate::postgres::tables::make_hypertable(&qualified)?;
    for s in 0..series as usize {
        let key = (series > 1).then(|| format!("s{}", s + 1));
        let values: Vec<Vec<f64>> =
            (0..channels as usize).map(|c| synthesize(&spec, seed, s, c, channels as usize)).collect();
        for from in (0..spec.length).step_by(INSERT_CHUNK) {
            pgrx::check_for_interrupts!();
            let to = (from + INSERT_CHUNK).min(spec.length);
            insert_rows(&qualified, start, step, from, to, key.as_deref(), &values)?;
        }
    }
    let info = json!({"kind": kind, "length": length, "every": every.to_string(), "period": spec.period,
        "amplitude": spec.amplitude, "noise": spec.noise, "trend": spec.trend, "level": spec.offset,
        "channels": channels, "series": series, "seed": seed, "coefficients": spec.coefficients});
    crate::postgres::sql::write(
        "INSERT INTO anomdet.generated (relid, relation, spec) VALUES ($1::pg_catalog.regclass, $1, $2)",
        &[qualified.as_str().into(), pgrx::JsonB(info).into()],
    )
    .or_report()?;
    Ok(qualified)
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

fn create_table(target: &str, channels: i32, keyed: bool) -> Result<String, ErrorReport> {
    let qualified = crate::postgres::tables::new_table_name(target, "choose a new name, or drop the old table")?;
    let mut cols = vec!["ts pg_catalog.timestamptz NOT NULL".to_string()];
    if keyed {
        cols.push("series pg_catalog.text NOT NULL".into());
    }
    if channels == 1 {
        cols.push("value pg_catalog.float8".into());
    } else {
        cols.extend((1..=channels).map(|c| format!("value_{c} pg_catalog.float8")));
    }
    crate::postgres::sql::write(&format!("CREATE TABLE {qualified} ({})", cols.join(", ")), &[]).or_report()?;
    Ok(qualified)
}

fn insert_rows(
    qualified: &str,
    start: i64,
    step: i64,
    from: usize,
    to: usize,
    key: Option<&str>,
    values: &[Vec<f64>],
) -> Result<(), ErrorReport> {
    let ts: Vec<TimestampWithTimeZone> = (from..to)
        .map(|i| TimestampWithTimeZone::try_from(start + step * i as i64).map_err(internal))
        .collect::<Result<_, _>>()?;
    // ts is $1, the series key $2 (typed text even when unused), channel c is $(c + 3).
    let unnests: Vec<String> =
        (0..values.len()).map(|c| format!("pg_catalog.unnest(${}::pg_catalog.float8[])", c + 3)).collect();
    let names: Vec<String> = (0..values.len()).map(|c| format!("c{c}")).collect();
    let sql = format!(
        "INSERT INTO {qualified} SELECT v.ts, {key}{cols} FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.timestamptz[]), {unnests}) AS v(ts, {names})",
        key = if key.is_some() { "$2, " } else { "" },
        cols = names.iter().map(|n| format!("v.{n}")).collect::<Vec<_>>().join(", "),
        unnests = unnests.join(", "),
        names = names.join(", "),
    );
    let mut args: Vec<pgrx::datum::DatumWithOid> = vec![ts.into(), key.into()];
    for column in values {
        args.push(column[from..to].to_vec().into());
    }
    crate::postgres::sql::write(&sql, &args).or_report()
}
