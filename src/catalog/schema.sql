-- anomdet catalog: jobs and their results.
-- Every user may create jobs; row-level security shows and lets change only one's own rows.
-- Both tables are registered with pg_extension_config_dump so pg_dump keeps their rows.

CREATE TABLE anomdet.jobs (
    id            bigserial PRIMARY KEY,
    name          text,
    kind          text NOT NULL CHECK (kind IN ('batch', 'stream', 'scheduled')),
    detector      text NOT NULL,
    params        jsonb NOT NULL DEFAULT '{}',
    mode          text NOT NULL CHECK (mode IN ('batch', 'online')),
    source_relid  oid NOT NULL,
    source        text NOT NULL,
    time_column   text NOT NULL,
    value_column  text NOT NULL,
    series_column text,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    rows_read     bigint NOT NULL DEFAULT 0,
    rows_scored   bigint NOT NULL DEFAULT 0,
    anomalies     bigint NOT NULL DEFAULT 0,
    series_count  bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    error         text,
    backend_pid   integer,
    owner         name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE anomdet.jobs IS 'Detection jobs (batch, stream, scheduled): one row each, visible to its owner';

CREATE TABLE anomdet.results (
    job_id      bigint NOT NULL,
    series      text,
    ts          timestamptz NOT NULL,
    value       double precision,
    score       double precision,
    is_anomaly  boolean,
    expected    double precision,
    lower_bound double precision,
    upper_bound double precision
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
CREATE TRIGGER jobs_delete_results AFTER DELETE ON anomdet.jobs
    REFERENCING OLD TABLE AS deleted_jobs FOR EACH STATEMENT EXECUTE FUNCTION anomdet._delete_job_results();

ALTER TABLE anomdet.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomdet.results ENABLE ROW LEVEL SECURITY;

CREATE POLICY jobs_owner ON anomdet.jobs
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER)
    WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY results_owner ON anomdet.results
    USING (EXISTS (SELECT 1 FROM anomdet.jobs j WHERE j.id OPERATOR(pg_catalog.=) job_id))
    WITH CHECK (EXISTS (SELECT 1 FROM anomdet.jobs j WHERE j.id OPERATOR(pg_catalog.=) job_id));

GRANT USAGE ON SCHEMA anomdet TO PUBLIC;
REVOKE ALL ON FUNCTION anomdet._delete_job_results() FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON anomdet.jobs TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON anomdet.results TO PUBLIC;
GRANT USAGE ON SEQUENCE anomdet.jobs_id_seq TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('anomdet.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.jobs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('anomdet.results', '');
