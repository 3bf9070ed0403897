-- Fitted models: train once on a stretch, score new rows against the stored model again and
-- again, without refitting.
CREATE TABLE model_source AS
SELECT timestamptz '2024-05-01 00:00+00' + i * interval '1 minute' AS ts, h::text AS host,
       10 * sin(i / 30.0) + h * 3 + ((i * 7919 + h * 31) % 97) / 50.0 + CASE WHEN i % 700 = 650 THEN 30 ELSE 0 END AS value
FROM generate_series(0, 2999) AS i, generate_series(1, 2) AS h;

-- Every online detector, trained per host on the first 2,000 minutes: scoring the last 1,000
-- with the model gives, cell for cell, what one online pass over all 3,000 gives there.
SELECT count(anomdet.train('m_' || name, 'model_source', 'value', name, series_column => 'host',
                           end_time => '2024-05-02 09:20+00')) AS models
FROM anomdet.detectors() WHERE online;
SELECT m.detector, m.series_count, m.rows, m.train_start, m.train_end, m.format, m.bytes > 0 AS stored,
       (SELECT count(*) FILTER (WHERE (s.score, s.is_anomaly, s.expected, s.lower_bound, s.upper_bound)
                                IS DISTINCT FROM (d.score, d.is_anomaly, d.expected, d.lower_bound, d.upper_bound))
        FROM anomdet.detect('model_source', 'value', model => m.name, series_column => 'host',
                            start_time => '2024-05-02 09:20+00') s
        JOIN anomdet.detect('model_source', 'value', m.detector, series_column => 'host', mode => 'online') d
          USING (ts, series)) AS differing_from_one_pass
FROM anomdet.models m ORDER BY m.detector;

-- The same rows get the same scores every time: the stored model never changes.
SELECT (SELECT array_agg(score ORDER BY ts, series) FROM anomdet.detect('model_source', 'value', model => 'm_rrcf', series_column => 'host', start_time => '2024-05-02 12:00+00'))
     = (SELECT array_agg(score ORDER BY ts, series) FROM anomdet.detect('model_source', 'value', model => 'm_rrcf', series_column => 'host', start_time => '2024-05-02 12:00+00')) AS same_twice,
       (SELECT bytes FROM anomdet.models WHERE name = 'm_rrcf') = (SELECT sum(length(state)) FROM anomdet.model_states s JOIN anomdet.models m ON m.id = s.model_id WHERE m.name = 'm_rrcf') AS size_listed;
-- Same seed, same rows: a bit-identical model.
CREATE TABLE rrcf_bytes AS SELECT series, state FROM anomdet.model_states WHERE model_id = (SELECT id FROM anomdet.models WHERE name = 'm_rrcf');
SELECT anomdet.train('m_rrcf', 'model_source', 'value', 'rrcf', series_column => 'host', end_time => '2024-05-02 09:20+00') > 0 AS retrained;
SELECT count(*) AS states, count(*) FILTER (WHERE o.state = n.state) AS identical
FROM rrcf_bytes o JOIN anomdet.model_states n USING (series) WHERE n.model_id = (SELECT id FROM anomdet.models WHERE name = 'm_rrcf');
SELECT count(*) AS models_named_m_rrcf FROM anomdet.models WHERE name = 'm_rrcf';

-- A model trained on one series scores every series; a job and a schedule can use it too.
CREATE VIEW model_host1 AS SELECT ts, value FROM model_source WHERE host = '1';
SELECT anomdet.train('host1_ewma', 'model_host1', 'value', 'ewma', end_time => '2024-05-02 09:20+00') > 0 AS trained;
SELECT series, count(score) AS scored FROM anomdet.detect('model_source', 'value', model => 'host1_ewma', series_column => 'host', start_time => '2024-05-02 16:00+00') GROUP BY series ORDER BY series;
SELECT anomdet.run_batch('model_source', 'value', series_column => 'host', model => 'm_ewma', start_time => '2024-05-02 09:20+00') AS model_job \gset
SELECT detector, model, mode, rows_scored, anomalies, status FROM anomdet.jobs WHERE id = :model_job;
CREATE TABLE model_live AS SELECT * FROM model_source WHERE ts >= '2024-05-02 09:20+00';
SELECT anomdet.score_new_rows('{"source": "model_live", "value_column": "value", "series_column": "host", "model": "m_ewma"}') AS scheduled_rows;
SELECT count(*) FILTER (WHERE r.score IS DISTINCT FROM d.score) AS schedule_differs_from_one_pass
FROM anomdet.results r JOIN anomdet.watermarks w ON w.job_id = r.job_id AND w.source_relid = 'model_live'::regclass
JOIN anomdet.detect('model_source', 'value', 'ewma', series_column => 'host', mode => 'online') d ON d.ts = r.ts AND d.series = r.series;

