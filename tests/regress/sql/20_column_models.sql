-- Multivariate models: a detect_columns detector trained once on trusted rows, then scoring
-- new rows against the stored model, each flagged row explained by its columns.
CREATE TABLE column_source AS
SELECT timestamptz '2024-06-01 00:00+00' + i * interval '1 minute' AS ts, h::text AS host,
       x AS cpu, 2 * x + ((i * 13) % 7) / 10.0 AS load, ((i * 11) % 50) / 10.0 AS disk
FROM generate_series(0, 1199) AS i, generate_series(1, 2) AS h, LATERAL (SELECT ((i * 37 + h) % 100) / 10.0 AS x) v;
-- New rows after the training stretch: at 18:30 cpu and load break their relation (each value
-- ordinary on its own); at 19:00 disk leaves its range.
UPDATE column_source SET cpu = 9, load = 1 WHERE ts = '2024-06-01 18:30+00';
UPDATE column_source SET disk = 60 WHERE ts = '2024-06-01 19:00+00';

-- One model per multivariate detector, per host, on the first 16 hours.
SELECT count(anomdet.train_columns('c_' || name, 'column_source', ARRAY['cpu', 'load', 'disk'], name,
                                   series_column => 'host', end_time => '2024-06-01 16:00+00')) AS models
FROM anomdet.multivariate_detectors();
SELECT name, detector, value_column, value_columns, series_count, rows, bytes > 0 AS stored
FROM anomdet.models WHERE value_columns IS NOT NULL ORDER BY name;

-- Scoring the last 4 hours with each model: the rows it flags on host 1, and the column it
-- blames most at the two planted rows (the models that cannot see a broken relation or a
-- value beyond the training range are named in docs/models.md).
CREATE TABLE column_scores AS
SELECT m.detector, d.* FROM anomdet.models m,
     anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => m.name, series_column => 'host', explain => 'all') d
WHERE m.value_columns IS NOT NULL AND d.series = '1' AND d.ts >= '2024-06-01 16:00+00';
SELECT detector, string_agg(to_char(ts AT TIME ZONE 'UTC', 'HH24:MI'), ' ' ORDER BY ts) FILTER (WHERE is_anomaly) AS flagged,
       (SELECT c.key FROM column_scores s, jsonb_each_text(s.contributions) c WHERE s.detector = o.detector AND s.ts = '2024-06-01 18:30+00' ORDER BY c.value::float8 DESC LIMIT 1) AS blamed_at_18_30,
       (SELECT c.key FROM column_scores s, jsonb_each_text(s.contributions) c WHERE s.detector = o.detector AND s.ts = '2024-06-01 19:00+00' ORDER BY c.value::float8 DESC LIMIT 1) AS blamed_at_19_00
FROM column_scores o GROUP BY detector ORDER BY detector;
-- Each row's probability: the share of the model's training scores below its score; the
-- models that see the planted rows give them 1.0000 (hbos, blind beyond the training range,
-- gives the 19:00 row 0.0005).
SELECT detector, round(max(probability) FILTER (WHERE ts = '2024-06-01 18:30+00')::numeric, 4) AS p_at_18_30,
       round(max(probability) FILTER (WHERE ts = '2024-06-01 19:00+00')::numeric, 4) AS p_at_19_00,
       count(*) FILTER (WHERE probability >= 0.999) AS rows_at_0_999, count(*) AS rows
FROM column_scores GROUP BY detector ORDER BY detector;

-- The same rows, the same scores: scoring never refits.
SELECT (SELECT array_agg(score ORDER BY ts, series) FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'c_knn', series_column => 'host'))
     = (SELECT array_agg(score ORDER BY ts, series) FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'c_knn', series_column => 'host')) AS same_twice;
-- Same seed, same rows: a bit-identical model.
CREATE TABLE forest_bytes AS SELECT series, state FROM anomdet.model_states WHERE model_id = (SELECT id FROM anomdet.models WHERE name = 'c_isolation_forest');
SELECT anomdet.train_columns('c_isolation_forest', 'column_source', ARRAY['cpu', 'load', 'disk'], series_column => 'host', end_time => '2024-06-01 16:00+00') > 0 AS retrained;
SELECT count(*) AS states, count(*) FILTER (WHERE o.state = n.state) AS identical
FROM forest_bytes o JOIN anomdet.model_states n USING (series) WHERE n.model_id = (SELECT id FROM anomdet.models WHERE name = 'c_isolation_forest');

