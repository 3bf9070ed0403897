//! The detector states a schedule carries from run to run (`anomdet.detector_states`): one row
//! per (schedule, series), replaced after each run that scored the series.

use crate::chosen_detector::ChosenDetector;
use crate::error::{OrReport, internal};
use crate::pipeline::scorer::SeriesScorer;
use anomdet_core::state::FORMAT;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::collections::HashMap;

/// Whether the catalog keeps states: a database still on 0.2.0's catalog (the new library
/// installed, ALTER EXTENSION UPDATE not yet run) does not, and scores as 0.2.0 did.
pub fn kept() -> Result<bool, ErrorReport> {
    let found = crate::postgres::sql::read_one::<bool>(
        "SELECT pg_catalog.to_regclass('anomdet.detector_states') IS NOT NULL",
        &[],
    )
    .or_report()?;
    Ok(found == Some(true))
}

/// A series' saved state, and whether its last row was inside an anomaly event.
pub struct Saved {
    pub state: Vec<u8>,
    pub in_event: bool,
}

/// The saved state of each series of schedule `job_id` in the current format. States of another
/// format (or detector) are left out, so those series warm up on `lookback` rows instead.
pub fn load(job_id: i64, detector: &str) -> Result<HashMap<Option<String>, Saved>, ErrorReport> {
    Spi::connect(|client| {
        let rows = client
            .select(
                "SELECT series, state, in_event FROM anomdet.detector_states WHERE job_id = $1 AND format = $2 AND detector = $3",
                None,
                &[job_id.into(), FORMAT.into(), detector.into()],
            )
            .or_report()?;
        let mut out = HashMap::new();
        for row in rows {
            let series: Option<String> = row.get(1).or_report()?;
            let state: Vec<u8> = row.get(2).or_report()?.ok_or_else(|| internal("a NULL detector state"))?;
            let in_event = row.get::<bool>(3).or_report()?.unwrap_or(false);
            out.insert(series, Saved { state, in_event });
        }
        Ok(out)
    })
}

/// A scorer resumed from a saved state. A state that does not decode is not guessed at: the
/// error names the series and says how to start it afresh.
pub fn resume(detector: &ChosenDetector, state: &[u8], series: Option<&str>) -> Result<SeriesScorer, ErrorReport> {
    SeriesScorer::resume(detector, state).map_err(|e| {
        crate::error::error(
            PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION,
            format!(
                "the saved state of detector {}{} cannot be read: {e}",
                detector.name(),
                series.map(|k| format!(" for series \"{k}\"")).unwrap_or_default()
            ),
            "DELETE its row from anomdet.detector_states to warm it up on lookback rows again",
        )
    })
}

/// One series' state to save after a run.
pub struct Carried {
    pub series: Option<String>,
    pub state: Vec<u8>,
    /// The time of its last row, and whether that row was inside an anomaly event.
    pub last_ts: i64,
    pub in_event: bool,
}

/// Replace the states of the series just scored.
pub fn store(job_id: i64, detector: &str, states: &[Carried]) -> Result<(), ErrorReport> {
    if states.is_empty() {
        return Ok(());
    }
    let series: Vec<Option<String>> = states.iter().map(|s| s.series.clone()).collect();
    let bytes: Vec<Vec<u8>> = states.iter().map(|s| s.state.clone()).collect();
    let last: Vec<TimestampWithTimeZone> = states
        .iter()
        .map(|s| TimestampWithTimeZone::try_from(s.last_ts))
        .collect::<Result<_, _>>()
        .map_err(internal)?;
    let in_event: Vec<bool> = states.iter().map(|s| s.in_event).collect();
    // The caller may read and delete their states, never write them: a detector trusts the
    // bytes it resumes from. The owner column names the caller.
    let owner = crate::postgres::sql::read_one::<String>("SELECT CURRENT_USER::pg_catalog.text", &[])
        .or_report()?
        .ok_or_else(|| internal("no current user"))?;
    crate::postgres::extension_owner::run_as_owner(|| {
        crate::postgres::sql::write(
        "INSERT INTO anomdet.detector_states (job_id, series, detector, format, state, last_ts, in_event, owner) \
         SELECT $1, u.series, $2, $3, u.state, u.last_ts, u.in_event, $7 FROM ROWS FROM (pg_catalog.unnest($4::pg_catalog.text[]), \
           pg_catalog.unnest($5::pg_catalog.bytea[]), pg_catalog.unnest($6::pg_catalog.timestamptz[]), \
           pg_catalog.unnest($8::pg_catalog.bool[])) AS u(series, state, last_ts, in_event) \
         ON CONFLICT (job_id, series) DO UPDATE SET detector = EXCLUDED.detector, format = EXCLUDED.format, \
           state = EXCLUDED.state, last_ts = EXCLUDED.last_ts, in_event = EXCLUDED.in_event, saved_at = pg_catalog.clock_timestamp() \
         WHERE anomdet.detector_states.owner OPERATOR(pg_catalog.=) EXCLUDED.owner",
        &[job_id.into(), detector.into(), FORMAT.into(), series.into(), bytes.into(), last.into(), owner.into(), in_event.into()],
    )
    .or_report()
    })
}
