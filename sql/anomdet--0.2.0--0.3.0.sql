SET LOCAL search_path TO pg_catalog, pg_temp;

-- A time range on detect, run_batch, benchmark and evaluate (start_time <= ts < end_time),
-- and the calibrated anomaly probability beside each score of detect's rows,
-- read through constant bounds so a hypertable's chunks outside it are not opened; detect and
-- run_batch also read up to `lookback` rows per series before the start to warm up. The new
-- definitions call new symbols; 0.2.0's symbols stay in the library (src/api/released_symbols.rs)
-- for databases that have not run this update yet.

DROP FUNCTION anomdet.detect(regclass, text, text, jsonb, text, text, text, text, text, boolean);
-- detect's planner support function loads the library while a call is planned, so the call can
-- stream its rows (src/postgres/streamed_scan.rs) from a session's first query on.
CREATE FUNCTION anomdet."_detect_planner_support"("request" internal) RETURNS internal
STRICT LANGUAGE c AS 'MODULE_PATHNAME', 'detect_planner_support_wrapper';
CREATE FUNCTION anomdet."detect"(
	"source" regclass,
	"value_column" TEXT,
	"detector" TEXT DEFAULT 'zscore',
	"params" jsonb DEFAULT '{}',
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"mode" TEXT DEFAULT 'batch',
	"on_invalid" TEXT DEFAULT 'skip',
	"on_duplicate" TEXT DEFAULT 'error',
	"only_anomalies" bool DEFAULT false,
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL,
	"lookback" bigint DEFAULT 1000,
	"model" TEXT DEFAULT NULL
) RETURNS TABLE (
	"ts" timestamp with time zone,
	"series" TEXT,
	"value" double precision,
	"score" double precision,
	"probability" double precision,
	"is_anomaly" bool,
	"expected" double precision,
	"lower_bound" double precision,
	"upper_bound" double precision
)
VOLATILE PARALLEL RESTRICTED
SUPPORT anomdet."_detect_planner_support"
LANGUAGE c
AS 'MODULE_PATHNAME', 'detect_materialized_wrapper';

DROP FUNCTION anomdet.run_batch(regclass, text, text, jsonb, text, text, text, text, text, text);
CREATE FUNCTION anomdet."run_batch"(
	"source" regclass,
	"value_column" TEXT,
	"detector" TEXT DEFAULT 'zscore',
	"params" jsonb DEFAULT '{}',
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"name" TEXT DEFAULT NULL,
	"mode" TEXT DEFAULT 'batch',
	"on_invalid" TEXT DEFAULT 'skip',
	"on_duplicate" TEXT DEFAULT 'error',
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL,
	"lookback" bigint DEFAULT 1000,
	"model" TEXT DEFAULT NULL,
	"notify" bool DEFAULT false
) RETURNS bigint
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'run_batch_ranged_wrapper';

DROP FUNCTION anomdet.benchmark(regclass, text, text[], text[], integer, integer, integer, text, text, text);
CREATE FUNCTION anomdet."benchmark"(
	"source" regclass,
	"value_column" TEXT,
	"detectors" TEXT[] DEFAULT NULL,
	"methods" TEXT[] DEFAULT '{spike,extremum,step,mean,variance,trend,platform,noise}',
	"seeds" INT DEFAULT 3,
	"count" INT DEFAULT 3,
	"length" INT DEFAULT 10,
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"name" TEXT DEFAULT NULL,
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL,
	"label_column" TEXT DEFAULT NULL,
	"label_windows" regclass DEFAULT NULL
) RETURNS bigint
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'benchmark_ranged_wrapper';

DROP FUNCTION anomdet.evaluate(bigint, text);
CREATE FUNCTION anomdet."evaluate"(
	"job_id" bigint,
	"threshold" TEXT DEFAULT 'detector',
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL,
	"label_column" TEXT DEFAULT NULL,
	"label_windows" regclass DEFAULT NULL
) RETURNS TABLE (
	"metric" TEXT,
	"value" double precision,
	"note" TEXT
)
STABLE PARALLEL RESTRICTED
LANGUAGE c
AS 'MODULE_PATHNAME', 'evaluate_ranged_wrapper';