-- Batch-only detectors have a stored form too: fitted on the first 2,000 minutes, they judge
-- the rest by what that stretch was like. A level shift planted in the new rows is flagged
-- from where it starts (gesd, level_shift and volatility_shift look ahead within the rows
-- scored; the others judge each row by what came before it), and scoring twice gives the same rows.
CREATE TABLE shift_source AS
SELECT ts, host, value + CASE WHEN ts >= '2024-05-02 14:00+00' THEN 100 ELSE 0 END AS value FROM model_source;
SELECT count(anomdet.train('b_' || name, 'shift_source', 'value', name, series_column => 'host', end_time => '2024-05-02 09:20+00')) AS batch_models
FROM anomdet.detectors() WHERE NOT online;
SELECT m.detector, min(s.ts) FILTER (WHERE s.is_anomaly) AS first_flag,
       count(*) FILTER (WHERE s.is_anomaly AND s.ts < '2024-05-02 14:00+00') AS flagged_before,
       count(*) FILTER (WHERE s.is_anomaly AND s.ts >= '2024-05-02 14:00+00') AS flagged_from
FROM anomdet.models m, anomdet.detect('shift_source', 'value', model => m.name, series_column => 'host', start_time => '2024-05-02 09:20+00') s
WHERE m.name LIKE 'b\_%' AND s.series = '1' GROUP BY m.detector ORDER BY m.detector;
SELECT (SELECT array_agg(score ORDER BY ts, series) FROM anomdet.detect('shift_source', 'value', model => 'b_gesd', series_column => 'host', start_time => '2024-05-02 09:20+00'))
     = (SELECT array_agg(score ORDER BY ts, series) FROM anomdet.detect('shift_source', 'value', model => 'b_gesd', series_column => 'host', start_time => '2024-05-02 09:20+00')) AS batch_model_same_twice;
SELECT anomdet.run_batch('shift_source', 'value', series_column => 'host', model => 'b_volatility_shift', start_time => '2024-05-02 09:20+00') AS vol_job \gset
SELECT detector, model, mode, status FROM anomdet.jobs WHERE id = :vol_job;
-- An ensemble mixing a batch-only member and an online one: the first fits its stored form,
-- the second learns by scoring the training rows.
SELECT anomdet.train('b_mixed', 'shift_source', 'value', 'ensemble', '{"members": ["stl", "ewma"]}', series_column => 'host', end_time => '2024-05-02 09:20+00') > 0 AS mixed_trained;
SELECT count(score) AS scored, count(*) FILTER (WHERE is_anomaly AND ts < '2024-05-02 14:00+00') AS flagged_before,
       min(ts) FILTER (WHERE is_anomaly AND ts >= '2024-05-02 14:00+00') AS first_flag_from_shift
FROM anomdet.detect('shift_source', 'value', model => 'b_mixed', series_column => 'host', start_time => '2024-05-02 09:20+00') WHERE series = '1';
-- A schedule with a batch-only model, run three times as rows arrive, scores each row as one
-- pass of the model does (detect with the model, for a model that judges by the past).
CREATE TABLE knn_live AS SELECT * FROM shift_source WHERE ts >= '2024-05-02 09:20+00' AND ts < '2024-05-02 12:00+00';
SELECT anomdet.score_new_rows('{"source": "knn_live", "value_column": "value", "series_column": "host", "model": "b_knn"}') AS first_run;
INSERT INTO knn_live SELECT * FROM shift_source WHERE ts >= '2024-05-02 12:00+00' AND ts < '2024-05-02 15:00+00';
SELECT anomdet.score_new_rows('{"source": "knn_live", "value_column": "value", "series_column": "host", "model": "b_knn"}') AS second_run;
INSERT INTO knn_live SELECT * FROM shift_source WHERE ts >= '2024-05-02 15:00+00';
SELECT anomdet.score_new_rows('{"source": "knn_live", "value_column": "value", "series_column": "host", "model": "b_knn"}') AS third_run;
SELECT count(*) AS scheduled, count(*) FILTER (WHERE (r.score, r.is_anomaly, r.expected) IS DISTINCT FROM (d.score, d.is_anomaly, d.expected)) AS schedule_differs_from_one_pass
FROM anomdet.results r JOIN anomdet.watermarks w ON w.job_id = r.job_id AND w.source_relid = 'knn_live'::regclass
FULL JOIN anomdet.detect('shift_source', 'value', model => 'b_knn', series_column => 'host', start_time => '2024-05-02 09:20+00') d ON d.ts = r.ts AND d.series = r.series;
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "knn_live", "value_column": "value", "model": "b_knn", "detector": "lof"}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "knn_live", "value_column": "value", "model": "b_knn", "params": {"k": 3}}')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "knn_live", "value_column": "value", "detector": "knn"}')$$);

