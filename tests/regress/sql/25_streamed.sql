-- detect(...) in FROM streams its rows through anomdet's custom scan (anomdet.stream_functions,
-- on by default) instead of a function scan that stores them all first. The rows must be the
-- function scan's, row for row, whatever the call; what cannot stream falls back to the
-- function scan in the plan, or to storing the rows inside the node.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS anomdet;
SET TIME ZONE 'UTC';
SELECT anomdet.generate('streamed', 'sine', length => 3000, amplitude => 10, noise => 1, seed => 25) AS streamed \gset
UPDATE streamed SET value = value + 40 WHERE ts IN (SELECT ts FROM streamed ORDER BY ts OFFSET 1500 LIMIT 1);
UPDATE streamed SET value = NULL WHERE ts IN (SELECT ts FROM streamed ORDER BY ts OFFSET 700 LIMIT 3);
-- Stored out of time order (newest first): the streamed read puts the series in order as the
-- function does.
CREATE TABLE streamed_shuffled AS SELECT * FROM streamed ORDER BY ts DESC;
CREATE TABLE streamed_fleet AS SELECT 'h' || g AS host, ts, value + g AS value FROM streamed, generate_series(0, 2) g;
SELECT anomdet.train('streamed_ewma', 'streamed', 'value', 'ewma', end_time => (SELECT min(ts) + interval '1000 minutes' FROM streamed)) > 0 AS trained;
CREATE TABLE streamed_detectors(name text);
INSERT INTO streamed_detectors VALUES ('zscore');

-- The plans: streamed for a plain call, whatever the query reads of it.
EXPLAIN (COSTS OFF) SELECT * FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online');
EXPLAIN (COSTS OFF) SELECT ts, score * 2 FROM anomdet.detect('streamed', 'value') WHERE is_anomaly LIMIT 5;
-- A function scan where the node cannot stand in: WITH ORDINALITY, a whole-row reference, a
-- call that reads another table of the query (LATERAL), and with the setting off.
EXPLAIN (COSTS OFF) SELECT * FROM anomdet.detect('streamed', 'value') WITH ORDINALITY;
EXPLAIN (COSTS OFF) SELECT d FROM anomdet.detect('streamed', 'value') d;
EXPLAIN (COSTS OFF) SELECT * FROM streamed_detectors v, LATERAL anomdet.detect('streamed', 'value', v.name) d;
SET anomdet.stream_functions = off;
EXPLAIN (COSTS OFF) SELECT * FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online');
RESET anomdet.stream_functions;

-- The same rows, streamed and stored, for calls of every kind: held and scored on demand
-- (online, every row), and stored by the node (batch, only_anomalies, several series, a time
-- range, a table out of time order).
CREATE TEMP TABLE calls(label text, sql text);
INSERT INTO calls VALUES
  ('online zscore', $$anomdet.detect('streamed', 'value', 'zscore', mode => 'online')$$),
  ('online mad, params', $$anomdet.detect('streamed', 'value', 'mad', '{"window": 50}', mode => 'online')$$),
  ('online, out of order', $$anomdet.detect('streamed_shuffled', 'value', 'ewma', mode => 'online')$$),
  ('online, time range', $$anomdet.detect('streamed', 'value', 'zscore', mode => 'online', start_time => (SELECT min(ts) + interval '1000 seconds' FROM streamed), lookback => 50)$$),
  ('online, a stored model', $$anomdet.detect('streamed', 'value', model => 'streamed_ewma')$$),
  ('online, only anomalies', $$anomdet.detect('streamed', 'value', 'spot', mode => 'online', only_anomalies => true)$$),
  ('batch', $$anomdet.detect('streamed', 'value', 'iqr')$$),
  ('batch, time range', $$anomdet.detect('streamed', 'value', 'zscore', start_time => (SELECT min(ts) + interval '1000 seconds' FROM streamed), end_time => (SELECT max(ts) - interval '500 seconds' FROM streamed))$$),
  ('batch, series', $$anomdet.detect('streamed_fleet', 'value', 'zscore', series_column => 'host')$$),
  ('online, series', $$anomdet.detect('streamed_fleet', 'value', 'ewma', series_column => 'host', mode => 'online')$$);
