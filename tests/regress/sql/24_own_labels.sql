-- Your own ground truth: evaluate reads a label column of the source (boolean or 0/1) or a
-- table of incident windows (start_ts, end_ts inclusive, optional series), and agrees with
-- evaluate_arrays given the same labels by hand.
CREATE TABLE incidents_src AS
SELECT timestamptz '2024-05-01 00:00+00' + i * interval '1 minute' AS ts,
       50 + 5 * sin(i / 20.0) + CASE WHEN i IN (300, 301, 302) THEN 30 WHEN i = 700 THEN -25 ELSE 0 END AS cpu,
       i IN (300, 301, 302, 700) AS incident,
       (i BETWEEN 299 AND 303)::int AS incident_01
FROM generate_series(0, 999) AS i;
SELECT anomdet.run_batch('incidents_src', 'cpu', 'mad', name => 'own labels') AS job \gset

SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate(:job, label_column => 'incident')
WHERE metric IN ('precision', 'recall', 'f1', 'vus_pr', 'rows', 'labelled_rows', 'labelled_ranges') ORDER BY metric;

-- The same labels by hand give the same numbers.
SELECT count(*) AS metrics_that_differ FROM (
  SELECT metric, value FROM anomdet.evaluate(:job, label_column => 'incident')
  WHERE metric NOT IN ('rows', 'labelled_rows', 'labelled_ranges')
  EXCEPT
  SELECT metric, value FROM anomdet.evaluate_arrays(
      (SELECT array_agg(s.incident ORDER BY s.ts) FROM incidents_src s),
      (SELECT array_agg(r.score ORDER BY r.ts) FROM anomdet.results r WHERE r.job_id = :job),
      (SELECT array_agg(r.is_anomaly ORDER BY r.ts) FROM anomdet.results r WHERE r.job_id = :job),
      threshold => 'detector')) d;

-- A 0/1 column; a windows table, with and without a series column.
SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate(:job, label_column => 'incident_01')
WHERE metric IN ('labelled_rows', 'labelled_ranges') ORDER BY metric;
CREATE TABLE incident_windows (start_ts timestamptz, end_ts timestamptz, note text);
INSERT INTO incident_windows VALUES ('2024-05-01 04:59+00', '2024-05-01 05:03+00', 'cpu storm'),
                                    ('2024-05-01 11:40+00', '2024-05-01 11:40+00', 'dip');
SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate(:job, label_windows => 'incident_windows')
WHERE metric IN ('labelled_rows', 'labelled_ranges', 'event_recall') ORDER BY metric;
CREATE TABLE keyed_windows (series text, start_ts timestamptz, end_ts timestamptz);
INSERT INTO keyed_windows VALUES (NULL, '2024-05-01 04:59+00', '2024-05-01 05:03+00');
SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate(:job, label_windows => 'keyed_windows')
WHERE metric IN ('labelled_rows', 'labelled_ranges') ORDER BY metric;

-- Keyed series: each host's windows label only that host.
CREATE TABLE own_fleet AS
SELECT h AS host, timestamptz '2024-05-01 00:00+00' + i * interval '1 minute' AS ts,
       20 + (i % 13) + CASE WHEN h = 'b' AND i = 400 THEN 60 ELSE 0 END AS load
FROM generate_series(0, 599) AS i, unnest(ARRAY['a', 'b']) AS h;
SELECT anomdet.run_batch('own_fleet', 'load', 'mad', series_column => 'host') AS fleet_job \gset
CREATE TABLE own_fleet_windows (series text, start_ts timestamptz, end_ts timestamptz);
INSERT INTO own_fleet_windows VALUES ('b', '2024-05-01 06:38+00', '2024-05-01 06:42+00');
SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate(:fleet_job, label_windows => 'own_fleet_windows')
WHERE metric IN ('labelled_rows', 'recall', 'event_recall') ORDER BY metric;

-- A benchmark against your own labels: nothing injected, every detector once per series, the
-- same metrics as evaluate gives a job of that detector, ranked in the same leaderboards.
SELECT anomdet.benchmark('incidents_src', 'cpu', '{mad,zscore,iqr}', label_column => 'incident', name => 'own') AS bench \gset
SELECT name, methods, seeds, placement FROM anomdet.benchmarks WHERE id = :bench;
SELECT rank, detector, round(vus_pr::numeric, 3) AS vus_pr, round(f1::numeric, 3) AS f1, cells
FROM anomdet.leaderboard WHERE benchmark_id = :bench ORDER BY rank, detector;
SELECT count(*) AS metrics_that_differ_from_evaluate FROM (
  SELECT round(f1::numeric, 9), round(vus_pr::numeric, 9) FROM anomdet.benchmark_results WHERE benchmark_id = :bench AND detector = 'mad'
  EXCEPT
  SELECT round(max(value) FILTER (WHERE metric = 'f1')::numeric, 9), round(max(value) FILTER (WHERE metric = 'vus_pr')::numeric, 9)
  FROM anomdet.evaluate(:job, label_column => 'incident')) d;
SELECT anomdet.benchmark('own_fleet', 'load', '{mad,zscore}', series_column => 'host', label_windows => 'own_fleet_windows') AS fleet_bench \gset
SELECT method, dataset, detector, labelled_rows, round(recall::numeric, 3) AS recall
FROM anomdet.benchmark_results WHERE benchmark_id = :fleet_bench ORDER BY dataset, detector;
SELECT expect_error($$SELECT anomdet.benchmark('incidents_src', 'cpu', '{mad}', label_column => 'ts')$$);
SELECT count(*) AS benchmarks_before FROM anomdet.benchmarks \gset
SELECT expect_error($$SELECT anomdet.benchmark('incidents_src', 'cpu', '{mad}', label_windows => 'keyed_windows', start_time => '2024-05-02')$$);
-- A series too short for a detector is refused before anything is scored, as with injection.
CREATE TABLE tiny_labelled AS
SELECT timestamptz '2024-05-01' + i * interval '1 minute' AS ts, i % 3 AS v, i = 4 AS incident FROM generate_series(0, 9) i;
SELECT expect_error($$SELECT anomdet.benchmark('tiny_labelled', 'v', '{lstm}', label_column => 'incident')$$);
SELECT count(*) = :benchmarks_before AS nothing_written FROM anomdet.benchmarks;

-- Bad input: a clear error, nothing written.
SELECT expect_error($$SELECT * FROM anomdet.evaluate(1, label_column => 'incident', label_windows => 'incident_windows')$$);
SELECT expect_error(format($$SELECT * FROM anomdet.evaluate(%s, label_column => 'nope')$$, :job));
SELECT expect_error(format($$SELECT * FROM anomdet.evaluate(%s, label_column => 'ts')$$, :job));
SELECT expect_error(format($$SELECT * FROM anomdet.evaluate(%s, label_windows => 'own_fleet')$$, :job));
SELECT expect_error(format($$SELECT * FROM anomdet.evaluate(%s, label_windows => 'no_such_table')$$, :job));
UPDATE incidents_src SET incident = false;
SELECT expect_error(format($$SELECT * FROM anomdet.evaluate(%s, label_column => 'incident')$$, :job));
