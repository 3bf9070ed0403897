//! Recorded jobs: `run_batch` (AnomDet's run-batch), `cancel_job`, `job_results` (get-data).

use crate::error::required;
use crate::postgres::json_arg::JsonArg;
use crate::score_request::SqlScoreArgs;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Score a source as a recorded batch job; returns the job id. Results go to `anomdet.results`.
#[allow(clippy::too_many_arguments)]
#[pg_extern(name = "run_batch", volatile, parallel_unsafe)]
pub(super) fn run_batch_ranged(
    source: Option<crate::postgres::rel_arg::RelArg>,
    value_column: Option<&str>,
    detector: default!(Option<&str>, "'zscore'"),
    params: default!(Option<JsonArg>, "'{}'"),
    time_column: default!(Option<&str>, "NULL"),
    series_column: default!(Option<&str>, "NULL"),
    name: default!(Option<&str>, "NULL"),
    mode: default!(Option<&str>, "'batch'"),
    on_invalid: default!(Option<&str>, "'skip'"),
    on_duplicate: default!(Option<&str>, "'error'"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    lookback: default!(Option<i64>, "1000"),
    model: default!(Option<&str>, "NULL"),
    notify: default!(Option<bool>, "false"),
) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let notify = required("notify", notify)?;
    let args = SqlScoreArgs {
        source,
        value_column,
        detector,
        params,
        time_column,
        series_column,
        mode,
        on_invalid,
        on_duplicate,
        start_time,
        end_time,
        lookback,
        model,
    };
    crate::jobs::run_batch(args, name, notify)
}

/// Cancel a job of yours that is queued or running. Finished jobs are left as they are.
#[pg_extern(volatile, parallel_unsafe)]
fn cancel_job(job_id: Option<i64>) -> Result<bool, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let job_id = required("job_id", job_id)?;
    crate::jobs::cancel(job_id)
}

extension_sql!(
    r#"
CREATE FUNCTION anomdet._job_rows(job_id bigint) RETURNS SETOF anomdet.results
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Every scored row of a job. A stream job keeps its scores in its target table and only the
-- flagged rows (with expected value, bounds and latency) in anomdet.results.
DECLARE
    j record;
BEGIN
    SELECT kind, target_relid, series_column IS NOT NULL AS keyed INTO j FROM anomdet.jobs WHERE id OPERATOR(pg_catalog.=) $1;
    IF j.kind IS DISTINCT FROM 'stream' THEN
        RETURN QUERY SELECT r.* FROM anomdet.results r WHERE r.job_id OPERATOR(pg_catalog.=) $1;
        RETURN;
    END IF;
    PERFORM FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) j.target_relid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job %: its target table was dropped, and with it the scores', $1
            USING ERRCODE = 'undefined_table', HINT = 'the flagged rows remain in anomdet.results';
    END IF;
    -- The target is named by OID, so the text is quoted by regclass output, never by the user.
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT $1, %1$s, t.ts, t.value, t.score, t.is_anomaly, r.expected, r.lower_bound, r.upper_bound, r.latency_ms,
                r.contributions, %3$s
           FROM %2$s t LEFT JOIN anomdet.results r
             ON r.job_id OPERATOR(pg_catalog.=) $1 AND r.ts OPERATOR(pg_catalog.=) t.ts
            AND r.series IS NOT DISTINCT FROM %1$s',
        CASE WHEN j.keyed THEN 't.series' ELSE 'NULL::pg_catalog.text' END, j.target_relid::pg_catalog.regclass,
        -- A target made by 0.2.0 has no probability column: the flagged rows' from results.
        CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) j.target_relid
                            AND a.attname OPERATOR(pg_catalog.=) 'probability' AND NOT a.attisdropped)
             THEN 't.probability' ELSE 'r.probability' END)
    USING $1;
END $$;

CREATE FUNCTION anomdet.job_results(job_id bigint, since timestamptz DEFAULT NULL)
RETURNS SETOF anomdet.results
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.* FROM anomdet._job_rows($1) r
    WHERE ($2 IS NULL OR r.ts OPERATOR(pg_catalog.>) $2)
    ORDER BY r.series, r.ts
$$;
COMMENT ON FUNCTION anomdet.job_results(bigint, timestamptz) IS
    'Scored rows of one of your jobs, optionally only those after a timestamp (AnomDet get-data)';
"#,
    name = "job_results",
    requires = ["catalog"]
);
