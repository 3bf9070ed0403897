-- Several columns scored together, and each flagged row explained by its columns.
SET timezone = 'UTC';
SELECT name, params IS NOT NULL AS has_params, explanation FROM anomdet.multivariate_detectors() ORDER BY name;
SELECT name, multivariate FROM anomdet.detectors() WHERE multivariate ORDER BY name;

-- Three hosts' metrics: requests follow cpu, disk is on its own. At 10:00 requests drop while
-- cpu is busy (each value ordinary, the pair not); at 20:00 disk jumps.
CREATE TABLE hosts AS
SELECT timestamptz '2024-01-01' + i * interval '1 minute' AS ts,
       50 + 10 * sin(i / 30.0) + (i % 7) AS cpu,
       2 * (50 + 10 * sin(i / 30.0)) + (i % 5) AS requests,
       20 + (i % 11) AS disk
FROM generate_series(1, 2000) AS i;
UPDATE hosts SET requests = 40 WHERE ts = '2024-01-01 10:00+00';
UPDATE hosts SET disk = 95 WHERE ts = '2024-01-01 20:00+00';

-- The models of the joint shape find both, and blame the right columns.
SELECT d, to_char(ts, 'HH24:MI') AS at,
       (SELECT key FROM jsonb_each_text(contributions) ORDER BY value::float8 DESC LIMIT 1) AS blamed,
       round((SELECT sum(value::float8) FROM jsonb_each_text(contributions))::numeric, 9) AS shares_sum
FROM unnest(ARRAY['pca', 'mahalanobis', 'lof']) AS d,
     anomdet.detect_columns('hosts', ARRAY['cpu', 'requests', 'disk'], d)
WHERE is_anomaly ORDER BY d, ts;
-- Isolation Forest cuts only within the range of its samples, so a value far beyond the
-- range scores like one at its edge: the disk jump is not among its top scores. Its explanation
-- (how much deeper the row would be isolated with each column at its median) blames disk.
SELECT rank AS disk_jump_rank_of_2000
FROM (SELECT ts, rank() OVER (ORDER BY score DESC) AS rank
      FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'requests', 'disk'], 'isolation_forest', explain => 'none')) r
WHERE ts = '2024-01-01 20:00+00';
SELECT (SELECT key FROM jsonb_each_text(contributions) ORDER BY value::float8 DESC LIMIT 1) AS blamed
FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'requests', 'disk'], 'isolation_forest', explain => 'all')
WHERE ts = '2024-01-01 20:00+00';
-- Explanations: flagged rows by default, every row, or none.
SELECT explain, count(*) AS rows, count(contributions) AS explained, count(*) FILTER (WHERE is_anomaly) AS flagged
FROM unnest(ARRAY['flagged', 'all', 'none']) AS explain,
     anomdet.detect_columns('hosts', ARRAY['cpu', 'requests', 'disk'], 'mahalanobis', explain => explain)
GROUP BY explain ORDER BY explain;
-- Reproducible with a seed; every model scores every complete row.
SELECT (SELECT array_agg(score ORDER BY ts) FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'disk'], 'isolation_forest', '{"seed": 3}'))
     = (SELECT array_agg(score ORDER BY ts) FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'disk'], 'isolation_forest', '{"seed": 3}')) AS same_seed_same_scores;
SELECT d, count(score) AS scored FROM unnest(ARRAY['isolation_forest', 'hbos', 'copod', 'pca', 'mahalanobis', 'lof']) AS d,
     anomdet.detect_columns('hosts', ARRAY['cpu', 'requests', 'disk'], d) GROUP BY d ORDER BY d;

-- Per series, and rows with a NULL in any column come back unscored.
CREATE TABLE fleet2 AS SELECT ts, (extract(minute FROM ts)::int % 2)::text AS host, cpu, requests FROM hosts;
UPDATE fleet2 SET cpu = NULL WHERE ts = '2024-01-01 05:00+00';
SELECT series, count(*) AS rows, count(score) AS scored FROM anomdet.detect_columns('fleet2', ARRAY['cpu', 'requests'], 'pca', series_column => 'host')
GROUP BY series ORDER BY series;

-- Refusals, each with its SQLSTATE.
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu', NULL])$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY[]::text[])$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'cpu'])$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'nope'])$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu', 'ts'])$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu'], 'zscore')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu'], 'pca', '{"window": 3}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu'], 'pca', '{"variance": 2}')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('hosts', ARRAY['cpu'], explain => 'why')$$);
SELECT expect_error($$SELECT * FROM anomdet.detect_columns(NULL, ARRAY['cpu'])$$);
SELECT expect_error($$SELECT * FROM anomdet.detect('hosts', 'cpu', 'copod')$$);
CREATE TABLE twins AS SELECT ts, cpu, cpu * 2 AS double_cpu FROM hosts;
SELECT expect_error($$SELECT * FROM anomdet.detect_columns('twins', ARRAY['cpu', 'double_cpu'], 'mahalanobis')$$);

-- Subsequence detectors see shapes: one cycle of a sine replaced by a faster wave of the same
-- size (no value out of range) is flagged there and nowhere else.
CREATE TABLE waves AS
SELECT timestamptz '2024-01-01' + i * interval '1 minute' AS ts,
       CASE WHEN i BETWEEN 1000 AND 1049 THEN sin(i * 2 * pi() / 12.5) ELSE sin(i * 2 * pi() / 50) END
       + ((i * 7919) % 101) / 1000.0 AS value
FROM generate_series(0, 2999) AS i;
SELECT d, count(*) FILTER (WHERE is_anomaly) AS flagged,
       count(*) FILTER (WHERE is_anomaly AND ts BETWEEN '2024-01-01 16:40+00' AND '2024-01-01 17:29+00') AS in_the_wrong_cycle
FROM unnest(ARRAY['sub_pca', 'knn', 'kmeans', 'matrix_profile', 'isolation_forest', 'lof']) AS d, anomdet.detect('waves', 'value', d)
GROUP BY d ORDER BY d;
DROP TABLE hosts, fleet2, twins, waves;
