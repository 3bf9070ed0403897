-- Step 7: a simulated live stream in a background worker, then scheduled detection of new rows
-- A worker replays a labelled series at full speed into demo_live (rows with their scores),
-- NOTIFYing each flag; then a paced replay shows live progress; then score_new_rows scores
-- only the rows that arrived since its last run (what pg_cron or add_job would call).
SELECT anomdet.generate('demo_feed', 'sine', length => 50000, period => 720, amplitude => 5, level => 50, noise => 0.3, seed => 11) AS feed;
SELECT anomdet.inject('demo_feed', 'spike', '{value}', '{"magnitude": 3}', seed => 12, count => 20) AS spikes;
SELECT anomdet.run_stream('demo_feed', 'value', 'demo_live', 'mad', '{"window": 60}', name => 'demo stream') AS stream_job \gset
DO $$ BEGIN
  WHILE (SELECT status FROM anomdet.jobs WHERE name = 'demo stream') IN ('queued', 'running') LOOP PERFORM pg_sleep(0.05); END LOOP;
END $$;
\echo 'The full-speed replay (latency: from a row falling due to its score being written):'
SELECT status, rows_read, anomalies, round(rows_per_second) AS rows_per_second,
       round(latency_p50_ms::numeric, 1) AS p50_ms, round(latency_p99_ms::numeric, 1) AS p99_ms,
       finished_at - started_at AS took
FROM anomdet.jobs WHERE id = :stream_job;
SELECT metric, round(value::numeric, 3) AS value FROM anomdet.evaluate(:stream_job)
WHERE metric IN ('vus_pr', 'event_recall', 'precision', 'nab_standard');

\echo 'A paced replay at speed-up 6000 (100 rows a second), watched for two seconds, then cancelled:'
SELECT anomdet.run_stream('demo_feed', 'value', 'demo_paced', 'ewma', speedup => 6000) AS paced \gset
SELECT pg_sleep(2);
SELECT id, status, rows_read, stream_time, round(lag_ms) AS lag_ms, round(rows_per_second) AS rows_per_second
FROM anomdet.running_jobs WHERE id = :paced;
SELECT anomdet.cancel_job(:paced) AS cancelled;

\echo 'Scheduled detection: the first run scores everything, the next only what arrived since:'
CREATE TABLE demo_sched AS SELECT ts, value FROM demo_feed WHERE ts < '2024-01-20';
SELECT anomdet.score_new_rows('{"source": "demo_sched", "value_column": "value", "detector": "ewma"}') AS first_run;
INSERT INTO demo_sched SELECT ts, value FROM demo_feed WHERE ts >= '2024-01-20' AND ts < '2024-01-21';
CALL anomdet.scheduled_detect(0, '{"source": "demo_sched", "value_column": "value", "detector": "ewma"}');
SELECT detector, watermark, runs, (SELECT rows_read FROM anomdet.jobs WHERE id = w.job_id) AS rows_scored_in_total
FROM anomdet.watermarks w;
