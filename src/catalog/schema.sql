-- anomdet catalog: jobs and their results.
-- Every user may create jobs; row-level security shows and lets change only one's own rows.
-- Both tables are registered with pg_extension_config_dump so pg_dump keeps their rows; relations
-- are referenced as regclass, which pg_dump writes by name, so a restore points them at the
-- restored tables (an oid column would keep the old database's numbers).

-- A schema named anomdet that another role made, or that already holds objects, would let its
-- owner drop or replace ours later: refuse to install into it (CVE-2022-2625's lesson).
DO $guard$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
               WHERE n.nspname OPERATOR(pg_catalog.=) 'anomdet'
                 AND n.nspowner OPERATOR(pg_catalog.<>) (SELECT r.oid FROM pg_catalog.pg_roles r
                                                          WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER))
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
                  WHERE n.nspname OPERATOR(pg_catalog.=) 'anomdet')
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
                  WHERE n.nspname OPERATOR(pg_catalog.=) 'anomdet') THEN
        RAISE EXCEPTION 'schema anomdet already exists and was not made by this installation'
            USING ERRCODE = '42P06', HINT = 'drop or rename that schema, then CREATE EXTENSION anomdet';
    END IF;
END
$guard$;

-- The rows behind the anomdet.jobs view (below), which shows a stream whose worker is gone as
-- failed at once, whoever reads it and whether or not anything has reaped it yet.
CREATE TABLE anomdet.job_records (
    id            bigserial PRIMARY KEY,
    name          text,
    kind          text NOT NULL CHECK (kind OPERATOR(pg_catalog.=) ANY ('{batch,stream,scheduled}'::pg_catalog.text[])),
    detector      text NOT NULL,
    params        jsonb NOT NULL DEFAULT '{}',
    mode          text NOT NULL CHECK (mode OPERATOR(pg_catalog.=) ANY ('{batch,online}'::pg_catalog.text[])),
    source_relid  regclass NOT NULL,
    source        text NOT NULL,
    time_column   text NOT NULL,
    value_column  text NOT NULL,
    series_column text,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status OPERATOR(pg_catalog.=) ANY ('{queued,running,succeeded,failed,cancelled}'::pg_catalog.text[])),
    rows_read     bigint NOT NULL DEFAULT 0,
    rows_scored   bigint NOT NULL DEFAULT 0,
    anomalies     bigint NOT NULL DEFAULT 0,
    series_count  bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    error         text,
    backend_pid   integer,
    owner         name NOT NULL DEFAULT CURRENT_USER,
    -- Stream jobs: where rows are replayed, how fast, and live progress (updated each second).
    target          text,
    target_relid    regclass,
    speedup         double precision,
    inject          jsonb,
    stream_time     timestamptz,
    lag_ms          double precision,
    rows_per_second double precision,
    progress_at     timestamptz,
    latency_p50_ms  double precision,
    latency_p99_ms  double precision,
    -- The stored model the job scored with (anomdet.models), if any.
    model           text
);
COMMENT ON TABLE anomdet.job_records IS 'Detection jobs as stored; read them through the anomdet.jobs view';

CREATE TABLE anomdet.results (
    job_id      bigint NOT NULL,
    series      text,
    ts          timestamptz NOT NULL,
    value       double precision,
    score       double precision,
    is_anomaly  boolean,
    expected    double precision,
    lower_bound double precision,
    upper_bound double precision,
    -- Stream jobs (which keep only flagged rows here, every score being in the target):
    -- wall time from the row's arrival (when it fell due) to its score being written.
    latency_ms  double precision,
    -- Jobs of a multivariate model: each column's share of a flagged row's score.
    contributions jsonb,
    -- The calibrated anomaly probability of the score: the share of the detector's own scores
    -- on this series that were lower (anomdet_core::calibration).
    probability double precision
);
CREATE INDEX results_job_ts_idx ON anomdet.results (job_id, ts);
COMMENT ON TABLE anomdet.results IS 'Scored rows of detection jobs; query by job_id';

-- Deleting jobs deletes their results. A statement-level trigger instead of a foreign key:
-- a foreign key checks every inserted result row against jobs, which made storing results
-- about five times slower than scoring them. SECURITY DEFINER because, once a job row is gone,
-- row-level security no longer lets its owner see the results; it touches only the results of
-- the rows this very statement deleted, and only catalog rows, never user data.
CREATE FUNCTION anomdet._delete_job_results() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM anomdet.results r USING deleted_jobs d WHERE r.job_id OPERATOR(pg_catalog.=) d.id;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_delete_results AFTER DELETE ON anomdet.job_records
    REFERENCING OLD TABLE AS deleted_jobs FOR EACH STATEMENT EXECUTE FUNCTION anomdet._delete_job_results();