-- Scheduled detection carries state: what a schedule's online detector has learnt, per series, saved after each run and resumed by
-- the next, so N runs score exactly as one online pass. `state` is the detector's own encoding
-- of layout `format` (anomdet_core::state::FORMAT); a state of another format is not read: that
-- series warms up on `lookback` rows instead. No foreign key to watermarks: pg_dump restores
-- extension tables' rows in no guaranteed order.
CREATE TABLE anomdet.detector_states (
    job_id    bigint NOT NULL,
    series    text,
    detector  text NOT NULL,
    format    integer NOT NULL,
    state     bytea NOT NULL,
    last_ts   timestamptz NOT NULL,
    in_event  boolean NOT NULL DEFAULT false,
    saved_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    owner     name NOT NULL DEFAULT CURRENT_USER,
    UNIQUE NULLS NOT DISTINCT (job_id, series)
);
COMMENT ON TABLE anomdet.detector_states IS 'Scheduled detection: each series'' online detector state, resumed by the next run';
ALTER TABLE anomdet.detector_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY detector_states_owner ON anomdet.detector_states
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
-- Written only by anomdet itself (as the extension owner): a detector trusts the state it
-- resumes from, so a user may read and delete their rows, not forge them.
GRANT SELECT, DELETE ON anomdet.detector_states TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('anomdet.detector_states', '');

-- Fitted models: a detector trained once on a stretch of a table (`anomdet.train`), its learnt
-- state stored per series, used by `detect(..., model => name)` and scheduled detection to
-- score new rows without refitting. Written only by anomdet (as the extension owner): a
-- detector trusts the state it resumes from, so a user reads and deletes their models
-- (`anomdet.drop_model`), never forges one. `format` is anomdet_core::state::FORMAT.
CREATE TABLE anomdet.models (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    detector      text NOT NULL,
    params        jsonb NOT NULL,
    format        integer NOT NULL,
    source        text NOT NULL,
    value_column  text NOT NULL,
    -- A multivariate model's columns, in order (trained by anomdet.train_columns); NULL for one column.
    value_columns text[],
    time_column   text NOT NULL,
    series_column text,
    train_start   timestamptz,
    train_end     timestamptz,
    series_count  integer NOT NULL,
    rows          bigint NOT NULL,
    bytes         bigint NOT NULL,
    owner         name NOT NULL DEFAULT CURRENT_USER,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    UNIQUE (owner, name)
);
COMMENT ON TABLE anomdet.models IS 'Fitted models: a detector trained by anomdet.train, with its training range and size';
CREATE TABLE anomdet.model_states (
    model_id  bigint NOT NULL,
    series    text,
    rows      bigint NOT NULL,
    state     bytea NOT NULL,
    owner     name NOT NULL DEFAULT CURRENT_USER,
    UNIQUE NULLS NOT DISTINCT (model_id, series)
);
COMMENT ON TABLE anomdet.model_states IS 'The learnt state of each series of a model';
ALTER TABLE anomdet.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.model_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY models_owner ON anomdet.models
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY model_states_owner ON anomdet.model_states
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, DELETE ON anomdet.models, anomdet.model_states TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('anomdet.models', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.model_states', '');

-- Anomaly events: consecutive flagged rows of a job's series, for dashboards (Grafana
-- annotations: start_ts, end_ts, text) and any SQL client. A run of flagged rows ends at the
-- series' next stored row that is not flagged (stream jobs store that row too).
CREATE VIEW anomdet.events WITH (security_invoker = true) AS
SELECT e.job_id, e.series, pg_catalog.min(e.ts) AS start_ts, pg_catalog.max(e.ts) AS end_ts,
       pg_catalog.max(e.score) AS peak_score, pg_catalog.count(*) AS rows
FROM (SELECT r.job_id, r.series, r.ts, r.score, r.is_anomaly,
             pg_catalog.count(*) FILTER (WHERE r.is_anomaly IS NOT TRUE)
               OVER (PARTITION BY r.job_id, r.series ORDER BY r.ts) AS run
      FROM anomdet.results r) e
WHERE e.is_anomaly
GROUP BY e.job_id, e.series, e.run;
COMMENT ON VIEW anomdet.events IS 'Anomaly events: each run of consecutive flagged rows of a job''s series, with its start, end, peak score and rows';
GRANT SELECT ON anomdet.events TO PUBLIC;

-- Fitted models: train once, score with model => name, drop_model.
CREATE FUNCTION anomdet."train"(
	"name" TEXT,
	"source" regclass,
	"value_column" TEXT,
	"detector" TEXT DEFAULT 'zscore',
	"params" jsonb DEFAULT '{}',
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL
) RETURNS bigint
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'train_wrapper';
CREATE FUNCTION anomdet."drop_model"(
	"name" TEXT
) RETURNS bool
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'drop_model_wrapper';