-- Refusals, each with its SQLSTATE.
SELECT expect_error($$SELECT anomdet.train(NULL, 'model_source', 'value')$$);
SELECT expect_error($$SELECT anomdet.train('', 'model_source', 'value')$$);
SELECT expect_error($$SELECT anomdet.train('x', 'model_source', 'value', 'ewma', start_time => '2030-01-01')$$);
SELECT expect_error($$SELECT anomdet.train('x', 'model_source', 'value', 'ewma', end_time => '2024-05-01 00:05+00')$$);
SELECT expect_error($$SELECT anomdet.train('x', 'model_source', 'nope')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', model => 'nope')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', 'mad', model => 'm_ewma')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', params => '{"lambda": 0.9}', model => 'm_ewma')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', model => 'm_ewma')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', series_column => 'host', model => 'host1_ewma', start_time => '2024-05-02 16:00+00') WHERE false$$) AS one_series_model_on_every_series;
SELECT expect_error($$SELECT anomdet.train('x', 'model_source', 'value', 'ewma')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "model_live", "value_column": "value", "model": "nope"}')$$);
SELECT expect_error($$SELECT anomdet.drop_model(NULL)$$);
SELECT expect_error($$SELECT anomdet.run_stream('model_source', 'value', 'model_replay', model => 'nope')$$);
SELECT to_regclass('model_replay') IS NULL AS refused_stream_left_no_table;
-- A model stored by an anomdet whose state layout was older is refused with a way out, never
-- misread (as after an upgrade that raised anomdet_core::state::FORMAT).
UPDATE anomdet.models SET format = format - 1 WHERE name = 'm_ewma';
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', model => 'm_ewma')$$);
UPDATE anomdet.models SET format = format + 1 WHERE name = 'm_ewma';
-- A model larger than 256 MiB is refused before it is stored (half-space trees of height 18).
SELECT expect_error($$SELECT anomdet.train('huge', 'model_host1', 'value', 'half_space_trees', '{"trees": 100, "height": 18}', end_time => '2024-05-01 06:00+00')$$);

-- Models are private: another role neither sees nor uses yours, and nobody writes one by hand.
CREATE ROLE regress_models;
GRANT SELECT ON model_source TO regress_models;
SET ROLE regress_models;
SELECT count(*) AS visible_models FROM anomdet.models;
SELECT expect_error($$SELECT * FROM anomdet.detect('model_source', 'value', model => 'm_ewma')$$);
SELECT expect_error($$INSERT INTO anomdet.models (name, detector, params, format, source, value_column, time_column, series_count, rows, bytes) VALUES ('f', 'ewma', '{}', 1, 's', 'v', 't', 1, 1, 1)$$);
SELECT expect_error($$INSERT INTO anomdet.model_states (model_id, series, rows, state) VALUES (1, NULL, 1, '\x00')$$);
SELECT anomdet.train('mine', 'model_source', 'value', 'zscore', series_column => 'host') > 0 AS trained_own;
SELECT name, owner FROM anomdet.models;
SELECT anomdet.drop_model('mine') AS dropped, anomdet.drop_model('m_ewma') AS dropped_someone_elses;
RESET ROLE;
REVOKE ALL ON model_source FROM regress_models;
DROP ROLE regress_models;

SELECT anomdet.drop_model('host1_ewma') AS dropped, anomdet.drop_model('host1_ewma') AS again;
SELECT count(*) AS orphan_states FROM anomdet.model_states s WHERE NOT EXISTS (SELECT 1 FROM anomdet.models m WHERE m.id = s.model_id);
