-- Batch mode made a range at a time (Detector::batch_pieces): when no probability is read,
-- zscore, mad and iqr learn what needs the whole series (a mean, a resolution) and score each
-- chunk of rows as it is handed on, and ewma and spot, whose batch mode is their online pass,
-- score as online mode does, on the helper while the rows are read. A probability read needs
-- every score at once (it ranks the whole series'). The rows must be the same, bit for bit.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS anomdet;
SET TIME ZONE 'UTC';
SELECT anomdet.generate('ranges', 'sine', length => 45000, amplitude => 10, noise => 1, seed => 27) AS ranges \gset
-- Spikes at the ends and across chunk boundaries (10,000 rows a chunk).
UPDATE ranges SET value = value + 35 WHERE ts IN (SELECT ts FROM ranges ORDER BY ts OFFSET 9999 LIMIT 2);
UPDATE ranges SET value = value - 30 WHERE ts IN (SELECT ts FROM ranges ORDER BY ts OFFSET 29990 LIMIT 1);
UPDATE ranges SET value = value + 40 WHERE ts IN (SELECT ts FROM ranges ORDER BY ts LIMIT 1);
UPDATE ranges SET value = value + 40 WHERE ts IN (SELECT ts FROM ranges ORDER BY ts DESC LIMIT 1);
-- The same series with unusable rows (left unscored): scored whole, then spread over the rows.
CREATE TABLE ranges_gaps AS SELECT * FROM ranges;
UPDATE ranges_gaps SET value = NULL WHERE ts IN (SELECT ts FROM ranges ORDER BY ts OFFSET 20005 LIMIT 3);

-- Each row as text without its probability: from the streamed scan, which reads no
-- probability when the query does not (pieces), and from the function scan, which reads them
-- all (the whole batch), with the helper allowed or not.
CREATE FUNCTION pg_temp.rows_of(call text, pieces bool, helper bool DEFAULT true) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('anomdet.stream_functions', pieces::text, true);
  PERFORM set_config('max_parallel_workers_per_gather', CASE WHEN helper THEN '2' ELSE '0' END, true);
  RETURN QUERY EXECUTE format('SELECT (ts, value, score, is_anomaly, expected, lower_bound, upper_bound)::text FROM %s', call);
END $$;
CREATE TEMP TABLE calls AS
SELECT d || ', ' || t || CASE WHEN f THEN ', flagged only' ELSE '' END AS label,
       format('anomdet.detect(%L, %L, %L, mode => %L, on_invalid => %L, only_anomalies => %L)', t, 'value', d, 'batch', 'skip', f) AS sql
FROM unnest(ARRAY['zscore', 'mad', 'iqr', 'ewma', 'spot']) d, unnest(ARRAY['ranges', 'ranges_gaps']) t, unnest(ARRAY[false, true]) f;
SELECT label,
       (SELECT count(*) FROM pg_temp.rows_of(sql, true)) AS rows,
       (SELECT count(*) FROM pg_temp.rows_of(sql, true) r WHERE r LIKE '%,t,%') AS flagged,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, true) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, false)) x) AS only_in_pieces,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, false) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, true)) x) AS only_whole,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, true, false) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, false)) x) AS one_thread_differs
FROM calls ORDER BY label;

-- In time order, each row once.
SELECT count(*) FILTER (WHERE prev >= ts) AS out_of_order, count(*) AS rows, count(score) AS scored
FROM (SELECT ts, score, lag(ts) OVER () AS prev FROM anomdet.detect('ranges', 'value', 'mad', mode => 'batch')) x;

-- EXPLAIN ANALYZE says how: ewma's batch scored a chunk ahead as online mode is; mad's scored
-- range by range as the rows were asked for; with the probability read, both scored whole.
CREATE FUNCTION pg_temp.how(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ 'Rows:' THEN RETURN NEXT trim(line); END IF;
  END LOOP;
END $$;
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ranges', 'value', 'ewma', mode => 'batch')$$);
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ranges', 'value', 'mad', mode => 'batch')$$);
SELECT pg_temp.how($$SELECT sum(probability) FROM anomdet.detect('ranges', 'value', 'ewma', mode => 'batch')$$);
SET max_parallel_workers_per_gather = 0;
SELECT pg_temp.how($$SELECT count(*) FROM anomdet.detect('ranges', 'value', 'mad', mode => 'batch')$$);
RESET max_parallel_workers_per_gather;
