//! The watermark of a schedule: its job, and the newest time it has scored.

use crate::error::{OrReport, internal};
use crate::postgres::relation::Source;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// The schedule's job and watermark, created on first use and locked until commit.
pub fn lock(
    source: &Source,
    detector: &str,
    params: &serde_json::Value,
) -> Result<(i64, Option<TimestampWithTimeZone>), ErrorReport> {
    let key = |sql: &str| {
        crate::postgres::sql::write_two::<i64, TimestampWithTimeZone>(
            sql,
            &[
                source.relid.into(),
                source.value_column.as_str().into(),
                detector.into(),
                pgrx::JsonB(params.clone()).into(),
            ],
        )
    };
    let find = "SELECT job_id, watermark FROM anomdet.watermarks WHERE source_relid = $1 AND value_column = $2 \
                AND detector = $3 AND params = $4 AND owner = CURRENT_USER FOR UPDATE";
    match key(find) {
        Ok((Some(job), watermark)) => return Ok((job, watermark)),
        // No row yet (the usual first run) comes back as an empty result.
        Ok((None, _)) | Err(pgrx::spi::SpiError::InvalidPosition) => {}
        Err(e) => return Err(internal(e)),
    }
    // First run: a 'scheduled' job collects the scores. A concurrent first run may win the
    // insert; then this one waits for it and reads its row.
    crate::postgres::sql::write(
        "WITH j AS (INSERT INTO anomdet.job_records (name, kind, detector, params, mode, source_relid, source, time_column, \
             value_column, series_column, status, started_at) \
           VALUES ('scheduled ' || $3 || ' on ' || $5 || '.' || $2, 'scheduled', $3, $4, 'online', $1, $5, $6, $2, $7, \
             'running', pg_catalog.clock_timestamp()) RETURNING id) \
         INSERT INTO anomdet.watermarks (job_id, source_relid, value_column, detector, params, series_column) \
         SELECT id, $1, $2, $3, $4, $7 FROM j ON CONFLICT DO NOTHING",
        &[
            source.relid.into(),
            source.value_column.as_str().into(),
            detector.into(),
            pgrx::JsonB(params.clone()).into(),
            source.qualified.as_str().into(),
            source.time_column.as_str().into(),
            source.series_column.as_deref().into(),
        ],
    )
    .or_report()?;
    // A losing insert leaves an orphan job row; remove it.
    crate::postgres::sql::write(
        "DELETE FROM anomdet.job_records j WHERE j.kind = 'scheduled' AND j.owner = CURRENT_USER AND j.created_at = pg_catalog.now() \
         AND NOT EXISTS (SELECT 1 FROM anomdet.watermarks w WHERE w.job_id = j.id)", &[],
    )
    .or_report()?;
    match key(find) {
        Ok((Some(job), watermark)) => Ok((job, watermark)),
        _ => Err(internal("the schedule's watermark row could not be created")),
    }
}