ALTER TABLE anomdet.job_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.results ENABLE ROW LEVEL SECURITY;

CREATE POLICY jobs_owner ON anomdet.job_records
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER)
    WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY results_owner ON anomdet.results
    USING (EXISTS (SELECT 1 FROM anomdet.job_records j WHERE j.id OPERATOR(pg_catalog.=) job_id))
    WITH CHECK (EXISTS (SELECT 1 FROM anomdet.job_records j WHERE j.id OPERATOR(pg_catalog.=) job_id));

GRANT USAGE ON SCHEMA anomdet TO PUBLIC;
REVOKE ALL ON FUNCTION anomdet._delete_job_results() FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON anomdet.job_records TO PUBLIC;

-- A stream job is alive while a process named after it runs; the worker sets that name first.
CREATE FUNCTION anomdet._stream_alive(job_id bigint, pid integer) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid OPERATOR(pg_catalog.=) $2
                     AND a.application_name OPERATOR(pg_catalog.=) ('anomdet job ' OPERATOR(pg_catalog.||) $1::pg_catalog.text))
$$;

-- A stream job is lost when it should be running but no worker runs it (killed, crashed, the
-- server restarted). A queued job gets 10 s for its worker to start and name itself. The worker
-- commits its last status before it exits, but the calling query's snapshot may predate that
-- commit: once the process is seen gone, the row is read again with a snapshot of now (a
-- statement of a volatile PL/pgSQL function gets its own), so a stream that just finished never
-- reads as failed.
CREATE FUNCTION anomdet._stream_lost(kind text, status text, created_at timestamptz, job_id bigint, pid integer)
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

-- The job list. A lost stream reads as failed with the reason, before anything records it.
-- Simple enough to stay updatable: users delete (and rename) their jobs through it.
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

-- Records what the view already shows for lost streams (called by run_stream and cancel_job).
-- Runs with the caller's rights: row-level security limits it to their own jobs.
CREATE FUNCTION anomdet._reap_lost_jobs() RETURNS integer
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH lost AS (
        UPDATE anomdet.job_records j
           SET status = 'failed', finished_at = pg_catalog.clock_timestamp(), backend_pid = NULL,
               error = 'no worker is running this job any more (killed, crashed, or the server restarted)'
         WHERE anomdet._stream_lost(j.kind, j.status, j.created_at, j.id, j.backend_pid)
        RETURNING 1)
    SELECT pg_catalog.count(*)::pg_catalog.int4 FROM lost
$$;

-- Jobs in progress, with live stream progress (a lost stream is failed, so not shown).
CREATE VIEW anomdet.running_jobs WITH (security_invoker = true) AS
SELECT j.id, j.name, j.kind, j.detector, j.source, j.value_column, j.target, j.speedup, j.status,
       j.rows_read, j.rows_scored, j.anomalies, j.stream_time, j.lag_ms, j.rows_per_second,
       j.latency_p50_ms, j.latency_p99_ms, j.started_at, j.progress_at, j.backend_pid