CREATE FUNCTION pg_temp.rows_of(call text, streamed bool) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('anomdet.stream_functions', streamed::text, true);
  RETURN QUERY EXECUTE format('SELECT d::text FROM (SELECT * FROM %s) d', call);
END $$;
-- (The inner SELECT * streams; the outer whole-row reference reads its output.) EXPLAIN
-- ANALYZE says how the node made the rows: scored as asked for, or stored first.
-- (Only that line: the rest of EXPLAIN ANALYZE's text differs between PostgreSQL 15 and 18.)
CREATE FUNCTION pg_temp.how(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ '(Custom Scan|Function Scan|Rows:)' THEN RETURN NEXT regexp_replace(trim(line), ' \(actual.*', ''); END IF;
  END LOOP;
END $$;
SELECT pg_temp.how($$SELECT d::text FROM (SELECT * FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online')) d$$);
SELECT pg_temp.how($$SELECT d::text FROM (SELECT * FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online', only_anomalies => true)) d$$);
-- Batch mode (detect's default) on one series: scored whole once read, rows made as asked for;
-- several series are stored.
SELECT pg_temp.how($$SELECT d::text FROM (SELECT * FROM anomdet.detect('streamed', 'value')) d$$);
SELECT pg_temp.how($$SELECT d::text FROM (SELECT * FROM anomdet.detect('streamed_fleet', 'value', series_column => 'host')) d$$);
SELECT label,
       (SELECT count(*) FROM pg_temp.rows_of(sql, true)) AS rows,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, true) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, false)) x) AS only_streamed,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(sql, false) EXCEPT ALL SELECT * FROM pg_temp.rows_of(sql, true)) x) AS only_stored
FROM calls ORDER BY label;

-- The probability is worked out only when the query reads it, in the select list or the WHERE
-- clause alone: the counts at 0.9 are the function scan's.
SELECT count(*) FILTER (WHERE probability >= 0.9) AS at_90 FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online');
SELECT count(*) AS at_90 FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online') WHERE probability >= 0.9;
SET anomdet.stream_functions = off;
SELECT count(*) AS at_90 FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online') WHERE probability >= 0.9;
RESET anomdet.stream_functions;
-- Flagged rows only (scored first and stored): their probabilities where read, in the WHERE
-- clause or an ORDER BY alone, are the function scan's; where not read, the rows are the same.
SELECT count(*) AS flagged_at_99 FROM anomdet.detect('streamed', 'value', 'ewma', mode => 'online', params => '{"threshold": 2}', only_anomalies => true) WHERE probability >= 0.99;
SELECT string_agg(ts::text, ',') AS least_probable FROM (SELECT ts FROM anomdet.detect('streamed', 'value', 'ewma', mode => 'online', params => '{"threshold": 2}', only_anomalies => true) ORDER BY probability, ts LIMIT 3) x;
SELECT count(*) AS flagged FROM anomdet.detect('streamed', 'value', 'ewma', mode => 'online', params => '{"threshold": 2}', only_anomalies => true);
SET anomdet.stream_functions = off;
SELECT count(*) AS flagged_at_99 FROM anomdet.detect('streamed', 'value', 'ewma', mode => 'online', params => '{"threshold": 2}', only_anomalies => true) WHERE probability >= 0.99;
SELECT string_agg(ts::text, ',') AS least_probable FROM (SELECT ts FROM anomdet.detect('streamed', 'value', 'ewma', mode => 'online', params => '{"threshold": 2}', only_anomalies => true) ORDER BY probability, ts LIMIT 3) x;
SELECT count(*) AS flagged FROM anomdet.detect('streamed', 'value', 'ewma', mode => 'online', params => '{"threshold": 2}', only_anomalies => true);
RESET anomdet.stream_functions;

-- Rows with no time are neither scored nor returned: the reader skips them (the query does not
-- test every row for them). Against the same tables without them: no row differs either way.
CREATE TABLE streamed_untimed AS SELECT * FROM streamed;
INSERT INTO streamed_untimed (ts, value) VALUES (NULL, 1e6), (NULL, -1e6), (NULL, NULL);
CREATE TABLE fleet_untimed AS SELECT * FROM streamed_fleet;
INSERT INTO fleet_untimed (host, ts, value) VALUES ('h1', NULL, 1e6), ('h9', NULL, 5);
SELECT label,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(format(sql, 'streamed_untimed', 'fleet_untimed'), true)
                              EXCEPT ALL SELECT * FROM pg_temp.rows_of(format(sql, 'streamed', 'streamed_fleet'), true)) x) AS only_untimed,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.rows_of(format(sql, 'streamed', 'streamed_fleet'), true)
                              EXCEPT ALL SELECT * FROM pg_temp.rows_of(format(sql, 'streamed_untimed', 'fleet_untimed'), true)) x) AS only_timed
