-- Evaluation: a job scored against the injected labels of its source column.
SELECT anomdet.generate('ev', 'sine', length => 2000, period => 100, amplitude => 5, level => 20, noise => 0.3, seed => 5) AS made;
SELECT anomdet.inject('ev', 'spike', '{value}', '{"magnitude": 2.5}', seed => 1, count => 8, length => 2) AS sp \gset
SELECT anomdet.inject('ev', 'mean', '{value}', '{"magnitude": 8}', seed => 2, count => 2, length => 25) AS mn \gset
SELECT anomdet.run_batch('ev', 'value', 'mad', '{"window": 40}') AS job \gset

SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate(:job) ORDER BY metric;

-- The oracle threshold is at least as good as the detector's own, by construction.
SELECT (SELECT value FROM anomdet.evaluate(:job, 'oracle') WHERE metric = 'f1')
    >= (SELECT value FROM anomdet.evaluate(:job) WHERE metric = 'f1') AS oracle_at_least_as_good;
-- Threshold-free metrics do not depend on the threshold.
SELECT count(DISTINCT value) AS distinct_roc_auc FROM (
  SELECT value FROM anomdet.evaluate(:job, 'detector') WHERE metric = 'roc_auc' UNION ALL
  SELECT value FROM anomdet.evaluate(:job, 'top:20') WHERE metric = 'roc_auc' UNION ALL
  SELECT value FROM anomdet.evaluate(:job, 'percentile:99') WHERE metric = 'roc_auc') t;
-- top:k flags k rows (ties aside); a huge fixed score flags nothing.
SELECT round(value::numeric, 4) AS recall_top_20 FROM anomdet.evaluate(:job, 'top:20') WHERE metric = 'recall';
SELECT value AS recall_at_score_1e9 FROM anomdet.evaluate(:job, 'score:1e9') WHERE metric = 'recall';

-- Detectors compared side by side on the same labels: the global z-score sees the large level
-- shifts as a whole, the centred Hampel window (40 rows) only their edges.
SELECT anomdet.run_batch('ev', 'value', 'zscore') AS zjob \gset
SELECT d.detector, round(e.value::numeric, 4) AS pr_auc_ap, round(r.value::numeric, 4) AS range_recall
FROM (VALUES ('mad', :job), ('zscore', :zjob)) AS d(detector, id),
     LATERAL anomdet.evaluate(d.id) e, LATERAL anomdet.evaluate(d.id) r
WHERE e.metric = 'pr_auc_ap' AND r.metric = 'range_recall' ORDER BY 1;

-- Reverting the injections removes the labels: nothing left to evaluate against.
SELECT anomdet.revert_injection(:sp) + anomdet.revert_injection(:mn) AS reverted;
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s)', :job));

-- Bad input.
SELECT expect_error($$SELECT * FROM anomdet.evaluate(NULL)$$);
SELECT expect_error($$SELECT * FROM anomdet.evaluate(424242)$$);
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s, %L)', :job, 'best'));
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s, %L)', :job, 'top:0'));
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s, %L)', :job, 'percentile:101'));
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s, %L)', :job, 'score:abc'));
SELECT anomdet.run_batch('empty_series', 'v', 'mad') AS failed_job \gset
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s)', :failed_job));

-- Any scores against any labels, as arrays (here: a perfect and an inverted score).
SELECT metric, round(value::numeric, 4) AS value FROM anomdet.evaluate_arrays(
    (SELECT array_agg(i BETWEEN 900 AND 920 ORDER BY i) FROM generate_series(1, 1000) i),
    (SELECT array_agg(CASE WHEN i BETWEEN 900 AND 920 THEN 1.0 ELSE 0.0 END ORDER BY i) FROM generate_series(1, 1000) i))
WHERE metric IN ('roc_auc', 'pr_auc_ap', 'vus_pr', 'nab_standard', 'nab_standard_best', 'best_f1', 'f1');
SELECT round(value::numeric, 4) AS inverted_roc_auc FROM anomdet.evaluate_arrays(
    (SELECT array_agg(i BETWEEN 900 AND 920 ORDER BY i) FROM generate_series(1, 1000) i),
    (SELECT array_agg(CASE WHEN i BETWEEN 900 AND 920 THEN 0.0 ELSE 1.0 END ORDER BY i) FROM generate_series(1, 1000) i))
WHERE metric = 'roc_auc';
SELECT expect_error($$SELECT * FROM anomdet.evaluate_arrays('{t,f}', '{1}')$$);
SELECT expect_error($$SELECT * FROM anomdet.evaluate_arrays('{f,f}', '{1,2}')$$);
SELECT expect_error($$SELECT * FROM anomdet.evaluate_arrays('{t,f}', '{1,2}', threshold => 'detector')$$);
SELECT expect_error($$SELECT * FROM anomdet.evaluate_arrays(NULL, '{1,2}')$$);

-- Another user's job is invisible: evaluating or reporting it is refused like a missing one.
CREATE ROLE anomdet_eve LOGIN;
SET ROLE anomdet_eve;
SELECT expect_error(format('SELECT * FROM anomdet.evaluate(%s)', :zjob));
SELECT expect_error(format('SELECT anomdet.report(job_id => %s)', :zjob));
RESET ROLE;
DROP ROLE anomdet_eve;
