-- Step 8: a model trained once on trusted rows, then new rows scored with it, and the anomaly events
-- Train on the first 24 days of demo_feed (its injected spikes included, as a user's history
-- would be), score the rest with the stored model, and compare with refitting; the flagged rows
-- group into events, one alert each.
\echo 'Train: every online detector on the same stretch (what each stores):'
SELECT d.name AS detector, anomdet.train('demo_' || d.name, 'demo_feed', 'value', d.name, end_time => '2024-01-25') AS model_id
FROM anomdet.detectors() d WHERE d.online ORDER BY d.name \g /dev/null
SELECT detector, rows AS trained_on_rows, train_end, pg_size_pretty(bytes) AS size FROM anomdet.models ORDER BY bytes;
\echo
\echo 'Score the rest with the stored spot model, as a recorded job that announces each event:'
SELECT anomdet.run_batch('demo_feed', 'value', model => 'demo_spot', start_time => '2024-01-25',
                         name => 'demo model', notify => true) AS model_job \gset
SELECT id, detector, model, mode, rows_scored, anomalies FROM anomdet.jobs WHERE id = :model_job;
SELECT metric, round(value::numeric, 3) AS value FROM anomdet.evaluate(:model_job)
WHERE metric IN ('vus_pr', 'event_recall', 'precision', 'nab_standard');
\echo 'Its flagged rows as anomaly events (anomdet.events, for Grafana annotations):'
SELECT start_ts, end_ts, round(peak_score::numeric, 2) AS peak_score, rows FROM anomdet.events WHERE job_id = :model_job ORDER BY start_ts;
\echo
\echo 'The same rows scored with the model, against one online pass over all the days (rows that differ):'
SELECT (SELECT count(*) FILTER (WHERE m.score IS DISTINCT FROM d.score)
        FROM anomdet.detect('demo_feed', 'value', model => 'demo_spot', start_time => '2024-01-25') m
        JOIN anomdet.detect('demo_feed', 'value', 'spot', mode => 'online') d USING (ts)) AS rows_differing_from_one_pass;
