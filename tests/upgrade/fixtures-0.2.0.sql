-- Data a 0.2.0 database holds, made through 0.2.0's functions (used once a later version exists).
-- Sets psql variables inj and job.
SELECT anomdet.generate('metrics', 'sine', length => 2000, period => 100, noise => 0.2, seed => 1);
CREATE TABLE metrics_before AS SELECT * FROM metrics;
SELECT anomdet.inject('metrics', 'spike', '{value}', '{"magnitude": 6}', seed => 2, count => 8) AS inj \gset
SELECT anomdet.run_batch('metrics', 'value', 'mad') AS job \gset
CREATE FUNCTION public.scores_of(v float8[]) RETURNS float8[] LANGUAGE sql AS 'SELECT v';
SELECT anomdet.register_detector('identity', 'public.scores_of(float8[])', threshold => 1e9);
-- Scheduled detection through 0.2.0's definition, with the new library on 0.2.0's catalog
-- (no detector_states yet): it must score as 0.2.0 did.
SELECT anomdet.score_new_rows('{"source": "metrics", "value_column": "value", "detector": "ewma"}') > 0 AS scheduled;