-- Jobs record the model they scored with; the job list shows it (running_jobs reads the job
-- list, so both views are made again).
ALTER TABLE anomdet.job_records ADD COLUMN model text;
DROP VIEW anomdet.running_jobs;
DROP VIEW anomdet.jobs;
CREATE VIEW anomdet.jobs WITH (security_invoker = true) AS
SELECT j.id, j.name, j.kind, j.detector, j.params, j.mode, j.source_relid, j.source, j.time_column,
       j.value_column, j.series_column,
       CASE WHEN anomdet._stream_lost(j.kind, j.status, j.created_at, j.id, j.backend_pid) THEN 'failed'
            ELSE j.status END AS status,
       j.rows_read, j.rows_scored, j.anomalies, j.series_count, j.created_at, j.started_at, j.finished_at,
       CASE WHEN anomdet._stream_lost(j.kind, j.status, j.created_at, j.id, j.backend_pid)
            THEN 'no worker is running this job any more (killed, crashed, or the server restarted)'
            ELSE j.error END AS error,
       j.backend_pid, j.owner, j.target, j.target_relid, j.speedup, j.inject, j.stream_time, j.lag_ms,
       j.rows_per_second, j.progress_at, j.latency_p50_ms, j.latency_p99_ms, j.model
FROM anomdet.job_records j;
COMMENT ON VIEW anomdet.jobs IS 'Detection jobs (batch, stream, scheduled): one row each, visible to its owner';
GRANT SELECT, INSERT, UPDATE, DELETE ON anomdet.jobs TO PUBLIC;
CREATE VIEW anomdet.running_jobs WITH (security_invoker = true) AS
SELECT j.id, j.name, j.kind, j.detector, j.source, j.value_column, j.target, j.speedup, j.status,
       j.rows_read, j.rows_scored, j.anomalies, j.stream_time, j.lag_ms, j.rows_per_second,
       j.latency_p50_ms, j.latency_p99_ms, j.started_at, j.progress_at, j.backend_pid
FROM anomdet.jobs j
WHERE j.status OPERATOR(pg_catalog.=) ANY ('{queued,running}');
GRANT SELECT ON anomdet.running_jobs TO PUBLIC;
COMMENT ON VIEW anomdet.running_jobs IS 'Your queued and running jobs with live progress (AnomDet get-running)';

-- Jobs of a multivariate model store each column's share of a flagged row's score.
ALTER TABLE anomdet.results ADD COLUMN contributions jsonb;
-- Every score carries its calibrated anomaly probability.
ALTER TABLE anomdet.results ADD COLUMN probability double precision;

-- A stream job's rows carry the new columns too.
DROP FUNCTION anomdet._job_rows(bigint);
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

-- Multivariate models: train_columns, and detect_columns scores with one.
CREATE FUNCTION anomdet."train_columns"(
	"name" TEXT,
	"source" regclass,
	"value_columns" TEXT[],
	"detector" TEXT DEFAULT 'isolation_forest',
	"params" jsonb DEFAULT '{}',
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"start_time" timestamp with time zone DEFAULT NULL,
	"end_time" timestamp with time zone DEFAULT NULL
) RETURNS bigint
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'train_columns_wrapper';
DROP FUNCTION anomdet.detect_columns(regclass, text[], text, jsonb, text, text, text);
CREATE FUNCTION anomdet."detect_columns"(
	"source" regclass,
	"value_columns" TEXT[],
	"detector" TEXT DEFAULT 'isolation_forest',
	"params" jsonb DEFAULT '{}',
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"explain" TEXT DEFAULT 'flagged',
	"model" TEXT DEFAULT NULL
) RETURNS TABLE (
	"ts" timestamp with time zone,
	"series" TEXT,
	"score" double precision,
	"is_anomaly" bool,
	"contributions" jsonb,
	"probability" double precision
)
STABLE PARALLEL RESTRICTED
LANGUAGE c
AS 'MODULE_PATHNAME', 'detect_columns_with_model_wrapper';

