//! Writing a generated table: a new table (a hypertable when TimescaleDB is installed) holding
//! seeded synthetic series, registered in `anomdet.generated` (listed by `anomdet.datasets`).

use crate::error::{OrReport, internal};
use anomdet_core::synth::{Spec, generate as synthesize};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use serde_json::json;

const INSERT_CHUNK: usize = 50_000;

/// A checked generation request.
pub struct Generation<'a> {
    pub target: &'a str,
    pub spec: Spec,
    pub channels: i32,
    pub series: i32,
    pub seed: i64,
    /// The first row's time and the step between rows, in microseconds.
    pub start: i64,
    pub step: i64,
    /// The interval as the caller gave it, for the catalog.
    pub every: String,
}

/// Create and fill the table; returns its qualified name.
pub fn generate(g: &Generation<'_>) -> Result<String, ErrorReport> {
    let Generation { target, spec, channels, series, seed, start, step, every } = g;
    let (channels, series, seed, start, step) = (*channels, *series, *seed, *start, *step);
    let qualified = create_table(target, channels, series > 1)?;
    // A hypertable before the rows arrive, so they go straight into chunks (no migration).
    crate::postgres::tables::make_hypertable(&qualified)?;
    for s in 0..series as usize {
        let key = (series > 1).then(|| format!("s{}", s + 1));
        let values: Vec<Vec<f64>> =
            (0..channels as usize).map(|c| synthesize(spec, seed, s, c, channels as usize)).collect();
        for from in (0..spec.length).step_by(INSERT_CHUNK) {
            pgrx::check_for_interrupts!();
            let to = (from + INSERT_CHUNK).min(spec.length);
            insert_rows(&qualified, start, step, from, to, key.as_deref(), &values)?;
        }
    }
    let info = json!({"kind": spec.kind, "length": spec.length, "every": every, "period": spec.period,
        "amplitude": spec.amplitude, "noise": spec.noise, "trend": spec.trend, "level": spec.offset,
        "channels": channels, "series": series, "seed": seed, "coefficients": spec.coefficients});
    crate::postgres::sql::write(
        "INSERT INTO anomdet.generated (relid, relation, spec) VALUES ($1::pg_catalog.regclass, $1, $2)",
        &[qualified.as_str().into(), pgrx::JsonB(info).into()],
    )
    .or_report()?;
    Ok(qualified)
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
