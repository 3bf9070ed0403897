-- Step 5: a benchmark grid and the leaderboard: which detector suits which anomaly
-- Every detector but knn and lof (the slowest: on 20,000 rows with 288-row windows they take
-- seconds per cell; bench/GRID-RESULTS.md has them) × 8 injection methods × 2 seeds on the
-- synthetic series, in memory (the table is not written).
SELECT anomdet.benchmark('demo_synthetic', 'value',
                         detectors => (SELECT array_agg(name) FROM anomdet.detectors()
                                       WHERE name NOT IN ('knn', 'lof') AND family <> 'registered (SQL)'),
                         seeds => 2, name => 'demo grid') AS benchmark_id \gset
\echo
\echo 'Leaderboard (anomdet.leaderboard), ranked by mean VUS-PR over 16 cells each:'
SELECT rank, detector, round(vus_pr::numeric, 3) AS vus_pr, round(pr_auc_ap::numeric, 3) AS pr_auc_ap, round(roc_auc::numeric, 3) AS roc_auc,
       round(best_f1::numeric, 3) AS best_f1_oracle, round(range_f1::numeric, 3) AS range_f1,
       round(pa_f1::numeric, 3) AS pa_f1_optimistic, round(runtime_ms::numeric, 1) AS runtime_ms
FROM anomdet.leaderboard WHERE benchmark_id = :benchmark_id ORDER BY rank;
\echo
\echo 'Best detector per injection method (anomdet.leaderboard_by_method):'
SELECT method, string_agg(detector, ', ' ORDER BY detector) AS best, round(max(vus_pr)::numeric, 3) AS vus_pr
FROM anomdet.leaderboard_by_method WHERE benchmark_id = :benchmark_id AND rank = 1
GROUP BY method ORDER BY method;
