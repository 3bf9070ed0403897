-- Every bad argument gets a specific SQLSTATE, a message naming the argument, and a hint.
SELECT expect_error($$SELECT * FROM anomdet.detect(NULL, 'value')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', NULL)$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', NULL)$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', params => NULL)$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('no_such_table', 'value')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'valu')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'ts')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'prophet')$$);
-- Parameters that would need more memory than the limit are refused before anything is built
-- (a failed allocation would abort the backend): the trees alone, and a window matrix.
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'rrcf', '{"trees": 1000, "tree_size": 100000, "shingle": 64}')$$);
SELECT expect_error($$SELECT anomdet.run_stream('metrics', 'value', 'never_made', 'half_space_trees', '{"trees": 1000, "height": 20}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'mad', '{"windw": 5}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'mad', '{"window": 2}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'mad', '{"window": 2.5}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'mad', '{"window": "ten"}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'ewma', '{"lambda": 0}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'zscore', '{"threshold": -1}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'zscore', '[3]')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', 'zscore', '{"threshold": 1e400}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', mode => 'realtime')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', on_invalid => 'ignore')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', on_duplicate => 'merge')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', time_column => 'value')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', series_column => 'host')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics_ts_seq', 'value')$$);

-- A time axis of Unix epoch numbers (AnomDet's own sample data has them): refused, with the
-- conversion in the hint, in every function that takes a time column.
CREATE TABLE epoch_metrics (epoch_ms bigint, value double precision);
INSERT INTO epoch_metrics SELECT 1717200000000 + i * 60000, i % 7 FROM generate_series(1, 50) i;
SELECT expect_error($$SELECT * FROM anomdet.detect('epoch_metrics', 'value')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('epoch_metrics', 'value', time_column => 'epoch_ms')$$);
SELECT expect_error($$SELECT anomdet.run_batch('epoch_metrics', 'value', time_column => 'epoch_ms')$$);
SELECT expect_error($$SELECT anomdet.inject('epoch_metrics', 'spike', '{value}', time_column => 'epoch_ms')$$);
SELECT expect_error($$SELECT anomdet.train('epoch_model', 'epoch_metrics', 'value', time_column => 'epoch_ms')$$);
DROP TABLE epoch_metrics;

-- The time column: none, or several to choose from.
CREATE TABLE no_time (n int, v float8);
INSERT INTO no_time VALUES (1, 1);
SELECT expect_error($$SELECT * FROM anomdet.detect('no_time', 'v')$$);
CREATE TABLE two_times (created timestamptz, updated timestamptz, v float8);
INSERT INTO two_times SELECT now(), now(), g FROM generate_series(1, 3) g;
SELECT expect_error($$SELECT * FROM anomdet.detect('two_times', 'v')$$);
SELECT count(*) FROM anomdet.detect('two_times', 'v', time_column => 'created', on_duplicate => 'keep');

-- Data problems.
CREATE TABLE empty_series (ts timestamptz, v float8);
-- Nothing to score is an answer: no rows (a NOTICE says so), and a job that scored 0 rows.
SELECT count(*) FROM anomdet.detect('empty_series', 'v');
SELECT count(*) FROM anomdet.detect('empty_series', 'v', 'mad', mode => 'online');
INSERT INTO empty_series (v) VALUES (1), (2);
SELECT count(*) FROM anomdet.detect('empty_series', 'v');
DELETE FROM empty_series;
INSERT INTO empty_series SELECT '2024-01-01+00'::timestamptz + g * interval '1 s', g FROM generate_series(1, 10) g;
SELECT expect_error($$SELECT * FROM anomdet.detect('empty_series', 'v', 'mad')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('empty_series', 'v', 'mad', mode => 'online')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('holes', 'v', on_invalid => 'error')$$);
UPDATE holes SET v = 1 WHERE v IS NULL;
SELECT expect_error($$SELECT * FROM anomdet.detect('holes', 'v', on_invalid => 'error')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('dups', 'v')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('dups', 'v', mode => 'online')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', only_anomalies => NULL)$$);
CREATE TABLE huge (ts timestamptz, v numeric);
INSERT INTO huge VALUES ('2024-01-01+00', 1e400), ('2024-01-02+00', 1);
SELECT expect_error($$SELECT * FROM anomdet.detect('huge', 'v')$$);

-- Job functions.
SELECT expect_error($$SELECT anomdet.cancel_job(NULL)$$);
SELECT expect_error($$SELECT anomdet.cancel_job(-1)$$);
SELECT expect_error($$SELECT anomdet.run_batch('metrics', 'value', 'nope')$$);
SELECT count(*) AS jobs_after_refused_calls FROM anomdet.jobs;
-- A batch job of an empty table succeeds, with 0 rows scored.
CREATE TABLE no_rows_yet (ts timestamptz, v float8);
SELECT anomdet.run_batch('no_rows_yet', 'v') AS empty_job \gset
SELECT status, rows_read, rows_scored, anomalies, error FROM anomdet.jobs WHERE id = :empty_job;
SELECT count(*) AS stored FROM anomdet.results WHERE job_id = :empty_job;

-- statement_timeout stops long calls (3,000,000 rows) with "canceling statement due to statement timeout".
-- (expect_error cannot catch query_canceled, so the error itself is the expected output.)
CREATE TABLE big AS SELECT '2024-01-01+00'::timestamptz + g * interval '1 s' AS ts, g::float8 AS v
FROM generate_series(1, 3000000) g;
SET statement_timeout = '100ms';
SELECT expect_error($$SELECT count(*) FROM anomdet.detect('big', 'v', 'mad')$$);
SELECT expect_error($$SELECT count(*) FROM anomdet.detect('big', 'v', 'ewma', mode => 'online')$$);
RESET statement_timeout;
DROP TABLE big;

-- A dangling regclass OID is a clean 42P01 for every function that takes a source.
SELECT expect_error($$SELECT * FROM anomdet.detect(4294967000::oid::regclass, 'v')$$);
SELECT expect_error($$SELECT anomdet.run_batch(4294967000::oid::regclass, 'v')$$);
SELECT expect_error($$SELECT anomdet.inject(4294967000::oid::regclass, 'spike', '{v}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.benchmark(4294967000::oid::regclass, 'v')$$);
-- Time ranges: the end before the start, a negative lookback, a NULL lookback; a range with no
-- rows is not an error (it returns none), nor is a range past the data.
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', start_time => '2024-01-02', end_time => '2024-01-01')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', start_time => '2024-01-01', lookback => -1)$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', lookback => NULL)$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', start_time => '2030-01-01')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('metrics', 'value', start_time => '2030-01-01', lookback => 0)$$);
SELECT expect_error($$SELECT * FROM anomdet.evaluate(1, start_time => '2024-01-02', end_time => '2024-01-02')$$);

-- What a Citus worker runs for the coordinator, called by hand with bad input: clear errors.
SELECT expect_error($$SELECT anomdet._scored_series('a', NULL, '{1}', '{}')$$);
SELECT expect_error($$SELECT anomdet._scored_series('a', '{2024-01-01}', '{1,2}', '{}')$$);
SELECT expect_error($$SELECT anomdet._scored_series('a', '{2024-01-01}', '{1}', '{}')$$);
SELECT expect_error($$SELECT anomdet._scored_series('a', '{2024-01-01}', '{1}', '{"source": "no_such_table"}')$$);
SELECT expect_error($$SELECT anomdet._scored_series('a', '{2024-01-01}', '{1}', '{"source": "metrics", "value_column": 3}')$$);
SELECT expect_error($$SELECT anomdet._benchmark_series('a', 0, '{2024-01-01}', '{1,2}', '{}')$$);
SELECT expect_error($$SELECT anomdet._benchmark_series('a', 0, '{2024-01-01}', '{1}', '{"source": "m"}')$$);
SELECT expect_error($$SELECT anomdet._benchmark_series('a', 0, '{2024-01-01}', '{1}', '{"source": "m", "detectors": [{"name": "nope"}], "methods": []}')$$);
SELECT expect_error($$SELECT anomdet._benchmark_series('a', 0, '{2024-01-01,2024-01-01}', '{1,2}', '{"source": "m", "detectors": [], "methods": ["spike"], "seeds": 1, "count": 1, "length": 1}')$$);
-- Given right, it runs the grid on the series: a cell per method x seed x detector.
SELECT jsonb_array_length(anomdet._benchmark_series(NULL, 0, array_agg(ts), array_agg(value),
    '{"source": "metrics", "detectors": [{"name": "zscore"}], "methods": ["spike"], "seeds": 2, "count": 2, "length": 5}')) AS cells
FROM metrics;
-- Given right, it scores the series as detect does, in few bytes a row: flags, a byte for the
-- time of evenly spaced rows, the value, score and probability (the band holds still).
SELECT length(anomdet._scored_series(NULL, array_agg(ts ORDER BY ts), array_agg(value ORDER BY ts),
    '{"source": "metrics", "value_column": "value", "detector": "zscore", "mode": "batch", "on_invalid": "skip", "on_duplicate": "error"}'))
    / count(*) AS bytes_a_row
FROM metrics;

-- A duplicate time, and a row out of time order, right where a chunk of 10,000 rows ends: the
-- checks hold across the chunk boundary (they once looked only within a chunk's buffer).
CREATE TABLE chunk_edge AS
SELECT '2024-01-01 00:00+00'::timestamptz + (i - (i = 10000)::int) * interval '1 minute' AS ts, sin(i / 10.0) AS value
FROM generate_series(0, 19999) i ORDER BY i;
SET anomdet.stream_functions = off;
SELECT count(*) FROM anomdet.detect('chunk_edge', 'value', 'zscore', mode => 'online');
SELECT count(*) FROM anomdet.detect('chunk_edge', 'value', 'zscore', mode => 'online', on_duplicate => 'keep');
-- Stored out of order at the boundary: scored in time order all the same.
CREATE TABLE chunk_edge_order AS
SELECT '2024-01-01 00:00+00'::timestamptz + (CASE i WHEN 9999 THEN 10000 WHEN 10000 THEN 9999 ELSE i END) * interval '1 minute' AS ts,
       sin(i / 10.0) AS value
FROM generate_series(0, 19999) i ORDER BY i;
SELECT count(*) FILTER (WHERE prev >= ts) AS out_of_order, count(*) AS rows
FROM (SELECT ts, lag(ts) OVER () AS prev FROM anomdet.detect('chunk_edge_order', 'value', 'zscore', mode => 'online')) x;
RESET anomdet.stream_functions;
DROP TABLE chunk_edge, chunk_edge_order;
