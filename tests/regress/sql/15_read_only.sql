-- Read-only calls take no transaction id (no XID burnt per call; they work on a hot standby,
-- see tests/standby.sh), and in a READ ONLY transaction the writers refuse with 25006 up front.
SELECT anomdet.inject('metrics', 'spike', '{value}', seed => 5, count => 3, target => 'ro_copy') AS ro_inj \gset
SELECT anomdet.run_batch('ro_copy', 'value', 'mad') AS ro_job \gset
BEGIN READ ONLY;
SELECT count(*) AS detected FROM anomdet.detect('ro_copy', 'value', 'mad');
SELECT count(*) AS online FROM anomdet.detect('fleet', 'cpu', 'ewma', series_column => 'host', mode => 'online');
SELECT count(*) AS decomposed FROM anomdet.decompose('metrics', 'value', period => 126);
SELECT count(*) > 0 AS evaluated FROM anomdet.evaluate(:ro_job);
SELECT count(*) AS results FROM anomdet.job_results(:ro_job);
SELECT pg_catalog.length(anomdet.report(:ro_job)) > 0 AS reported;
SELECT count(*) > 0 AS listed FROM anomdet.detectors();
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid_taken;
SELECT expect_error($$SELECT anomdet.run_batch('metrics', 'value', 'mad')$$);
SELECT expect_error($$SELECT anomdet.inject('metrics', 'spike', '{value}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.generate('ro_gen', length => 10)$$);
COMMIT;
DROP TABLE ro_copy;