-- A batch job with the model: every row stored, the flagged ones with their columns' shares,
-- the same flags as detect_columns with the model; its events.
SELECT anomdet.run_batch('column_source', 'cpu', series_column => 'host', model => 'c_pca', start_time => '2024-06-01 16:00+00', notify => true) AS pca_job \gset
SELECT detector, model, mode, value_column, rows_read, rows_scored, anomalies, status FROM anomdet.jobs WHERE id = :pca_job;
SELECT series, to_char(ts AT TIME ZONE 'UTC', 'HH24:MI') AS at, value, (SELECT key FROM jsonb_each_text(contributions) ORDER BY value::float8 DESC LIMIT 1) AS blamed
FROM anomdet.results WHERE job_id = :pca_job AND is_anomaly ORDER BY series, ts;
SELECT count(*) AS rows, count(*) FILTER (WHERE r.is_anomaly IS DISTINCT FROM d.is_anomaly OR r.score IS DISTINCT FROM d.score OR r.probability IS DISTINCT FROM d.probability) AS differ_from_detect_columns,
       count(r.probability) AS with_probability,
       count(*) FILTER (WHERE (r.contributions IS NOT NULL) <> r.is_anomaly) AS shares_not_on_flagged_rows
FROM anomdet.results r FULL JOIN anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'c_pca', series_column => 'host') d
  ON d.ts = r.ts AND d.series = r.series
WHERE r.job_id = :pca_job OR (r.job_id IS NULL AND d.ts >= '2024-06-01 16:00+00');
SELECT series, to_char(start_ts AT TIME ZONE 'UTC', 'HH24:MI') AS starts, rows FROM anomdet.events WHERE job_id = :pca_job ORDER BY series, start_ts;

-- Scheduled with the model, as rows arrive: the same scores as one call over the same rows.
CREATE TABLE column_live AS SELECT * FROM column_source WHERE ts >= '2024-06-01 16:00+00' AND ts < '2024-06-01 18:40+00';
SELECT anomdet.score_new_rows('{"source": "column_live", "series_column": "host", "model": "c_mahalanobis"}') AS first_run;
INSERT INTO column_live SELECT * FROM column_source WHERE ts >= '2024-06-01 18:40+00';
SELECT anomdet.score_new_rows('{"source": "column_live", "series_column": "host", "model": "c_mahalanobis"}') AS second_run;
SELECT count(*) AS scheduled, count(*) FILTER (WHERE r.score IS DISTINCT FROM d.score OR r.is_anomaly IS DISTINCT FROM d.is_anomaly) AS differ_from_detect_columns,
       string_agg(r.series || ' ' || to_char(r.ts AT TIME ZONE 'UTC', 'HH24:MI') || ' ' || (SELECT key FROM jsonb_each_text(r.contributions) ORDER BY value::float8 DESC LIMIT 1), ', ' ORDER BY r.series, r.ts) FILTER (WHERE r.is_anomaly) AS flagged
FROM anomdet.results r JOIN anomdet.watermarks w ON w.job_id = r.job_id AND w.source_relid = 'column_live'::regclass
JOIN anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'c_mahalanobis', series_column => 'host') d ON d.ts = r.ts AND d.series = r.series;
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "column_live", "value_column": "disk", "series_column": "host", "model": "c_mahalanobis"}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "column_live", "series_column": "host"}')$$);
SELECT expect_error($$SELECT anomdet.run_batch('column_source', 'load', series_column => 'host', model => 'c_pca')$$);

-- Refusals, each with its SQLSTATE; nothing is stored by a refused call.
SELECT expect_error($$SELECT anomdet.train_columns('x', 'column_source', ARRAY['cpu', 'load'], 'ewma')$$);
SELECT expect_error($$SELECT anomdet.train_columns('x', 'column_source', ARRAY['cpu', 'cpu'])$$);
SELECT expect_error($$SELECT anomdet.train_columns('x', 'column_source', ARRAY['cpu', 'nope'])$$);
SELECT expect_error($$SELECT anomdet.train_columns('x', 'column_source', ARRAY['cpu', 'load'], 'mahalanobis', series_column => 'host', end_time => '2024-06-01 00:01+00')$$);
SELECT expect_error($$SELECT anomdet.train_columns('x', 'column_source', ARRAY['cpu', 'load'], params => '{"trees": 0}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load'], model => 'c_knn', series_column => 'host')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], 'lof', model => 'c_knn', series_column => 'host')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], params => '{"k": 2}', model => 'c_knn', series_column => 'host')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'c_knn')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'nope')$$);
SELECT anomdet.train('one_column', 'column_source', 'cpu', series_column => 'host') > 0 AS trained;
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('column_source', ARRAY['cpu', 'load', 'disk'], model => 'one_column', series_column => 'host')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('column_source', 'cpu', model => 'c_knn', series_column => 'host')$$);
SELECT count(*) AS models FROM anomdet.models;
