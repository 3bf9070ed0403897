-- Step 1: a demo series with five planted anomalies
-- 10,000 one-minute readings (a daily wave plus seeded noise); the planted positions are kept in demo_truth.
SELECT setseed(0.42) \g /dev/null
CREATE TABLE demo_metrics AS
SELECT '2024-01-01 00:00+00'::timestamptz + i * interval '1 minute' AS ts,
       50 + 10 * sin(2 * pi() * i / 1440) + (random() - 0.5) * 2 AS value
FROM generate_series(0, 9999) AS i;

CREATE TABLE demo_truth (ts timestamptz PRIMARY KEY, what text);
INSERT INTO demo_truth VALUES
  ('2024-01-01 00:00+00'::timestamptz + 1200 * interval '1 minute', 'spike +25'),
  ('2024-01-01 00:00+00'::timestamptz + 3100 * interval '1 minute', 'dip -20'),
  ('2024-01-01 00:00+00'::timestamptz + 5000 * interval '1 minute', 'spike +15'),
  ('2024-01-01 00:00+00'::timestamptz + 7400 * interval '1 minute', 'dip -12'),
  ('2024-01-01 00:00+00'::timestamptz + 9000 * interval '1 minute', 'spike +30');
UPDATE demo_metrics m SET value = value + CASE t.what
    WHEN 'spike +25' THEN 25 WHEN 'dip -20' THEN -20 WHEN 'spike +15' THEN 15
    WHEN 'dip -12' THEN -12 WHEN 'spike +30' THEN 30 END
FROM demo_truth t WHERE m.ts = t.ts;

SELECT count(*) AS rows, min(ts) AS first, max(ts) AS last, (SELECT count(*) FROM demo_truth) AS planted
FROM demo_metrics;
