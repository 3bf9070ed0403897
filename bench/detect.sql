-- Benchmark: anomdet.detect, every detector in each mode it has, against a plain scan of the
-- same rows and the same rolling z-score written in plain SQL with window functions; median of
-- 5 runs each. Run by bench/run.sh on a throwaway cluster (--rows N for another table size).
--
-- A detector whose cost grows faster than the rows (k-NN, LOF, sub-sequence models) cannot run
-- on a million rows in a bench that finishes: each detector and mode runs on the largest of
-- :rows, 100,000 and 10,000 rows (prefixes of the table) whose one call, extrapolated linearly
-- from a first call on 10,000 rows, stays under :budget_ms (2,000), and the table says which.
\set ON_ERROR_STOP 1
\ir bench_metrics.sql
\if :{?budget_ms}
\else
\set budget_ms 2000
\endif
\ir timing.sql

-- The sizes, and a prefix table for each size below the whole table.
CREATE TEMP TABLE sizes AS
SELECT DISTINCT n, CASE WHEN n = :rows THEN 'bench_metrics' ELSE 'bench_metrics_' || n END AS rel
FROM (VALUES (:rows), (100000), (10000)) v(n) WHERE n <= :rows;
SELECT format('CREATE TABLE %I AS SELECT * FROM bench_metrics ORDER BY ts LIMIT %s; CREATE INDEX ON %I (ts); ANALYZE %I',
              rel, n, rel, rel)
FROM sizes WHERE rel <> 'bench_metrics' \gexec

-- The plain scan as PostgreSQL runs it (parallel workers where it plans them: both cores on a
-- table this size) and in one process, as detect reads one series.
CREATE TEMP TABLE scans AS
SELECT n, pg_temp.time_ms(format('SELECT sum(value) FROM %I', rel)) AS ms FROM sizes;
SET max_parallel_workers_per_gather = 0;
ALTER TABLE scans ADD COLUMN one_process_ms numeric;
UPDATE scans s SET one_process_ms = pg_temp.time_ms(format('SELECT sum(value) FROM %I', z.rel))
FROM sizes z WHERE z.n = s.n;
RESET max_parallel_workers_per_gather;

-- Every detector in each of its modes (batch-only detectors only in batch), probed once on the
-- smallest size, then given the largest size within the budget.
CREATE TEMP TABLE runs AS
SELECT d.name, m.mode,
       pg_temp.time_ms(format('SELECT count(*) FROM anomdet.detect(%L, %L, %L, mode => %L, only_anomalies => true)',
                              (SELECT rel FROM sizes ORDER BY n LIMIT 1), 'value', d.name, m.mode), 1) AS probe_ms
FROM anomdet.detectors() d, (VALUES ('batch'), ('online')) AS m(mode)
WHERE m.mode = 'batch' OR d.online;
ALTER TABLE runs ADD COLUMN n int;
UPDATE runs r SET n = coalesce(
    (SELECT max(s.n) FROM sizes s WHERE r.probe_ms * s.n / (SELECT min(n) FROM sizes) <= :budget_ms),
    (SELECT min(n) FROM sizes));

CREATE TEMP TABLE bench (name text, mode text, output text, n int, ms numeric);
INSERT INTO bench
SELECT r.name, r.mode, 'flagged rows', r.n,
       pg_temp.time_ms(format('SELECT count(*) FROM anomdet.detect(%L, %L, %L, mode => %L, only_anomalies => true)',
                              s.rel, 'value', r.name, r.mode))
FROM runs r JOIN sizes s USING (n) ORDER BY r.name, r.mode;
-- Every row out, with its score (what INSERT INTO ... SELECT * FROM anomdet.detect(...) needs).
INSERT INTO bench
SELECT r.name, r.mode, 'every row', r.n,
       pg_temp.time_ms(format('SELECT count(*) FILTER (WHERE is_anomaly) FROM anomdet.detect(%L, %L, %L)',
                              s.rel, 'value', r.name))
