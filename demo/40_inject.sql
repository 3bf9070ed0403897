-- Step 4: generated data, labelled anomalies of six kinds, every detector scored against the truth
-- A seeded synthetic series; six injections recorded as ground truth; then each detector's
-- flags compared with the labels; finally every injection reverted and the data checked bit for bit.
SELECT anomdet.generate('demo_synthetic', 'sine', length => 20000, period => 288, amplitude => 10,
                        level => 50, noise => 0.5, seed => 2024) \g /dev/null
CREATE TABLE demo_synthetic_before AS SELECT md5(string_agg(value::text, ',' ORDER BY ts)) AS sum FROM demo_synthetic;
SELECT m.method, anomdet.inject('demo_synthetic', m.method, '{value}', m.params::jsonb, seed => m.seed, count => 3, length => m.len) AS injection_id
FROM (VALUES ('spike', '{"magnitude": 1.6}', 1, 11), ('extremum', '{}', 1, 12), ('mean', '{"magnitude": 6}', 20, 13),
             ('variance', '{"magnitude": 8}', 30, 14), ('platform', '{}', 40, 15), ('missing', '{}', 10, 16)) AS m(method, params, len, seed)
\g /dev/null
\echo
\echo 'Injected (anomdet.injections; labels in anomdet.labels):'
SELECT id, method, params, rows_changed, (SELECT count(*) FROM anomdet.injection_spans s WHERE s.injection_id = i.id) AS spans
FROM anomdet.injections i WHERE relation = 'public.demo_synthetic' ORDER BY id;

\echo
\echo 'Each detector (batch mode, default parameters) against the labels, point-wise:'
WITH labelled AS (SELECT DISTINCT ts FROM anomdet.labels WHERE relation = 'public.demo_synthetic'),
runs AS (
  SELECT d.name AS detector, r.ts, r.is_anomaly
  FROM anomdet.detectors() d, anomdet.detect('demo_synthetic', 'value', d.name) r
)
SELECT detector,
       count(*) FILTER (WHERE is_anomaly) AS flagged,
       count(*) FILTER (WHERE is_anomaly AND l.ts IS NOT NULL) AS true_positives,
       round(count(*) FILTER (WHERE is_anomaly AND l.ts IS NOT NULL)::numeric / nullif(count(*) FILTER (WHERE is_anomaly), 0), 3) AS precision,
       round(count(*) FILTER (WHERE is_anomaly AND l.ts IS NOT NULL)::numeric / (SELECT count(*) FROM labelled), 3) AS recall
FROM runs LEFT JOIN labelled l USING (ts)
GROUP BY detector ORDER BY detector;

SELECT count(*) AS reverted FROM (SELECT anomdet.revert_injection(id) FROM anomdet.injections
                                  WHERE relation = 'public.demo_synthetic' ORDER BY id) r \g /dev/null
\echo
SELECT md5(string_agg(value::text, ',' ORDER BY ts)) = (SELECT sum FROM demo_synthetic_before) AS all_reverted_bit_for_bit
FROM demo_synthetic;
