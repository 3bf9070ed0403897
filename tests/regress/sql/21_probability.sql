-- The calibrated anomaly probability: beside every score, in every output; flags by
-- probability with "probability" in any detector's parameters.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS anomdet;
SET TIME ZONE 'UTC';
-- 5,000 rows of seeded Gaussian noise with 3 planted spikes of 8 sigma.
SELECT anomdet.generate('quiet', 'constant', length => 5000, amplitude => 50, noise => 1, seed => 21) AS quiet \gset
UPDATE quiet SET value = value + 8 WHERE ts IN (SELECT ts FROM quiet ORDER BY ts OFFSET 2000 LIMIT 1)
   OR ts IN (SELECT ts FROM quiet ORDER BY ts OFFSET 3000 LIMIT 1) OR ts IN (SELECT ts FROM quiet ORDER BY ts OFFSET 4000 LIMIT 1);

-- Every detector, online where it can be: the share of scored rows at p >= 0.99 and 0.999
-- (about 1% and 0.1% by construction on data like the past), and the planted spikes' probability.
WITH d AS (SELECT name, CASE WHEN online THEN 'online' ELSE 'batch' END AS mode FROM anomdet.detectors()
           WHERE name IN ('zscore', 'mad', 'ewma', 'spot', 'holt_winters', 'isolation_forest', 'stl', 'knn'))
SELECT d.name, d.mode,
       round(avg((r.probability >= 0.99)::int) FILTER (WHERE r.probability IS NOT NULL) * 100, 1) AS pct_at_99,
       round(avg((r.probability >= 0.999)::int) FILTER (WHERE r.probability IS NOT NULL) * 100, 2) AS pct_at_999,
       round(min(r.probability) FILTER (WHERE r.ts IN (SELECT ts FROM quiet ORDER BY value DESC LIMIT 3))::numeric, 4) AS spikes_min_p
FROM d, LATERAL anomdet.detect('quiet', 'value', d.name, mode => d.mode) r
GROUP BY d.name, d.mode ORDER BY d.name;

-- No probability before 100 scores are known; then never outside [0, 1].
SELECT count(*) FILTER (WHERE probability IS NULL AND score IS NOT NULL) AS unscored_by_probability,
       count(*) FILTER (WHERE probability < 0 OR probability > 1) AS out_of_range
FROM anomdet.detect('quiet', 'value', 'zscore', mode => 'online');

-- Flags by probability: the same rule for any detector.
SELECT name, count(*) FILTER (WHERE is_anomaly) AS flagged
FROM (VALUES ('zscore'), ('iqr'), ('cusum')) AS d(name),
     LATERAL anomdet.detect('quiet', 'value', d.name, '{"probability": 0.9995}', mode => 'online') r
GROUP BY name ORDER BY name;
SELECT expect_error($$SELECT count(*) FROM anomdet.detect('quiet', 'value', 'mad', '{"probability": 1}')$$);
SELECT expect_error($$SELECT count(*) FROM anomdet.detect('quiet', 'value', 'mad', '{"probability": "high"}')$$);

-- A batch job stores the probability with each result; the job records the parameter.
SELECT anomdet.run_batch('quiet', 'value', 'mad', '{"probability": 0.999}', mode => 'online') AS job \gset
SELECT count(*) FILTER (WHERE probability IS NOT NULL) AS with_probability,
       count(*) FILTER (WHERE is_anomaly) = count(*) FILTER (WHERE probability >= 0.999) AS flags_follow_probability
FROM anomdet.job_results(:job);
SELECT params->>'probability' AS recorded FROM anomdet.jobs WHERE id = :job;

-- A model carries its training scores' histogram: the first new rows already have a probability.
SELECT anomdet.train('quiet_model', 'quiet', 'value', 'ewma', end_time => (SELECT ts FROM quiet ORDER BY ts OFFSET 2500 LIMIT 1)) > 0 AS trained;
SELECT count(*) FILTER (WHERE probability IS NULL) AS without_probability, count(*) AS rows
FROM anomdet.detect('quiet', 'value', 'ewma', model => 'quiet_model', mode => 'online',
                    start_time => (SELECT ts FROM quiet ORDER BY ts OFFSET 2500 LIMIT 1));
SELECT anomdet.drop_model('quiet_model');

-- Flagged rows only: the detector leaves out the probability of the rows it does not return,
-- and those it returns keep exactly the probability every-row scoring gives them.
SELECT d.name, count(*) AS flagged, count(f.probability) AS with_probability,
       count(*) FILTER (WHERE f.probability IS NOT DISTINCT FROM a.probability) AS same_probability
FROM (VALUES ('zscore'), ('ewma'), ('half_space_trees')) AS d(name),
     LATERAL anomdet.detect('quiet', 'value', d.name, mode => 'online', only_anomalies => true) f
     JOIN LATERAL anomdet.detect('quiet', 'value', d.name, mode => 'online') a ON a.ts = f.ts
GROUP BY d.name ORDER BY d.name;
