//! `score_new_rows(config)` and the procedure `scheduled_detect(job_id, config)` that
//! TimescaleDB's `add_job` and pg_cron call (see `crate::schedule`).

use crate::error::required;
use crate::postgres::json_arg::JsonArg;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score the rows of `config.source` newer than its watermark; returns how many were scored.
/// Scores go to `anomdet.results` under the schedule's job (see `anomdet.watermarks`).
#[pg_extern(volatile, parallel_unsafe)]
fn score_new_rows(config: Option<JsonArg>) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    crate::schedule::score_new_rows(required("config", config)?.value("config")?)
}

extension_sql!(
    r#"
CREATE PROCEDURE anomdet.scheduled_detect(job_id integer, config jsonb)
LANGUAGE plpgsql
AS $$
-- The signature TimescaleDB's add_job calls; pg_cron: CALL anomdet.scheduled_detect(0, '{...}').
-- No SET search_path: the source named in config resolves as the caller would resolve it.
BEGIN
    PERFORM anomdet.score_new_rows(config);
END $$;
COMMENT ON PROCEDURE anomdet.scheduled_detect(integer, jsonb) IS
    'Score the rows newer than the watermark of (source, column, detector, params): for add_job or pg_cron';
"#,
    name = "scheduled_detect",
    requires = [score_new_rows, "catalog"]
);
