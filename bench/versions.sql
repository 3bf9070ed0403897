-- Benchmark for comparing servers (bash bench/run.sh --server both versions): the calls users
-- make most, each against its plain-SQL baseline measured in the same run on the same server,
-- on 1,000,000 rows, median of 5 runs each; then the injection suite (bench/inject.sql), whose
-- baseline is a plain UPDATE of the same rows. A few minutes per server on 2 cores.
\set ON_ERROR_STOP 1
\ir bench_metrics.sql

\ir timing.sql

CREATE TEMP TABLE bench (name text, ms numeric);
-- The baseline of run_batch: the same number of rows into a table shaped and indexed like
-- anomdet.results (both tables grow over the runs alike).
CREATE TABLE plain_results (LIKE anomdet.results INCLUDING ALL);
INSERT INTO bench VALUES
  ('plain scan: SELECT sum(value)', pg_temp.time_ms('SELECT sum(value) FROM bench_metrics')),
  ('SQL rolling z-score (window functions, 60 rows)',
   pg_temp.time_ms($q$SELECT count(*) FILTER (WHERE abs(value - m) > 3 * sd) FROM (
       SELECT value, avg(value) OVER w AS m, stddev_samp(value) OVER w AS sd FROM bench_metrics
       WINDOW w AS (ORDER BY ts ROWS BETWEEN 60 PRECEDING AND 1 PRECEDING)) s$q$)),
  ('detect zscore online, flagged rows',
   pg_temp.time_ms($q$SELECT count(*) FROM anomdet.detect('bench_metrics', 'value', 'zscore', mode => 'online', only_anomalies => true)$q$)),
  ('detect mad batch, flagged rows',
   pg_temp.time_ms($q$SELECT count(*) FROM anomdet.detect('bench_metrics', 'value', 'mad', only_anomalies => true)$q$)),
  ('detect mad batch, every row',
   pg_temp.time_ms($q$SELECT count(*) FILTER (WHERE is_anomaly) FROM anomdet.detect('bench_metrics', 'value', 'mad')$q$)),
  ('detect sentinel online, flagged rows',
   pg_temp.time_ms($q$SELECT count(*) FROM anomdet.detect('bench_metrics', 'value', 'sentinel', mode => 'online', only_anomalies => true)$q$)),
  ('run_batch mad (every row''s result written)',
   pg_temp.time_ms($q$SELECT anomdet.run_batch('bench_metrics', 'value', 'mad')$q$)),
  ('plain INSERT of as many rows into a results-shaped table',
   pg_temp.time_ms($q$INSERT INTO plain_results (job_id, ts, value, score, is_anomaly) SELECT 0, ts, value, value, false FROM bench_metrics$q$));

\echo
\echo 'median of 5 runs; rows:' :rows
SELECT name, round(ms) AS ms,
       round(ms / (SELECT ms FROM bench WHERE name LIKE 'plain scan%'), 2) AS x_plain_scan
FROM bench ORDER BY ms;
SELECT round((SELECT ms FROM bench WHERE name LIKE 'run_batch%') / (SELECT ms FROM bench WHERE name LIKE 'plain INSERT%'), 2)
       AS run_batch_x_plain_insert;

\ir inject.sql
