-- Step 3: the same as recorded batch jobs (AnomDet's run-batch) and the job list
SELECT anomdet.run_batch('demo_metrics', 'value', name, name => 'demo ' || name) FROM anomdet.detectors() ORDER BY name \g /dev/null
\echo
\echo 'Recorded batch jobs (anomdet.jobs):'
SELECT id, name, detector, status, rows_read, rows_scored, anomalies,
       round(extract(epoch FROM finished_at - started_at) * 1000, 1) AS ms
FROM anomdet.jobs ORDER BY id;
\echo
\echo 'Flagged rows of the mad job (anomdet.job_results), beside the planted truth:'
SELECT r.ts, round(r.value::numeric, 2) AS value, round(r.score::numeric, 1) AS score, t.what AS planted
FROM anomdet.jobs j, anomdet.job_results(j.id) r LEFT JOIN demo_truth t USING (ts)
WHERE j.name = 'demo mad' AND r.is_anomaly ORDER BY r.ts;
