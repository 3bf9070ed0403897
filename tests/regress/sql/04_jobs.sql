-- Batch jobs are recorded with their effective parameters, counts and times.
SELECT anomdet.run_batch('metrics', 'value', 'mad', '{"window": 30}', name => 'mad nightly') AS job \gset
SELECT name, kind, detector, params, mode, source, time_column, value_column, status,
       rows_read, rows_scored, anomalies, series_count, error IS NULL AS no_error,
       started_at <= finished_at AS timed, owner = current_user AS mine, backend_pid
FROM anomdet.jobs WHERE id = :job;

-- Results are stored and agree with the ad hoc call.
SELECT count(*) AS stored, count(*) FILTER (WHERE is_anomaly) AS flagged FROM anomdet.results WHERE job_id = :job;
SELECT count(*) AS mismatches FROM anomdet.job_results(:job) r
JOIN anomdet.detect('metrics', 'value', 'mad', '{"window": 30}') d USING (ts)
WHERE r.score IS DISTINCT FROM d.score OR r.is_anomaly IS DISTINCT FROM d.is_anomaly;

-- Results since a timestamp (AnomDet get-data).
SELECT count(*) AS since_row_900 FROM anomdet.job_results(:job, '2024-01-01 15:00:00+00');

-- Multi-series and online jobs.
SELECT anomdet.run_batch('fleet', 'cpu', 'ewma', series_column => 'host', mode => 'online') AS fleet_job \gset
SELECT status, rows_read, series_count, anomalies > 0 AS found FROM anomdet.jobs WHERE id = :fleet_job;
SELECT series, count(*) FROM anomdet.job_results(:fleet_job) GROUP BY series ORDER BY series;

-- A job that fails while running is recorded as failed, with the reason, and stores nothing.
SELECT anomdet.run_batch('empty_series', 'v', 'mad') AS failed_job \gset
SELECT status, error, rows_read, finished_at IS NOT NULL AS finished FROM anomdet.jobs WHERE id = :failed_job;
SELECT count(*) AS stored FROM anomdet.results WHERE job_id = :failed_job;

-- Finished jobs cannot be cancelled; the error says why.
SELECT expect_error(format('SELECT anomdet.cancel_job(%s)', :job));

-- A queued job can be cancelled.
INSERT INTO anomdet.jobs (kind, detector, mode, source_relid, source, time_column, value_column)
VALUES ('batch', 'zscore', 'batch', 'metrics'::regclass, 'public.metrics', 'ts', 'value') RETURNING id AS queued \gset
SELECT anomdet.cancel_job(:queued);
SELECT status, error FROM anomdet.jobs WHERE id = :queued;

-- Ownership: another user sees none of these jobs and cannot cancel or read them.
CREATE ROLE anomdet_alice LOGIN;
CREATE ROLE anomdet_bob LOGIN;
GRANT SELECT ON metrics TO anomdet_alice;
SET ROLE anomdet_alice;
SELECT count(*) AS visible_jobs FROM anomdet.jobs;
SELECT count(*) AS visible_results FROM anomdet.results;
SELECT expect_error(format('SELECT anomdet.cancel_job(%s)', :queued));
SELECT anomdet.run_batch('metrics', 'value', name => 'alice job') AS alice_job \gset
SELECT name, status, owner FROM anomdet.jobs;
-- Alice cannot forge a job owned by someone else.
SELECT expect_error($$INSERT INTO anomdet.jobs (kind, detector, mode, source_relid, source, time_column, value_column, owner)
                      VALUES ('batch', 'zscore', 'batch', 0, 'x', 'ts', 'value', 'postgres')$$);
RESET ROLE;

SET ROLE anomdet_bob;
SELECT count(*) AS visible_jobs FROM anomdet.jobs;
SELECT count(*) AS visible_results FROM anomdet.results;
-- Bob may not read metrics: refused with 42501 before any job row is written.
SELECT expect_error($$SELECT anomdet.run_batch('metrics', 'value')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value')$$);
-- Bob's attempt to change alice's job touches nothing.
WITH changed AS (UPDATE anomdet.jobs SET name = 'hijacked' WHERE id = :alice_job RETURNING 1)
SELECT count(*) AS rows_bob_changed FROM changed;
WITH changed AS (UPDATE anomdet.job_records SET status = 'failed' WHERE id = :alice_job RETURNING 1)
SELECT count(*) AS rows_bob_changed_underneath FROM changed;
SELECT count(*) AS bobs_jobs FROM anomdet.jobs;
RESET ROLE;

-- The superuser sees everyone's jobs; alice's job is untouched.
SELECT owner, count(*) FROM anomdet.jobs GROUP BY owner ORDER BY owner;
SELECT status FROM anomdet.jobs WHERE id = :alice_job;

-- Row-level security on the source table is honoured: alice only scores the rows she may see.
CREATE TABLE shared_metrics AS SELECT ts, value, CASE WHEN ts < '2024-01-01 08:00:00+00' THEN 'anomdet_alice' ELSE 'other' END AS who FROM metrics;
ALTER TABLE shared_metrics ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON shared_metrics USING (who = current_user);
GRANT SELECT ON shared_metrics TO anomdet_alice;
SET ROLE anomdet_alice;
SELECT count(*) AS alice_rows FROM anomdet.detect('shared_metrics', 'value');
RESET ROLE;

DELETE FROM anomdet.jobs WHERE owner = 'anomdet_alice';
DROP OWNED BY anomdet_alice, anomdet_bob;
DROP ROLE anomdet_alice, anomdet_bob;

-- A non-superuser deleting their own job also deletes its results.
CREATE ROLE anomdet_carol LOGIN;
GRANT SELECT ON metrics TO anomdet_carol;
SET ROLE anomdet_carol;
SELECT anomdet.run_batch('metrics', 'value') AS carol_job \gset
SELECT count(*) AS carol_results FROM anomdet.results;
DELETE FROM anomdet.jobs WHERE id = :carol_job;
RESET ROLE;
SELECT count(*) AS results_left FROM anomdet.results WHERE job_id = :carol_job;
DROP OWNED BY anomdet_carol;
DROP ROLE anomdet_carol;