FROM anomdet.jobs j
WHERE j.status OPERATOR(pg_catalog.=) ANY ('{queued,running}');
GRANT SELECT ON anomdet.running_jobs TO PUBLIC;
COMMENT ON VIEW anomdet.running_jobs IS 'Your queued and running jobs with live progress (AnomDet get-running)';
GRANT SELECT, INSERT, DELETE ON anomdet.results TO PUBLIC;
GRANT USAGE ON SEQUENCE anomdet.job_records_id_seq TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('anomdet.job_records', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.job_records_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.results', '');

-- Injections: the ground truth. One row per inject() call; its spans (the labelled windows)
-- and its cells (every row of every span: original and injected value, as text so that any
-- column type round-trips exactly) make revert_injection() lossless.
CREATE TABLE anomdet.injections (
    id            bigserial PRIMARY KEY,
    relid         regclass NOT NULL,
    relation      text NOT NULL,
    time_column   text NOT NULL,
    series_column text,
    columns       text[] NOT NULL,
    method        text NOT NULL,
    params        jsonb NOT NULL,
    placement     jsonb NOT NULL,
    seed          bigint NOT NULL,
    copied_from   text,
    status        text NOT NULL DEFAULT 'active' CHECK (status OPERATOR(pg_catalog.=) ANY ('{active,reverted}'::pg_catalog.text[])),
    rows_changed  bigint NOT NULL DEFAULT 0,
    owner         name NOT NULL DEFAULT CURRENT_USER,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    reverted_at   timestamptz
);
COMMENT ON TABLE anomdet.injections IS 'Anomaly injections (ground truth): one row per inject() call';

CREATE TABLE anomdet.injection_spans (
    injection_id bigint NOT NULL,
    series       text,
    start_ts     timestamptz NOT NULL,
    end_ts       timestamptz NOT NULL,
    rows         integer NOT NULL
);
CREATE INDEX injection_spans_id_idx ON anomdet.injection_spans (injection_id);
COMMENT ON TABLE anomdet.injection_spans IS 'Labelled windows of each injection (first and last row time, inclusive)';

CREATE TABLE anomdet.injection_cells (
    injection_id bigint NOT NULL,
    relid        regclass NOT NULL,
    column_name  text NOT NULL,
    series       text,
    ts           timestamptz NOT NULL,
    original     text,
    injected     text,
    tid          tid     -- where the injected row version was left; a hint for revert, checked before use
);
CREATE INDEX injection_cells_id_idx ON anomdet.injection_cells (injection_id);
CREATE INDEX injection_cells_cell_idx ON anomdet.injection_cells (relid, column_name, ts);
COMMENT ON TABLE anomdet.injection_cells IS 'Every injected cell with its original and injected value, for exact revert';

-- Datasets made by generate().
CREATE TABLE anomdet.generated (
    relid      regclass PRIMARY KEY,
    relation   text NOT NULL,
    spec       jsonb NOT NULL,
    owner      name NOT NULL DEFAULT CURRENT_USER,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

ALTER TABLE anomdet.injections ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.injection_spans ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.injection_cells ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.generated ENABLE ROW LEVEL SECURITY;
CREATE POLICY injections_owner ON anomdet.injections
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY spans_owner ON anomdet.injection_spans
    USING (EXISTS (SELECT 1 FROM anomdet.injections i WHERE i.id OPERATOR(pg_catalog.=) injection_id));
CREATE POLICY cells_owner ON anomdet.injection_cells
    USING (EXISTS (SELECT 1 FROM anomdet.injections i WHERE i.id OPERATOR(pg_catalog.=) injection_id));
CREATE POLICY generated_owner ON anomdet.generated
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE ON anomdet.injections TO PUBLIC;
GRANT SELECT, INSERT, UPDATE ON anomdet.injection_spans, anomdet.injection_cells TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON anomdet.generated TO PUBLIC;
GRANT USAGE ON SEQUENCE anomdet.injections_id_seq TO PUBLIC;

-- Per-row labels of the active injections: what the evaluation joins on.
CREATE VIEW anomdet.labels WITH (security_invoker = true) AS
SELECT c.injection_id, c.relid, i.relation, c.column_name, c.series, c.ts, i.method
FROM anomdet.injection_cells c
JOIN anomdet.injections i ON i.id OPERATOR(pg_catalog.=) c.injection_id
WHERE i.status OPERATOR(pg_catalog.=) 'active';
GRANT SELECT ON anomdet.labels TO PUBLIC;
COMMENT ON VIEW anomdet.labels IS 'One row per labelled (relation, column, series, time) of every active injection';

-- Tables usable as datasets: readable, with a time column and at least one numeric column.
CREATE VIEW anomdet.datasets WITH (security_invoker = true) AS
SELECT c.oid::pg_catalog.regclass AS relation,
       (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.atttypid OPERATOR(pg_catalog.=) ANY ('{timestamptz,timestamp,date}'::pg_catalog.regtype[])) AS time_columns,
       (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.atttypid OPERATOR(pg_catalog.=) ANY ('{int2,int4,int8,float4,float8,numeric}'::pg_catalog.regtype[])) AS value_columns,
       GREATEST(c.reltuples, 0)::pg_catalog.int8 AS estimated_rows,
       g.spec IS NOT NULL AS generated,
       g.spec
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
LEFT JOIN anomdet.generated g ON g.relid OPERATOR(pg_catalog.=) c.oid
WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,f}'::pg_catalog."char"[])
  AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{pg_catalog,information_schema,anomdet,_timescaledb_catalog,_timescaledb_internal,_timescaledb_functions,_timescaledb_cache,_timescaledb_config,timescaledb_information,timescaledb_experimental}'::pg_catalog.name[])
  AND n.nspname::pg_catalog.text OPERATOR(pg_catalog.!~~) 'pg\_%'
  AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0
              AND NOT a.attisdropped AND a.atttypid OPERATOR(pg_catalog.=) ANY ('{timestamptz,timestamp,date}'::pg_catalog.regtype[]))
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0
              AND NOT a.attisdropped AND a.atttypid OPERATOR(pg_catalog.=) ANY ('{int2,int4,int8,float4,float8,numeric}'::pg_catalog.regtype[]));