FROM (VALUES ('online', $$anomdet.detect(%1$L, 'value', 'ewma', mode => 'online')$$),
             ('batch', $$anomdet.detect(%1$L, 'value', 'ewma')$$),
             ('online, a series column', $$anomdet.detect(%2$L, 'value', 'ewma', series_column => 'host', mode => 'online')$$),
             ('flagged only', $$anomdet.detect(%1$L, 'value', 'zscore', mode => 'online', only_anomalies => true)$$))
     AS c(label, sql) ORDER BY label;

-- In time order as the function returns them, flagged rows where the spike is.
SELECT ts, round(value::numeric, 2) AS value, is_anomaly
FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online') WHERE is_anomaly;
SELECT count(*) FILTER (WHERE prev >= ts) AS out_of_order
FROM (SELECT ts, lag(ts) OVER () AS prev FROM anomdet.detect('streamed_shuffled', 'value', 'ewma', mode => 'online')) x;

-- Arguments the plan cannot fold: a generic plan's parameters, a correlated subquery that
-- starts the scan over for each outer row, a cursor.
SET plan_cache_mode = force_generic_plan;
PREPARE flagged(text, text) AS
  SELECT count(*) FILTER (WHERE is_anomaly) AS flagged, count(*) AS rows FROM anomdet.detect($1::regclass, 'value', $2, mode => 'online');
EXECUTE flagged('streamed', 'zscore');
EXECUTE flagged('streamed_shuffled', 'ewma');
RESET plan_cache_mode;
SELECT t.name, (SELECT count(*) FROM anomdet.detect(t.name::regclass, 'value', 'zscore', mode => 'online') d WHERE d.is_anomaly) AS flagged
FROM (VALUES ('streamed'), ('streamed_shuffled')) t(name) ORDER BY 1;
-- Scanned again with the same arguments, as the inner side of a nested loop: each pass starts over.
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
SELECT count(*) AS matched FROM (SELECT ts FROM streamed ORDER BY ts LIMIT 5) s
JOIN anomdet.detect('streamed', 'value', 'zscore', mode => 'online') d ON d.ts = s.ts;
RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;
-- UPDATE ... FROM detect(...) keeps the function scan (the update re-checks rows by a whole-row copy).
CREATE TABLE streamed_flags AS SELECT ts, false AS flagged FROM streamed;
EXPLAIN (COSTS OFF) UPDATE streamed_flags f SET flagged = d.is_anomaly
FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online') d WHERE f.ts = d.ts;
UPDATE streamed_flags f SET flagged = d.is_anomaly
FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online') d WHERE f.ts = d.ts;
SELECT count(*) FILTER (WHERE flagged) AS flagged FROM streamed_flags;
BEGIN;
DECLARE rows_out SCROLL CURSOR FOR SELECT ts, is_anomaly FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online');
FETCH 2 FROM rows_out;
FETCH ABSOLUTE 1501 FROM rows_out;
FETCH BACKWARD 1 FROM rows_out;
COMMIT;

-- Bad arguments: the function's own errors, and nothing left behind.
SELECT * FROM anomdet.detect('streamed', 'value', 'no_such_detector', mode => 'online');
SELECT * FROM anomdet.detect('streamed', 'no_such_column', mode => 'online');
SELECT * FROM anomdet.detect('streamed', 'value', 'gesd', mode => 'online');
SELECT * FROM anomdet.detect('streamed', 'value', mode => 'online', on_invalid => 'error');
SELECT count(*) FROM anomdet.detect('streamed', 'value', 'zscore', mode => 'online');
