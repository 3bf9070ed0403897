-- Online scoring a chunk ahead on a helper thread (pipeline::ahead): from a series' first full
-- chunk (10,000 rows) on, a helper thread scores each chunk while the backend reads the next,
-- when the session lets a query use more than one process (max_parallel_workers_per_gather > 0,
-- PostgreSQL's default). The rows must be those scored on the backend's own thread, bit for bit.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS anomdet;
SET TIME ZONE 'UTC';
SELECT anomdet.generate('ahead', 'sine', length => 65000, amplitude => 10, noise => 1, seed => 26) AS ahead \gset
-- Spikes across chunk boundaries, and unusable values (left unscored, on_invalid => 'skip').
UPDATE ahead SET value = value + 35 WHERE ts IN (SELECT ts FROM ahead ORDER BY ts OFFSET 9999 LIMIT 2);
UPDATE ahead SET value = value - 30 WHERE ts IN (SELECT ts FROM ahead ORDER BY ts OFFSET 41234 LIMIT 1);
UPDATE ahead SET value = NULL WHERE ts IN (SELECT ts FROM ahead ORDER BY ts OFFSET 20005 LIMIT 3);
UPDATE ahead SET value = 'NaN' WHERE ts IN (SELECT ts FROM ahead ORDER BY ts OFFSET 30001 LIMIT 1);
-- Two long series and two short ones (never a full chunk: scored on the backend).
CREATE TABLE ahead_fleet AS
  SELECT 'long' || g AS host, ts, value * g AS value FROM ahead, generate_series(1, 2) g
  UNION ALL SELECT 'short' || g, ts, value + g FROM (SELECT * FROM ahead ORDER BY ts LIMIT 500) s, generate_series(1, 2) g;
SELECT anomdet.train('ahead_ewma', 'ahead', 'value', 'ewma', end_time => (SELECT min(ts) + interval '5000 seconds' FROM ahead)) > 0 AS trained;

CREATE TEMP TABLE calls(label text, sql text);
INSERT INTO calls VALUES
  ('zscore', $$anomdet.detect('ahead', 'value', 'zscore', mode => 'online', on_invalid => 'skip')$$),
  ('mad', $$anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip')$$),
  ('iqr', $$anomdet.detect('ahead', 'value', 'iqr', mode => 'online', on_invalid => 'skip')$$),
  ('spot', $$anomdet.detect('ahead', 'value', 'spot', mode => 'online', on_invalid => 'skip')$$),
  ('ewma, flagged only', $$anomdet.detect('ahead', 'value', 'ewma', mode => 'online', on_invalid => 'skip', only_anomalies => true)$$),
  ('a stored model', $$anomdet.detect('ahead', 'value', model => 'ahead_ewma', on_invalid => 'skip')$$),
  ('a time range', $$anomdet.detect('ahead', 'value', 'zscore', mode => 'online', on_invalid => 'skip', start_time => (SELECT min(ts) + interval '25000 seconds' FROM ahead), lookback => 100)$$),
  ('a series column', $$anomdet.detect('ahead_fleet', 'value', 'mad', series_column => 'host', mode => 'online', on_invalid => 'skip')$$);
-- Each row as text, scored with the helper allowed or not. The function scan (streaming off)
-- reads and scores as the plan does; the streamed scan holds one series and scores it as
-- asked for, the helper kept a few chunks ahead of the rows handed out.
CREATE FUNCTION pg_temp.rows_of(call text, helper bool, streamed bool DEFAULT false) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('anomdet.stream_functions', streamed::text, true);
  PERFORM set_config('max_parallel_workers_per_gather', CASE WHEN helper THEN '2' ELSE '0' END, true);
  RETURN QUERY EXECUTE format('SELECT d::text FROM (SELECT * FROM %s) d', call);
END $$;
SELECT label,
       (SELECT count(*) FROM pg_temp.rows_of(sql, true)) AS rows,
       (SELECT count(*) FROM pg_temp.rows_of(sql, true) r WHERE r LIKE '%,t,%') AS flagged,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, true) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, false)) x) AS only_ahead,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, false) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, true)) x) AS only_here
FROM calls ORDER BY label;
SELECT label,
       (SELECT count(*) FROM pg_temp.rows_of(sql, true, true)) AS rows,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, true, true) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, false)) x) AS only_ahead,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, false) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, true, true)) x) AS only_here
FROM calls WHERE label IN ('zscore', 'mad', 'a stored model', 'a time range') ORDER BY label;

-- In time order, series by series, as on the backend's own thread, streamed or not.
SELECT count(*) FILTER (WHERE prev >= ts) AS out_of_order, count(*) AS rows
FROM (SELECT ts, lag(ts) OVER () AS prev FROM anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip')) x;
SET anomdet.stream_functions = off;
SELECT count(*) FILTER (WHERE prev >= ts) AS out_of_order, count(*) AS rows
FROM (SELECT ts, lag(ts) OVER () AS prev FROM anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip')) x;
SELECT count(*) FILTER (WHERE prev_host = host AND prev >= ts) AS out_of_order, count(DISTINCT host) AS series
FROM (SELECT series AS host, ts, lag(ts) OVER () AS prev, lag(series) OVER () AS prev_host
      FROM anomdet.detect('ahead_fleet', 'value', 'mad', series_column => 'host', mode => 'online', on_invalid => 'skip')) x;
RESET anomdet.stream_functions;

-- EXPLAIN ANALYZE says when rows were scored ahead: a series of a full chunk or more, with the
-- helper allowed, stored first or held and scored as asked for; not with
-- max_parallel_workers_per_gather = 0, nor for a short series.
CREATE FUNCTION pg_temp.how(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ 'Rows:' THEN RETURN NEXT trim(line); END IF;
  END LOOP;
END $$;
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip', only_anomalies => true)$$);
SET max_parallel_workers_per_gather = 0;
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip', only_anomalies => true)$$);
RESET max_parallel_workers_per_gather;
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip')$$);
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ahead_fleet', 'value', 'mad', series_column => 'host', mode => 'online', on_invalid => 'skip', end_time => (SELECT min(ts) + interval '9000 seconds' FROM ahead))$$);

-- A LIMIT stops the streamed scan while the helper still has chunks: they are dropped with it.
SELECT count(*) AS limited, max(ts) = (SELECT ts FROM ahead ORDER BY ts OFFSET 14999 LIMIT 1) AS last_is_row_15000
FROM (SELECT * FROM anomdet.detect('ahead', 'value', 'mad', mode => 'online', on_invalid => 'skip') LIMIT 15000) x;

-- An error in a later chunk, while earlier chunks are with the helper: the statement fails
-- with the error of the row (the first NULL in time order), and the session goes on.
SELECT count(*) FROM anomdet.detect('ahead', 'value', 'zscore', mode => 'online', on_invalid => 'error', only_anomalies => true);
SELECT count(*) AS still_fine FROM anomdet.detect('ahead', 'value', 'zscore', mode => 'online', on_invalid => 'skip', only_anomalies => true);
