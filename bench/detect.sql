-- Benchmark: anomdet.detect against a plain scan and against the same rolling z-score written
-- in plain SQL with window functions, on the same 1,000,000 rows, median of 5 runs each.
-- Run by bench/run.sh on a throwaway cluster.
\set ON_ERROR_STOP 1
\ir bench_metrics.sql

\ir timing.sql

CREATE TEMP TABLE bench (name text, what text, ms numeric);
INSERT INTO bench VALUES
  ('plain scan', 'SELECT sum(value) FROM bench_metrics',
   pg_temp.time_ms('SELECT sum(value) FROM bench_metrics')),
  ('plain scan in time order', 'SELECT sum(value) over the rows ORDER BY ts',
   pg_temp.time_ms('SELECT sum(value) FROM (SELECT value FROM bench_metrics ORDER BY ts) s')),
  ('SQL rolling z-score', 'window functions, 60 preceding rows',
   pg_temp.time_ms($q$SELECT count(*) FILTER (WHERE abs(value - m) > 3 * sd) FROM (
       SELECT value, avg(value) OVER w AS m, stddev_samp(value) OVER w AS sd FROM bench_metrics
       WINDOW w AS (ORDER BY ts ROWS BETWEEN 60 PRECEDING AND 1 PRECEDING)) s$q$));

-- Two ways to use detect(): keep only the flagged rows (the usual ad hoc question), or return
-- every row with its score (1,000,000 output rows materialised by PostgreSQL's function scan).
INSERT INTO bench
SELECT 'anomdet ' || d.name || ' ' || m.mode || ', flagged rows', 'only_anomalies => true',
       pg_temp.time_ms(format('SELECT count(*) FROM anomdet.detect(%L, %L, %L, mode => %L, only_anomalies => true)',
                              'bench_metrics', 'value', d.name, m.mode))
FROM anomdet.detectors() d, (VALUES ('batch'), ('online')) AS m(mode)
ORDER BY d.name, m.mode;
INSERT INTO bench
SELECT 'anomdet ' || d.name || ' batch, every row', 'count(*) FILTER (WHERE is_anomaly) over all rows',
       pg_temp.time_ms(format('SELECT count(*) FILTER (WHERE is_anomaly) FROM anomdet.detect(%L, %L, %L)',
                              'bench_metrics', 'value', d.name))
FROM anomdet.detectors() d ORDER BY d.name;

\echo
\echo 'median of 5 runs, 1,000,000 rows; ratios against the plain scan and the SQL rolling z-score'
SELECT name, round(ms) AS ms,
       round(ms / (SELECT ms FROM bench WHERE name = 'plain scan'), 2) AS x_plain_scan,
       round((SELECT ms FROM bench WHERE name = 'SQL rolling z-score') / ms, 2) AS faster_than_sql_zscore
FROM bench ORDER BY ms;