-- run_stream can score with a stored model.
DROP FUNCTION anomdet.run_stream(regclass, text, text, text, jsonb, double precision, text, text, text, jsonb);
CREATE FUNCTION anomdet."run_stream"(
	"source" regclass,
	"value_column" TEXT,
	"target" TEXT,
	"detector" TEXT DEFAULT 'zscore',
	"params" jsonb DEFAULT '{}',
	"speedup" double precision DEFAULT NULL,
	"time_column" TEXT DEFAULT NULL,
	"series_column" TEXT DEFAULT NULL,
	"name" TEXT DEFAULT NULL,
	"inject" jsonb DEFAULT NULL,
	"model" TEXT DEFAULT NULL
) RETURNS bigint
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'run_stream_with_model_wrapper';

-- The first ten minutes in psql: every function with its description and an example.
CREATE FUNCTION anomdet."help"() RETURNS TABLE (
	"step" INT,
	"function" TEXT,
	"arguments" TEXT,
	"description" TEXT,
	"example" TEXT
)
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'help_wrapper';

-- Long calls as they run, seen from any session (the backend status table, as pg_stat_progress_*).
CREATE FUNCTION anomdet."progress"() RETURNS TABLE (
	"pid" INT,
	"database" TEXT,
	"role" TEXT,
	"call" TEXT,
	"phase" TEXT,
	"relid" oid,
	"job_id" bigint,
	"done" bigint,
	"total" bigint,
	"total_is_estimate" bool,
	"percent" double precision,
	"started_at" timestamp with time zone,
	"elapsed" interval,
	"time_left" interval
)
STRICT VOLATILE PARALLEL RESTRICTED
LANGUAGE c
AS 'MODULE_PATHNAME', 'progress_wrapper';
CREATE VIEW anomdet.progress WITH (security_invoker = true) AS
SELECT pid, database, role, call, phase, relid::pg_catalog.regclass AS relation, job_id,
       done, total, total_is_estimate, percent, started_at, elapsed, time_left
FROM anomdet.progress();
GRANT SELECT ON anomdet.progress TO PUBLIC;

-- detectors() says what one pass of each detector costs as its series grows.
DROP FUNCTION anomdet.detectors();
CREATE FUNCTION anomdet."detectors"() RETURNS TABLE (
	"name" TEXT,
	"family" TEXT,
	"online" bool,
	"multivariate" bool,
	"params" jsonb,
	"description" TEXT,
	"cost" TEXT
)
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'detectors_with_cost_wrapper';

-- On Citus, a table distributed by its series column is scored on its workers: each runs this
-- for the series of its shards (src/pipeline/pushdown.rs).
CREATE FUNCTION anomdet."_scored_series"(
	"key" TEXT,
	"ts" timestamp with time zone[],
	"value" double precision[],
	"request" jsonb
) RETURNS bytea
VOLATILE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'scored_series_wrapper';

-- On Citus, a benchmark of a table distributed by its series column runs on its workers: each
-- runs this for the series of its shards (src/benchmark/on_workers.rs).
CREATE FUNCTION anomdet."_benchmark_series"(
	"key" TEXT,
	"series_index" INT,
	"ts" timestamp with time zone[],
	"value" double precision[],
	"request" jsonb
) RETURNS jsonb
VOLATILE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'benchmark_series_wrapper';

-- A stream job is lost when it should be running but no worker runs it (killed, crashed, the
-- server restarted). A queued job gets 10 s for its worker to start and name itself. The worker
-- commits its last status before it exits, but the calling query's snapshot may predate that
-- commit: once the process is seen gone, the row is read again with a snapshot of now (a
-- statement of a volatile PL/pgSQL function gets its own), so a stream that just finished never
-- reads as failed.
CREATE OR REPLACE FUNCTION anomdet._stream_lost(kind text, status text, created_at timestamptz, job_id bigint, pid integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF kind IS DISTINCT FROM 'stream' OR status IS NULL OR status <> ALL ('{queued,running}')
       OR (status = 'queued' AND created_at >= now() - '10 seconds'::interval)
       OR anomdet._stream_alive(job_id, pid) THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM anomdet.job_records r
                   WHERE r.id = job_id AND r.status = ANY ('{queued,running}'));
END
$$;

-- A comment on every function, table, view and column (src/catalog/comments.sql, applied by the
-- library so a fresh install and this update write the same ones); last, once every object exists.
CREATE FUNCTION anomdet."_apply_comments"() RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', '_apply_comments_wrapper';
REVOKE ALL ON FUNCTION anomdet._apply_comments() FROM PUBLIC;
SELECT anomdet._apply_comments();
