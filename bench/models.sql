-- Benchmark: scoring 10,000 new rows against a stored model versus refitting on the training
-- stretch (20,000 rows) and scoring them, per detector (online ones refit online, batch-only
-- ones in batch over the 30,000 rows); and loading a model (scoring one new row with it)
-- versus fitting it. Medians of 3 runs, all in this run. bench/run.sh models.
\set ON_ERROR_STOP 1
SELECT setseed(0.25) \g /dev/null
CREATE TABLE bench_live AS
SELECT '2024-01-01+00'::timestamptz + i * interval '1 minute' AS ts,
       50 + 10 * sin(i / 300.0) + random() + CASE WHEN i % 5000 = 2500 THEN 25 ELSE 0 END AS value
FROM generate_series(0, 29999) AS i;
CREATE INDEX ON bench_live (ts);
VACUUM ANALYZE bench_live;

\ir timing.sql

CREATE TEMP TABLE bench_models (detector text, family text, online boolean, fit_ms numeric, load_ms numeric,
                                model_ms numeric, refit_ms numeric, bytes bigint);
DO $$
DECLARE d record;
BEGIN
  FOR d IN SELECT name, family, online FROM anomdet.detectors() LOOP
    INSERT INTO bench_models (detector, family, online, fit_ms) VALUES (d.name, d.family, d.online, pg_temp.time_ms(runs => 3, statement => format(
      $q$SELECT anomdet.train('bench_%s', 'bench_live', 'value', %L, end_time => '2024-01-14 21:20+00')$q$, d.name, d.name)));
    UPDATE bench_models SET
      load_ms = pg_temp.time_ms(runs => 3, statement => format(
        $q$SELECT count(*) FROM anomdet.detect('bench_live', 'value', model => 'bench_%s', start_time => '2024-01-21 19:59+00')$q$, d.name)),
      model_ms = pg_temp.time_ms(runs => 3, statement => format(
        $q$SELECT count(*) FROM anomdet.detect('bench_live', 'value', model => 'bench_%s', start_time => '2024-01-14 21:20+00')$q$, d.name)),
      refit_ms = pg_temp.time_ms(runs => 3, statement => format(
        $q$SELECT count(*) FROM anomdet.detect('bench_live', 'value', %L, mode => %L, start_time => '2024-01-14 21:20+00', lookback => 20000)$q$,
        d.name, CASE WHEN d.online THEN 'online' ELSE 'batch' END)),
      bytes = (SELECT bytes FROM anomdet.models WHERE name = 'bench_' || d.name)
    WHERE detector = d.name;
  END LOOP;
END $$;
SELECT family, detector, CASE WHEN online THEN 'online' ELSE 'batch' END AS refit, bytes AS model_bytes, round(fit_ms, 1) AS fit_ms, round(load_ms, 1) AS load_ms,
       round(fit_ms / nullif(load_ms, 0), 1) AS fit_over_load,
       round(model_ms, 1) AS score_10k_with_model_ms, round(refit_ms, 1) AS refit_and_score_ms,
       round(refit_ms / nullif(model_ms, 0), 1) AS refit_over_model
FROM bench_models ORDER BY family, detector;

-- Multivariate models: three columns, the same 30,000 rows; train_columns on the first 20,000
-- (fit), detect_columns with the model on the last row (load) and on the last 10,000 rows,
-- against detect_columns fitting on the 30,000 rows (it has no time range: the refit scores
-- every row, as a user without a model would).
CREATE TABLE bench_columns AS
SELECT ts, value AS cpu, 2 * value + random() AS load, 10 + 3 * random() AS disk FROM bench_live;
VACUUM ANALYZE bench_columns;
CREATE VIEW bench_columns_last AS SELECT * FROM bench_columns WHERE ts >= '2024-01-21 19:59+00';
CREATE VIEW bench_columns_new AS SELECT * FROM bench_columns WHERE ts >= '2024-01-14 21:20+00';
CREATE TEMP TABLE bench_column_models (detector text, fit_ms numeric, load_ms numeric, model_ms numeric, refit_ms numeric, bytes bigint);
DO $$
DECLARE d record;
BEGIN
  FOR d IN SELECT name FROM anomdet.multivariate_detectors() LOOP
    INSERT INTO bench_column_models (detector, fit_ms) VALUES (d.name, pg_temp.time_ms(runs => 3, statement => format(
      $q$SELECT anomdet.train_columns('bench_c_%s', 'bench_columns', ARRAY['cpu', 'load', 'disk'], %L, end_time => '2024-01-14 21:20+00')$q$, d.name, d.name)));
    UPDATE bench_column_models SET
      load_ms = pg_temp.time_ms(runs => 3, statement => format(
        $q$SELECT count(*) FROM anomdet.detect_columns('bench_columns_last', ARRAY['cpu', 'load', 'disk'], model => 'bench_c_%s')$q$, d.name)),
      model_ms = pg_temp.time_ms(runs => 3, statement => format(
        $q$SELECT count(*) FROM anomdet.detect_columns('bench_columns_new', ARRAY['cpu', 'load', 'disk'], model => 'bench_c_%s')$q$, d.name)),
      refit_ms = pg_temp.time_ms(runs => 3, statement => format(
        $q$SELECT count(*) FROM anomdet.detect_columns('bench_columns', ARRAY['cpu', 'load', 'disk'], %L)$q$, d.name)),
      bytes = (SELECT bytes FROM anomdet.models WHERE name = 'bench_c_' || d.name)
    WHERE detector = d.name;
  END LOOP;
END $$;
SELECT detector, bytes AS model_bytes, round(fit_ms, 1) AS fit_ms, round(load_ms, 1) AS load_ms,
       round(fit_ms / nullif(load_ms, 0), 1) AS fit_over_load,
       round(model_ms, 1) AS score_10k_with_model_ms, round(refit_ms, 1) AS refit_and_score_ms,
       round(refit_ms / nullif(model_ms, 0), 1) AS refit_over_model
FROM bench_column_models ORDER BY detector;
