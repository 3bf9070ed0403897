-- Ad hoc detection: every detector finds the three planted anomalies in both modes.
SELECT d.name AS detector, m.mode,
       count(*) AS rows,
       count(r.score) AS scored,
       array_agg(extract(epoch FROM r.ts - '2024-01-01+00')::int / 60 ORDER BY r.ts) FILTER (WHERE r.is_anomaly) AS flagged_rows
FROM anomdet.detectors() d
CROSS JOIN (VALUES ('batch'), ('online')) AS m(mode)
CROSS JOIN LATERAL anomdet.detect('metrics', 'value', d.name, mode => m.mode) r
WHERE d.online OR m.mode = 'batch'
GROUP BY d.name, m.mode ORDER BY d.name, m.mode;

-- Known values: the global z-score of row 200 and its band.
SELECT round(score::numeric, 4) AS score, is_anomaly, round(expected::numeric, 4) AS expected,
       round(lower_bound::numeric, 4) AS lower_bound, round(upper_bound::numeric, 4) AS upper_bound
FROM anomdet.detect('metrics', 'value', 'zscore')
WHERE ts = '2024-01-01 03:20:00+00';

-- The same z-score computed in plain SQL agrees.
WITH s AS (SELECT avg(value::float8) AS m, stddev_samp(value::float8) AS sd FROM metrics)
SELECT round(((m.value::float8 - s.m) / s.sd)::numeric, 4) AS sql_score
FROM metrics m, s WHERE m.ts = '2024-01-01 03:20:00+00';

-- Parameters change the outcome: a tighter threshold flags more.
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged
FROM anomdet.detect('metrics', 'value', 'zscore', '{"threshold": 1.5}');

-- Many series in one table: each host scored on its own, the series named in the output.
SELECT series, count(*) AS rows, count(*) FILTER (WHERE is_anomaly) AS flagged,
       min(ts) FILTER (WHERE is_anomaly) AS first_flag
FROM anomdet.detect('fleet', 'cpu', 'mad', series_column => 'host')
GROUP BY series ORDER BY series;

-- Rows come back in time order within each series.
SELECT bool_and(ts > prev) AS ordered FROM (
    SELECT ts, lag(ts) OVER (PARTITION BY series ORDER BY ordinality) AS prev
    FROM anomdet.detect('fleet', 'cpu', 'ewma', series_column => 'host') WITH ORDINALITY
) x WHERE prev IS NOT NULL;

-- Integer, real and numeric value columns, a timestamp-without-time-zone time column.
CREATE TABLE typed (t timestamp, i int, r real, n numeric);
INSERT INTO typed SELECT '2024-01-01'::timestamp + g * interval '1 hour', g % 7, (g % 5)::real, (g % 3)::numeric
FROM generate_series(1, 100) g;
SELECT count(*) AS rows, count(score) AS scored FROM anomdet.detect('typed', 'i', 'zscore');
SELECT count(*) AS rows, count(score) AS scored FROM anomdet.detect('typed', 'r', 'iqr', '{"window": 10}');
SELECT count(*) AS rows, count(score) AS scored FROM anomdet.detect('typed', 'n', 'mad', '{"window": 10}');

-- NULL, NaN and Infinity are skipped by default: returned unscored, kept out of the statistics.
CREATE TABLE holes (ts timestamptz, v float8);
INSERT INTO holes SELECT '2024-01-01+00'::timestamptz + g * interval '1 s', g % 10 FROM generate_series(1, 100) g;
UPDATE holes SET v = NULL WHERE ts = '2024-01-01+00'::timestamptz + interval '10 s';
UPDATE holes SET v = 'NaN' WHERE ts = '2024-01-01+00'::timestamptz + interval '20 s';
UPDATE holes SET v = 'Infinity' WHERE ts = '2024-01-01+00'::timestamptz + interval '30 s';
SELECT count(*) AS rows, count(score) AS scored, count(*) FILTER (WHERE score IS NULL AND is_anomaly IS NULL) AS unscored
FROM anomdet.detect('holes', 'v');
-- ...and the statistics match plain SQL over the finite values only.
SELECT (SELECT round(expected::numeric, 6) FROM anomdet.detect('holes', 'v') LIMIT 1)
     = (SELECT round(avg(v)::numeric, 6) FROM holes WHERE v IS NOT NULL AND v NOT IN ('NaN', 'Infinity')) AS same_mean;

-- Duplicate timestamps may be kept on request.
CREATE TABLE dups (ts timestamptz, v float8);
INSERT INTO dups SELECT '2024-01-01+00'::timestamptz + (g / 2) * interval '1 s', g FROM generate_series(1, 50) g;
SELECT count(*) AS rows FROM anomdet.detect('dups', 'v', on_duplicate => 'keep');

-- Identifiers that need quoting, in a schema that needs quoting, are read safely.
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Table; DROP TABLE metrics" ("time stamp" timestamptz, "Value""Q" float8);
INSERT INTO "Odd Schema"."Table; DROP TABLE metrics" SELECT ts, value FROM metrics;
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged
FROM anomdet.detect('"Odd Schema"."Table; DROP TABLE metrics"', 'Value"Q', 'mad');
SELECT count(*) AS metrics_still_there FROM metrics;

