-- Data a 0.1.0 database would hold, made through 0.1.0's functions where today's library can
-- still serve 0.1.0's catalog, and written as 0.1.0 wrote it where it cannot (register_detector
-- now also fills function_owner, a 0.2.0 column). Sets psql variables inj and job.
SELECT anomdet.generate('metrics', 'sine', length => 2000, period => 100, noise => 0.2, seed => 1);
CREATE TABLE metrics_before AS SELECT * FROM metrics;
SELECT anomdet.inject('metrics', 'spike', '{value}', '{"magnitude": 6}', seed => 2, count => 8) AS inj \gset
SELECT anomdet.run_batch('metrics', 'value', 'mad') AS job \gset
CREATE FUNCTION public.scores_of(v float8[]) RETURNS float8[] LANGUAGE sql AS 'SELECT v';
INSERT INTO anomdet.custom_detectors (name, function, threshold)
VALUES ('identity', 'public.scores_of(float8[])'::regprocedure, 1e9);