GRANT SELECT ON anomdet.datasets TO PUBLIC;
COMMENT ON VIEW anomdet.datasets IS 'Tables you can read that hold a time series: a time column and numeric columns';

SELECT pg_catalog.pg_extension_config_dump('anomdet.injections', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.injections_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.injection_spans', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.injection_cells', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.generated', '');

-- Benchmarks: detectors × injection methods × seeds on one source column, evaluated in memory
-- (the source is never written), one row per cell in benchmark_results.
CREATE TABLE anomdet.benchmarks (
    id           bigserial PRIMARY KEY,
    name         text,
    relid        regclass NOT NULL,
    source       text NOT NULL,
    value_column text NOT NULL,
    detectors    text[] NOT NULL,
    methods      text[] NOT NULL,
    seeds        integer NOT NULL,
    placement    jsonb NOT NULL,
    owner        name NOT NULL DEFAULT CURRENT_USER,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE TABLE anomdet.benchmark_results (
    benchmark_id     bigint NOT NULL,
    detector         text NOT NULL,
    method           text NOT NULL,
    seed             integer NOT NULL,
    dataset          text NOT NULL,
    precision        double precision,
    recall           double precision,
    f1               double precision,
    pa_f1            double precision,
    event_f1         double precision,
    range_f1         double precision,
    affiliation_f1   double precision,
    roc_auc          double precision,
    pr_auc_ap        double precision,
    pr_auc_trapezoid double precision,
    vus_pr           double precision,
    vus_roc          double precision,
    nab_standard     double precision,
    best_f1          double precision,
    mean_delay_rows  double precision,
    rows             bigint NOT NULL,
    labelled_rows    bigint NOT NULL,
    runtime_ms       double precision NOT NULL
);
CREATE INDEX benchmark_results_id_idx ON anomdet.benchmark_results (benchmark_id);
ALTER TABLE anomdet.benchmarks ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.benchmark_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY benchmarks_owner ON anomdet.benchmarks
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY benchmark_results_owner ON anomdet.benchmark_results
    USING (EXISTS (SELECT 1 FROM anomdet.benchmarks b WHERE b.id OPERATOR(pg_catalog.=) benchmark_id));
GRANT SELECT, INSERT, DELETE ON anomdet.benchmarks, anomdet.benchmark_results TO PUBLIC;
GRANT USAGE ON SEQUENCE anomdet.benchmarks_id_seq TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('anomdet.benchmarks', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.benchmarks_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.benchmark_results', '');

-- Scheduled detection (anomdet.score_new_rows / anomdet.scheduled_detect): one watermark per
-- (owner, source, column, detector, parameters); its job collects the scores in anomdet.results.
CREATE TABLE anomdet.watermarks (
    job_id        bigint PRIMARY KEY,
    source_relid  regclass NOT NULL,
    value_column  text NOT NULL,
    detector      text NOT NULL,
    params        jsonb NOT NULL,
    series_column text,
    watermark     timestamptz,
    runs          bigint NOT NULL DEFAULT 0,
    last_run      timestamptz,
    owner         name NOT NULL DEFAULT CURRENT_USER,
    UNIQUE (owner, source_relid, value_column, detector, params)
);
COMMENT ON TABLE anomdet.watermarks IS 'Scheduled detection: the newest scored time per source, column and detector';
ALTER TABLE anomdet.watermarks ENABLE ROW LEVEL SECURITY;
CREATE POLICY watermarks_owner ON anomdet.watermarks
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON anomdet.watermarks TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('anomdet.watermarks', '');

-- What a schedule's online detector has learnt, per series, saved after each run and resumed by
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

-- Detectors ranked per benchmark: overall (mean over methods and seeds) by VUS-PR.
CREATE VIEW anomdet.leaderboard WITH (security_invoker = true) AS
SELECT r.benchmark_id,
       pg_catalog.rank() OVER (PARTITION BY r.benchmark_id ORDER BY pg_catalog.avg(r.vus_pr) DESC NULLS LAST) AS rank,
       r.detector,
       pg_catalog.avg(r.vus_pr) AS vus_pr,
       pg_catalog.avg(r.vus_roc) AS vus_roc,
       pg_catalog.avg(r.nab_standard) AS nab_standard,
       pg_catalog.avg(r.pr_auc_ap) AS pr_auc_ap,
       pg_catalog.avg(r.roc_auc) AS roc_auc,
       pg_catalog.avg(r.best_f1) AS best_f1,
       pg_catalog.avg(r.f1) AS f1,
       pg_catalog.avg(r.event_f1) AS event_f1,
       pg_catalog.avg(r.range_f1) AS range_f1,
       pg_catalog.avg(r.affiliation_f1) AS affiliation_f1,
       pg_catalog.avg(r.pa_f1) AS pa_f1,
       pg_catalog.sum(r.runtime_ms) AS runtime_ms,
       pg_catalog.count(*) AS cells
FROM anomdet.benchmark_results r
GROUP BY r.benchmark_id, r.detector;
COMMENT ON VIEW anomdet.leaderboard IS 'Detectors ranked by mean VUS-PR over every method and seed of a benchmark';

-- The same, per injection method.
CREATE VIEW anomdet.leaderboard_by_method WITH (security_invoker = true) AS
SELECT r.benchmark_id, r.method,
       pg_catalog.rank() OVER (PARTITION BY r.benchmark_id, r.method ORDER BY pg_catalog.avg(r.vus_pr) DESC NULLS LAST) AS rank,
       r.detector,
       pg_catalog.avg(r.vus_pr) AS vus_pr,
       pg_catalog.avg(r.pr_auc_ap) AS pr_auc_ap,
       pg_catalog.avg(r.roc_auc) AS roc_auc,
       pg_catalog.avg(r.best_f1) AS best_f1,
       pg_catalog.avg(r.f1) AS f1,
       pg_catalog.avg(r.range_f1) AS range_f1,
       pg_catalog.count(*) AS cells
FROM anomdet.benchmark_results r
GROUP BY r.benchmark_id, r.method, r.detector;
-- The same, per dataset (each series of the source): which detector suits which data.
CREATE VIEW anomdet.leaderboard_by_dataset WITH (security_invoker = true) AS
SELECT r.benchmark_id, r.dataset,
       pg_catalog.rank() OVER (PARTITION BY r.benchmark_id, r.dataset ORDER BY pg_catalog.avg(r.vus_pr) DESC NULLS LAST) AS rank,
       r.detector,
       pg_catalog.avg(r.vus_pr) AS vus_pr,
       pg_catalog.avg(r.pr_auc_ap) AS pr_auc_ap,
       pg_catalog.avg(r.roc_auc) AS roc_auc,
       pg_catalog.avg(r.best_f1) AS best_f1,
       pg_catalog.avg(r.nab_standard) AS nab_standard,
       pg_catalog.count(*) AS cells
FROM anomdet.benchmark_results r
GROUP BY r.benchmark_id, r.dataset, r.detector;
GRANT SELECT ON anomdet.leaderboard, anomdet.leaderboard_by_method, anomdet.leaderboard_by_dataset TO PUBLIC;

-- Detectors registered from SQL (anomdet.register_detector): a function of the owner's that turns
-- an array of values into an array of scores. Private to the owner unless shared; only the owner
-- changes or removes it. The function is kept as its qualified signature (text: a regprocedure
-- column would make pg_upgrade refuse the whole cluster) with its owner at registration, so a
-- function dropped and re-created by another role is refused rather than run.
CREATE TABLE anomdet.custom_detectors (
    name        text PRIMARY KEY CHECK (name OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]{0,62}$'),
    function    text NOT NULL,
    threshold   double precision,
    min_points  integer NOT NULL DEFAULT 1 CHECK (min_points OPERATOR(pg_catalog.>=) 1 AND min_points OPERATOR(pg_catalog.<=) 10000000),
    description text NOT NULL DEFAULT '',
    shared      boolean NOT NULL DEFAULT false,
    owner       name NOT NULL DEFAULT CURRENT_USER,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    function_owner name NOT NULL
);
COMMENT ON TABLE anomdet.custom_detectors IS 'Detectors registered from SQL: function(values float8[] [, params jsonb]) -> float8[] scores';
ALTER TABLE anomdet.custom_detectors ENABLE ROW LEVEL SECURITY;
CREATE POLICY custom_detectors_visible ON anomdet.custom_detectors FOR SELECT
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER OR shared);
CREATE POLICY custom_detectors_insert ON anomdet.custom_detectors FOR INSERT
    WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY custom_detectors_update ON anomdet.custom_detectors FOR UPDATE
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY custom_detectors_delete ON anomdet.custom_detectors FOR DELETE
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON anomdet.custom_detectors TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('anomdet.custom_detectors', '');