FROM runs r JOIN sizes s USING (n) WHERE r.mode = 'batch' ORDER BY r.name;
-- Every row out, online: streamed by anomdet's custom scan (the default: one series is scored as
-- its rows are asked for), then through PostgreSQL's function scan, which stores them all first.
INSERT INTO bench
SELECT r.name, r.mode, 'every row, streamed', r.n,
       pg_temp.time_ms(format('SELECT count(*) FILTER (WHERE is_anomaly) FROM anomdet.detect(%L, %L, %L, mode => %L)',
                              s.rel, 'value', r.name, r.mode))
FROM runs r JOIN sizes s USING (n) WHERE r.mode = 'online' AND r.name IN ('zscore', 'ewma', 'iqr', 'mad', 'spot') ORDER BY r.name;
SET anomdet.stream_functions = off;
INSERT INTO bench
SELECT r.name, r.mode, 'every row, function scan', r.n,
       pg_temp.time_ms(format('SELECT count(*) FILTER (WHERE is_anomaly) FROM anomdet.detect(%L, %L, %L, mode => %L)',
                              s.rel, 'value', r.name, r.mode))
FROM runs r JOIN sizes s USING (n) WHERE r.mode = 'online' AND r.name IN ('zscore', 'ewma', 'iqr', 'mad', 'spot') ORDER BY r.name;
RESET anomdet.stream_functions;
INSERT INTO bench
SELECT 'SQL rolling z-score', 'window functions, 60 rows', 'flagged rows', n,
       pg_temp.time_ms(format($q$SELECT count(*) FILTER (WHERE abs(value - m) > 3 * sd) FROM (
           SELECT value, avg(value) OVER w AS m, stddev_samp(value) OVER w AS sd FROM %I
           WINDOW w AS (ORDER BY ts ROWS BETWEEN 60 PRECEDING AND 1 PRECEDING)) s$q$, rel))
FROM sizes WHERE n = :rows;

\echo
\echo 'median of 5 runs; each ratio against a plain scan (SELECT sum(value)) of the same rows,'
\echo 'as planned (parallel workers) and in one process'
SELECT n AS rows, round(ms, 1) AS plain_scan_ms, round(one_process_ms, 1) AS one_process_scan_ms FROM scans ORDER BY n;
SELECT b.name AS detector, b.mode, b.output, b.n AS rows, round(b.ms) AS ms,
       round(b.ms / s.ms, 2) AS x_plain_scan, round(b.ms / s.one_process_ms, 2) AS x_one_process_scan
FROM bench b JOIN scans s USING (n) ORDER BY b.n DESC, b.ms / s.ms;

-- Every row written into a table (#22 item 3): INSERT INTO sink SELECT * FROM anomdet.detect(...)
-- against the same INSERT of the same rows without scores; the sink emptied before each run.
CREATE UNLOGGED TABLE bench_sink (ts timestamptz, series text, value float8, score float8, probability float8,
                                   is_anomaly bool, expected float8, lower_bound float8, upper_bound float8);
CREATE TEMP TABLE inserts AS
SELECT label, pg_temp.time_ms(sql, 5, 'TRUNCATE bench_sink') AS ms
FROM (VALUES
  ('INSERT of the rows without scores', 'INSERT INTO bench_sink SELECT ts, NULL, value, 0, 0, false, 0, 0, 0 FROM bench_metrics'),
  ('INSERT ... SELECT * FROM anomdet.detect(zscore, online)', $$INSERT INTO bench_sink SELECT * FROM anomdet.detect('bench_metrics', 'value', 'zscore', mode => 'online')$$),
  ('INSERT ... SELECT * FROM anomdet.detect(zscore, batch)', $$INSERT INTO bench_sink SELECT * FROM anomdet.detect('bench_metrics', 'value', 'zscore', mode => 'batch')$$)
) v(label, sql);
DROP TABLE bench_sink;
SELECT label AS every_row_written, round(ms) AS ms,
       round(ms / (SELECT ms FROM inserts WHERE label LIKE 'INSERT of%'), 2) AS x_plain_insert
FROM inserts ORDER BY ms;