-- A hostile search_path cannot redirect the casts inside the reading query.
CREATE SCHEMA evil;
CREATE FUNCTION evil.float8(numeric) RETURNS float8 LANGUAGE sql AS 'SELECT 42::pg_catalog.float8';
SET search_path = evil, public;
SELECT max(value) < 42 AS casts_not_hijacked FROM anomdet.detect('metrics', 'value');
RESET search_path;

-- A table whose rows are stored out of time order gives exactly the same scores.
CREATE TABLE shuffled AS SELECT * FROM metrics ORDER BY md5(ts::text);
SELECT count(*) AS differences FROM anomdet.detect('metrics', 'value', 'mad') a
FULL JOIN anomdet.detect('shuffled', 'value', 'mad') b USING (ts)
WHERE a.score IS DISTINCT FROM b.score OR a.is_anomaly IS DISTINCT FROM b.is_anomaly;
SELECT (SELECT array_agg(ts) FROM anomdet.detect('shuffled', 'value', 'zscore'))
     = (SELECT array_agg(ts ORDER BY ts) FROM metrics) AS returned_in_time_order;

-- only_anomalies returns just the flagged rows.
SELECT ts, round(value::numeric, 2) AS value FROM anomdet.detect('metrics', 'value', 'mad', only_anomalies => true);

-- Online mode on a table stored out of time order gives the same scores as on an ordered one.
SELECT count(*) AS online_differences FROM anomdet.detect('metrics', 'value', 'ewma', mode => 'online') a
FULL JOIN anomdet.detect('shuffled', 'value', 'ewma', mode => 'online') b USING (ts)
WHERE a.score IS DISTINCT FROM b.score OR a.is_anomaly IS DISTINCT FROM b.is_anomaly;
SELECT count(*) AS rows_once FROM anomdet.detect('shuffled', 'value', 'mad', mode => 'online');

-- A time range: only rows in [start_time, end_time) come back; online scores warmed up on the
-- lookback rows before the start equal those of a full pass (mad's window fits in 200 rows).
SELECT count(*) AS rows, min(ts) AS first, max(ts) AS last
FROM anomdet.detect('metrics', 'value', 'mad', mode => 'online',
                    start_time => '2024-01-01 02:00+00', end_time => '2024-01-01 04:00+00', lookback => 200);
SELECT count(*) AS differences_from_a_full_pass
FROM anomdet.detect('metrics', 'value', 'mad', mode => 'online',
                    start_time => '2024-01-01 02:00+00', end_time => '2024-01-01 04:00+00', lookback => 200) a
JOIN anomdet.detect('metrics', 'value', 'mad', mode => 'online') b USING (ts)
WHERE a.score IS DISTINCT FROM b.score OR a.is_anomaly IS DISTINCT FROM b.is_anomaly;
-- Without warm-up rows the first window of the range is unscored instead.
SELECT count(*) - count(score) AS unscored_without_lookback
FROM anomdet.detect('metrics', 'value', 'mad', mode => 'online',
                    start_time => '2024-01-01 02:00+00', end_time => '2024-01-01 04:00+00', lookback => 0);
-- Open-ended ranges, a keyed source, and bounds far outside the data (BC, infinity).
SELECT count(*) AS from_start_on FROM anomdet.detect('metrics', 'value', start_time => '2024-01-01 05:00+00');
SELECT series, count(*) AS rows FROM anomdet.detect('fleet', 'cpu', 'mad', series_column => 'host',
    end_time => '2024-01-01 01:00+00') GROUP BY series ORDER BY series;
SELECT count(*) AS whole FROM anomdet.detect('metrics', 'value', start_time => '0044-03-15 00:00+00 BC', end_time => 'infinity');
-- Batch mode, flagged rows only: made from the scores of the flagged rows alone; the same rows
-- as filtering every row, with a time range whose warm-up rows are flagged too (lookback).
SELECT (SELECT count(*) FROM anomdet.detect('metrics', 'value', 'zscore', '{"threshold": 1.5}', only_anomalies => true,
                                            start_time => '2024-01-01 05:00+00', lookback => 500)) AS flagged_only,
       (SELECT count(*) FROM anomdet.detect('metrics', 'value', 'zscore', '{"threshold": 1.5}',
                                            start_time => '2024-01-01 05:00+00', lookback => 500) WHERE is_anomaly) AS filtered,
       (SELECT count(*) FROM anomdet.detect('metrics', 'value', 'zscore', '{"threshold": 1.5}') WHERE is_anomaly) AS whole_series;
SELECT count(*) AS differing FROM
  ((SELECT ts, score, expected FROM anomdet.detect('fleet', 'cpu', 'iqr', series_column => 'host', only_anomalies => true)
    EXCEPT ALL SELECT ts, score, expected FROM anomdet.detect('fleet', 'cpu', 'iqr', series_column => 'host') WHERE is_anomaly)
   UNION ALL
   (SELECT ts, score, expected FROM anomdet.detect('fleet', 'cpu', 'iqr', series_column => 'host') WHERE is_anomaly
    EXCEPT ALL SELECT ts, score, expected FROM anomdet.detect('fleet', 'cpu', 'iqr', series_column => 'host', only_anomalies => true))) x;
