-- Benchmark grids: detectors × methods × seeds, in memory; the source is never written.
SELECT anomdet.generate('bm_src', 'sine', length => 1500, period => 120, amplitude => 5, level => 40, noise => 0.4, seed => 21) AS made;
CREATE TABLE bm_before AS SELECT checksum('bm_src') AS sum;

SELECT anomdet.benchmark('bm_src', 'value', seeds => 2, name => 'first grid') AS bench \gset
SELECT name, source, value_column, detectors, methods, seeds, placement FROM anomdet.benchmarks WHERE id = :bench;
SELECT count(*) AS cells, count(DISTINCT detector) AS detectors, count(DISTINCT method) AS methods,
       count(*) FILTER (WHERE labelled_rows > 0) AS cells_with_labels, bool_and(runtime_ms >= 0) AS timed
FROM anomdet.benchmark_results WHERE benchmark_id = :bench;
SELECT checksum('bm_src') = (SELECT sum FROM bm_before) AS source_untouched,
       (SELECT count(*) FROM anomdet.injections WHERE relation = 'public.bm_src') AS injections_recorded;

-- The leaderboard, overall and per method (rounded; the grid is deterministic).
SELECT rank, detector, round(vus_pr::numeric, 3) AS vus_pr, round(pr_auc_ap::numeric, 3) AS pr_auc_ap,
       round(roc_auc::numeric, 3) AS roc_auc, round(best_f1::numeric, 3) AS best_f1, cells
FROM anomdet.leaderboard WHERE benchmark_id = :bench ORDER BY rank, detector;
SELECT method, detector AS winner, round(vus_pr::numeric, 3) AS vus_pr
FROM anomdet.leaderboard_by_method WHERE benchmark_id = :bench AND rank = 1 ORDER BY method, detector;

-- Same inputs, same results.
SELECT anomdet.benchmark('bm_src', 'value', seeds => 2) AS again \gset
SELECT count(*) AS differing_cells FROM anomdet.benchmark_results a JOIN anomdet.benchmark_results b
  USING (detector, method, seed)
WHERE a.benchmark_id = :bench AND b.benchmark_id = :again
  AND (a.pr_auc_ap IS DISTINCT FROM b.pr_auc_ap OR a.f1 IS DISTINCT FROM b.f1 OR a.range_f1 IS DISTINCT FROM b.range_f1);

-- A chosen subset.
SELECT anomdet.benchmark('bm_src', 'value', '{mad,ewma}', '{spike,missing,pattern_shift}', seeds => 1, length => 30) AS sub \gset
SELECT detector, method FROM anomdet.benchmark_results WHERE benchmark_id = :sub ORDER BY 1, 2;

-- Datasets: every series of a keyed source (here a view over two tables) is injected, scored and
-- evaluated on its own; the source, being read only, may be a view.
SELECT anomdet.generate('bm_other', 'random_walk', length => 1200, seed => 5) AS made;
CREATE VIEW bm_both AS
  SELECT 'sine'::text AS dataset, ts, value FROM bm_src
  UNION ALL SELECT 'walk', ts, value FROM bm_other;
SELECT anomdet.benchmark('bm_both', 'value', '{zscore,mad}', '{spike,step}', seeds => 2, series_column => 'dataset') AS multi \gset
SELECT dataset, count(*) AS cells, min(rows) AS rows FROM anomdet.benchmark_results
WHERE benchmark_id = :multi GROUP BY dataset ORDER BY dataset;
-- A dataset's cells equal a benchmark of that dataset alone (same series index 0 for 'sine').
SELECT anomdet.benchmark('bm_src', 'value', '{zscore,mad}', '{spike,step}', seeds => 2) AS alone \gset
SELECT count(*) AS differing_cells FROM anomdet.benchmark_results a JOIN anomdet.benchmark_results b
  USING (detector, method, seed)
WHERE a.benchmark_id = :multi AND a.dataset = 'sine' AND b.benchmark_id = :alone
  AND (a.vus_pr IS DISTINCT FROM b.vus_pr OR a.f1 IS DISTINCT FROM b.f1);
SELECT dataset, detector, rank, cells FROM anomdet.leaderboard_by_dataset WHERE benchmark_id = :multi
ORDER BY dataset, rank, detector;
SELECT (SELECT cells FROM anomdet.leaderboard WHERE benchmark_id = :multi AND detector = 'mad') AS mad_cells_overall;
-- Injection writes rows, so a view is refused there.
SELECT expect_error($$SELECT anomdet.inject('bm_both', 'spike', '{value}', series_column => 'dataset', count => 1)$$);

-- Bad input.
SELECT expect_error($$SELECT anomdet.benchmark('bm_src', 'value', '{prophet}')$$);
SELECT expect_error($$SELECT anomdet.benchmark('bm_src', 'value', methods => '{tsunami}')$$);
SELECT expect_error($$SELECT anomdet.benchmark('bm_src', 'value', '{}')$$);
SELECT expect_error($$SELECT anomdet.benchmark('bm_src', 'value', seeds => 0)$$);
SELECT expect_error($$SELECT anomdet.benchmark('bm_src', 'value', count => 200, length => 10)$$);
SELECT expect_error($$SELECT anomdet.benchmark('empty_series', 'v')$$);
SELECT expect_error($$SELECT anomdet.benchmark('bm_src', 'ts')$$);
