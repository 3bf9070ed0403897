-- The table the detection suites score: :rows rows (1,000,000 unless bench/run.sh --rows says
-- otherwise) one second apart, a slow wave plus uniform noise, seeded; indexed on time and
-- analyzed. Included by detect.sql and versions.sql.
\if :{?rows}
\else
\set rows 1000000
\endif
DROP TABLE IF EXISTS bench_metrics;
SELECT setseed(0.5) \g /dev/null
CREATE TABLE bench_metrics AS
SELECT '2024-01-01+00'::timestamptz + i * interval '1 second' AS ts,
       50 + 10 * sin(i / 500.0) + random() AS value
FROM generate_series(1, :rows) AS i;
CREATE INDEX ON bench_metrics (ts);
VACUUM ANALYZE bench_metrics;
