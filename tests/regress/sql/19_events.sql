-- Anomaly events: consecutive flagged rows of a job's series are one event (anomdet.events),
-- announced once at its first row. A batch job: one five-row event and one single-row event.
CREATE TABLE event_source AS
SELECT timestamptz '2024-06-01 00:00+00' + i * interval '1 minute' AS ts,
       10 + sin(i / 10.0) + CASE WHEN i BETWEEN 500 AND 504 THEN 20 WHEN i = 800 THEN -15 ELSE 0 END AS v
FROM generate_series(0, 999) AS i;
SELECT anomdet.run_batch('event_source', 'v', 'mad', notify => true) AS event_job \gset
SELECT start_ts, end_ts, round(peak_score::numeric, 1) AS peak_score, rows FROM anomdet.events WHERE job_id = :event_job ORDER BY start_ts;
-- A scheduled run whose last rows are flagged: the next run's flagged rows continue that event.
CREATE TABLE event_live AS SELECT * FROM event_source;
SELECT anomdet.score_new_rows('{"source": "event_live", "value_column": "v", "detector": "ewma"}') AS first_run;
INSERT INTO event_live SELECT timestamptz '2024-06-01 00:00+00' + i * interval '1 minute', 50 FROM generate_series(1000, 1002) AS i;
SELECT anomdet.score_new_rows('{"source": "event_live", "value_column": "v", "detector": "ewma"}') AS second_run;
SELECT in_event AS state_says_in_event FROM anomdet.detector_states WHERE job_id = (SELECT job_id FROM anomdet.watermarks WHERE source_relid = 'event_live'::regclass);
INSERT INTO event_live SELECT timestamptz '2024-06-01 00:00+00' + i * interval '1 minute', 55 FROM generate_series(1003, 1004) AS i;
SELECT anomdet.score_new_rows('{"source": "event_live", "value_column": "v", "detector": "ewma", "notify": false}') AS third_run;
SELECT start_ts, end_ts, rows FROM anomdet.events
WHERE job_id = (SELECT job_id FROM anomdet.watermarks WHERE source_relid = 'event_live'::regclass) AND start_ts >= '2024-06-01 16:00+00';
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "event_live", "value_column": "v", "notify": "yes"}')$$);
SELECT expect_error($$SELECT anomdet.run_batch('event_source', 'v', notify => NULL)$$);
