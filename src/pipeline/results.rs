//! The one writer of `anomdet.results`: a chunk of scored rows of a job in one INSERT (arrays
//! unnested), optionally announcing each anomaly event on `anomdet_alerts`, at its first row, in
//! the same statement (the notifications are delivered at commit).

use crate::error::{OrReport, internal};
use anomdet_core::Scored;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// The channel a flagged row is announced on (`LISTEN anomdet_alerts`).
pub const ALERT_CHANNEL: &str = "anomdet_alerts";

/// Scored rows of one job, column by column.
#[derive(Default)]
pub struct ResultRows<'a> {
    pub series: Vec<Option<&'a str>>,
    pub ts: Vec<i64>,
    pub values: Vec<Option<f64>>,
    pub scored: Vec<Scored>,
    /// Milliseconds from a row's arrival to its score being written (streams only).
    pub latency_ms: Option<Vec<f64>>,
    /// Each column's share of a row's score, as JSON text (multivariate models only).
    pub contributions: Option<Vec<Option<String>>>,
    /// The rows that start an anomaly event (see `events`): the ones announced.
    pub event_starts: Vec<bool>,
}

impl<'a> ResultRows<'a> {
    pub fn with_capacity(n: usize) -> ResultRows<'a> {
        ResultRows {
            series: Vec::with_capacity(n),
            ts: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            scored: Vec::with_capacity(n),
            latency_ms: None,
            contributions: None,
            event_starts: Vec::new(),
        }
    }

    pub fn push(&mut self, series: Option<&'a str>, ts: i64, value: Option<f64>, scored: Scored) {
        self.series.push(series);
        self.ts.push(ts);
        self.values.push(value);
        self.scored.push(scored);
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }
}

/// Announce the events that start in the rows written, naming the detector in each payload.
pub struct Alerts<'a> {
    pub detector: &'a str,
}

/// Insert the rows under `job_id`.
pub fn write(job_id: i64, rows: &ResultRows<'_>, alerts: Option<&Alerts<'_>>) -> Result<(), ErrorReport> {
    if rows.is_empty() {
        return Ok(());
    }
    pgrx::check_for_interrupts!();
    let stamps: Vec<TimestampWithTimeZone> =
        rows.ts.iter().map(|&t| TimestampWithTimeZone::try_from(t)).collect::<Result<_, _>>().map_err(internal)?;
    let pick = |f: fn(&Scored) -> Option<f64>| rows.scored.iter().map(f).collect::<Vec<_>>();
    let flags: Vec<Option<bool>> = rows.scored.iter().map(|s| s.is_anomaly).collect();
    let mut args: Vec<pgrx::datum::DatumWithOid> = vec![
        job_id.into(),
        rows.series.clone().into(),
        stamps.into(),
        rows.values.clone().into(),
        pick(|s| s.score).into(),
        flags.into(),
        pick(|s| s.expected).into(),
        pick(|s| s.lower).into(),
        pick(|s| s.upper).into(),
        rows.latency_ms.clone().into(),
        rows.contributions.clone().unwrap_or_default().into(),
    ];
    // The contributions column only when there are some, the probability column only when the
    // catalog has it: a database still on 0.2.0's catalog (the new library installed, ALTER
    // EXTENSION UPDATE not yet run) has neither.
    let (shares_column, shares_value) = match rows.contributions {
        Some(_) => (", contributions", ", contributions::pg_catalog.jsonb"),
        None => ("", ""),
    };
    let (chance_column, chance_value) = match crate::postgres::tables::has_column("anomdet.results", "probability")? {
        true => (", probability", ", probability"),
        false => ("", ""),
    };
    let input = "SELECT * FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), \
           pg_catalog.unnest($3::pg_catalog.timestamptz[]), pg_catalog.unnest($4::pg_catalog.float8[]), \
           pg_catalog.unnest($5::pg_catalog.float8[]), pg_catalog.unnest($6::pg_catalog.bool[]), \
           pg_catalog.unnest($7::pg_catalog.float8[]), pg_catalog.unnest($8::pg_catalog.float8[]), \
           pg_catalog.unnest($9::pg_catalog.float8[]), pg_catalog.unnest($10::pg_catalog.float8[]), \
           pg_catalog.unnest($11::pg_catalog.text[]), pg_catalog.unnest($14::pg_catalog.bool[]), \
           pg_catalog.unnest($15::pg_catalog.float8[])) \
           AS u(series, ts, value, score, is_anomaly, expected, lower_bound, upper_bound, latency_ms, contributions, starts, \
                probability)";
    let store = format!(
        "INSERT INTO anomdet.results (job_id, series, ts, value, score, is_anomaly, expected, lower_bound, upper_bound, \
           latency_ms{shares_column}{chance_column}) \
         SELECT $1, series, ts, value, score, is_anomaly, expected, lower_bound, upper_bound, latency_ms{shares_value}{chance_value} \
         FROM input"
    );
    // Without alerts a plain INSERT; with them one statement stores the rows and announces each
    // event that starts in them.
    let sql = match alerts {
        None => format!("WITH input AS NOT MATERIALIZED ({input}) {store}"),
        Some(_) => format!(
            "WITH input AS ({input}), stored AS ({store}) \
         SELECT pg_catalog.count(pg_catalog.pg_notify($12, pg_catalog.json_build_object( \
             'job_id', $1, 'series', i.series, 'ts', i.ts, 'value', i.value, 'score', i.score, 'probability', i.probability, \
             'detector', $13, 'latency_ms', i.latency_ms, 'event', 'start', \
             'contributions', i.contributions::pg_catalog.json)::text)) \
         FROM input i WHERE i.starts"
        ),
    };
    args.push(ALERT_CHANNEL.into());
    args.push(alerts.map(|a| a.detector).into());
    let starts: Vec<bool> = match alerts {
        Some(_) => rows.event_starts.clone(),
        None => Vec::new(),
    };
    args.push(starts.into());
    args.push(pick(|s| s.probability).into());
    crate::postgres::sql::write(&sql, &args).or_report()
}
