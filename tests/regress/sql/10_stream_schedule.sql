-- Stream jobs are asynchronous (tests/stream.sh runs them for real); here: every refusal at
-- start, each with its SQLSTATE, and nothing left behind by a refused call.
SELECT count(*) AS jobs_before FROM anomdet.jobs \gset
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', NULL)$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', speedup => 0)$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', speedup => -5)$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', speedup => 'NaN')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', speedup => 'Infinity')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'fleet')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', 'prophet')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', 'zscore', '{"window": -1}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'nope', 'replay')$$);
SELECT expect_error($$SELECT anomdet.run_stream(99999::regclass, 'value', 'replay')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'no such schema.x.y')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"method": "tsunami", "count": 1}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"params": {}}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"method": "spike"}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"method": "spike", "count": 2, "percent": 1}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"method": "spike", "count": 1e12}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"method": "spike", "count": 1, "where": "x"}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '{"method": "spike", "count": 1, "params": {"magnitude": "big"}}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay', inject => '[]')$$);
-- B8: a superuser's stream would run as superuser, so it needs an opt-in. Off by default
-- (boot_val); this lab cluster opts in in postgresql.conf; only a superuser can change it.
SELECT boot_val, context FROM pg_settings WHERE name = 'anomdet.allow_superuser_jobs';
SET anomdet.allow_superuser_jobs = off;
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'replay')$$);
RESET anomdet.allow_superuser_jobs;
CREATE ROLE regress_b8;
SET ROLE regress_b8;
SELECT expect_error($$SET anomdet.allow_superuser_jobs = on$$);
RESET ROLE;
DROP ROLE regress_b8;
SELECT count(*) - :jobs_before AS jobs_created, to_regclass('replay') IS NULL AS no_target_left FROM anomdet.jobs;

-- The progress view: columns a client polls.
SELECT column_name FROM information_schema.columns
WHERE table_schema = 'anomdet' AND table_name = 'running_jobs' ORDER BY ordinal_position;

-- Scheduled detection: only rows newer than the watermark, none twice, equal to one online pass.
CREATE TABLE live AS SELECT * FROM metrics WHERE ts < '2024-01-01 10:00+00';
SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value"}') AS first_run;
SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value"}') AS nothing_new;
INSERT INTO live SELECT * FROM metrics WHERE ts >= '2024-01-01 10:00+00';
CALL anomdet.scheduled_detect(0, '{"source": "live", "value_column": "value"}');
SELECT w.detector, w.params, w.watermark, w.runs, j.kind, j.status, j.rows_read, j.anomalies
FROM anomdet.watermarks w JOIN anomdet.jobs j ON j.id = w.job_id;
SELECT count(*) AS rows, count(DISTINCT ts) AS distinct_rows,
       count(*) FILTER (WHERE r.score IS DISTINCT FROM d.score) AS differing_from_online_pass
FROM anomdet.job_results((SELECT job_id FROM anomdet.watermarks)) r
JOIN anomdet.detect('metrics', 'value', 'zscore', mode => 'online') d USING (ts);
-- Another detector, or other parameters, is another schedule with its own watermark.
SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "detector": "mad", "params": {"window": 50}}') AS mad_rows;
SELECT detector, runs FROM anomdet.watermarks ORDER BY detector;
-- With its saved state the detector resumes where the last run stopped, whatever the lookback.
INSERT INTO live SELECT ts + interval '1000 minutes', value FROM metrics ORDER BY ts LIMIT 100;
SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "detector": "mad", "params": {"window": 50}, "lookback": 0}') AS resumed_rows;
SELECT count(score) AS scored_when_resumed FROM anomdet.results
WHERE job_id = (SELECT job_id FROM anomdet.watermarks WHERE detector = 'mad') AND ts >= '2024-01-01 16:40+00';
-- Without it (deleted), a short lookback starts the detector cold: the first new rows are its warm-up again.
DELETE FROM anomdet.detector_states WHERE job_id = (SELECT job_id FROM anomdet.watermarks WHERE detector = 'mad');
INSERT INTO live SELECT ts + interval '2000 minutes', value FROM metrics ORDER BY ts LIMIT 100;
SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "detector": "mad", "params": {"window": 50}, "lookback": 0}') AS cold_rows;
SELECT count(score) AS scored_after_cold_start FROM anomdet.results
WHERE job_id = (SELECT job_id FROM anomdet.watermarks WHERE detector = 'mad') AND ts >= '2024-01-02 09:20+00';

SELECT expect_error($$SELECT anomdet.score_new_rows(NULL)$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('[1, 2]')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"value_column": "value"}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "live"}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "nowhere", "value_column": "value"}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "detector": "prophet"}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "lookback": -1}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "window": 5}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "live", "value_column": 7}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "live", "value_column": "value", "params": {"threshold": "high"}}')$$);
SELECT expect_error($$CALL anomdet.scheduled_detect(0, '{"source": "live"}')$$);
