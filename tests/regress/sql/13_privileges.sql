-- The privilege matrix (reliability checklist B1, B2): every user-facing call on one table by five
-- roles. A denied call fails with 42501 before anything is written: the table's checksum, the
-- injection ledger and the job catalog are unchanged after every denied role has tried everything.
-- Another role's job or injection is "not yours" (42704), and its results read as no rows
-- (call l raises P0001 if any row is visible).
CREATE ROLE anomdet_t_owner LOGIN;
CREATE ROLE anomdet_t_reader LOGIN;
CREATE ROLE anomdet_t_colwriter LOGIN;
CREATE ROLE anomdet_t_stranger LOGIN;
CREATE ROLE anomdet_t_super LOGIN SUPERUSER;
GRANT CREATE ON SCHEMA public TO anomdet_t_owner, anomdet_t_reader, anomdet_t_colwriter, anomdet_t_stranger;
CREATE TABLE pt AS SELECT ts, value FROM metrics;
ALTER TABLE pt OWNER TO anomdet_t_owner;
GRANT SELECT ON pt TO anomdet_t_reader;
-- The column writer may update the value but read only the time.
GRANT SELECT (ts), UPDATE (value) ON pt TO anomdet_t_colwriter;
-- A job and an injection of someone else, for the calls that take an id.
SELECT anomdet.inject('metrics', 'spike', '{value}', seed => 5, count => 2, target => 'pt_others') AS others_injection \gset
SELECT anomdet.run_batch('pt_others', 'value', 'mad') AS others_job \gset

CREATE TABLE matrix_calls (call text PRIMARY KEY, sql text);
INSERT INTO matrix_calls VALUES
  ('a detect', $$SELECT count(*) FROM anomdet.detect('pt', 'value', 'mad')$$),
  ('b detect online', $$SELECT count(*) FROM anomdet.detect('pt', 'value', 'ewma', mode => 'online')$$),
  ('c run_batch', $$SELECT anomdet.run_batch('pt', 'value', 'mad')$$),
  ('d decompose', $$SELECT count(*) FROM anomdet.decompose('pt', 'value', period => 126)$$),
  ('e benchmark', $$SELECT anomdet.benchmark('pt', 'value', '{zscore}', '{spike}', seeds => 1)$$),
  ('f score_new_rows', $$SELECT anomdet.score_new_rows('{"source": "pt", "value_column": "value", "detector": "mad"}')$$),
  ('g inject in place', $$SELECT anomdet.inject('pt', 'spike', '{value}', seed => 1, count => 2)$$),
  ('h inject into a copy', format($$SELECT anomdet.inject('pt', 'spike', '{value}', seed => 1, count => 2, target => %L)$$, 'pt_copy_' || current_user)),
  ('i revert another''s injection', format('SELECT anomdet.revert_injection(%s)', :others_injection)),
  ('j evaluate another''s job', format('SELECT count(*) FROM anomdet.evaluate(%s)', :others_job)),
  ('k report on another''s job', format('SELECT anomdet.report(%s)', :others_job)),
  ('l results of another''s job', format('DO $d$ BEGIN IF (SELECT count(*) FROM anomdet.job_results(%s)) > 0 THEN RAISE EXCEPTION ''rows visible'' USING ERRCODE = ''P0001''; END IF; END $d$', :others_job)),
  ('m cancel another''s job', format('SELECT anomdet.cancel_job(%s)', :others_job)),
  ('n detect_columns', $$SELECT count(*) FROM anomdet.detect_columns('pt', ARRAY['value'], 'pca')$$);
GRANT SELECT ON matrix_calls TO PUBLIC;
-- format() above ran as the superuser: make the copy name per role at call time instead.
UPDATE matrix_calls SET sql = $$SELECT anomdet.inject('pt', 'spike', '{value}', seed => 1, count => 2, target => 'pt_copy_' || current_user)$$
WHERE call = 'h inject into a copy';

CREATE FUNCTION pt_checksum() RETURNS text LANGUAGE sql AS
  $$ SELECT md5(string_agg(ts::text || '=' || value::text, ',' ORDER BY ts)) FROM public.pt $$;
ALTER FUNCTION pt_checksum() OWNER TO anomdet_t_owner;
SELECT pt_checksum() AS checksum_before \gset
SELECT count(*) AS injections_before FROM anomdet.injections \gset
SELECT count(*) AS jobs_before FROM anomdet.job_records WHERE owner <> 'postgres' \gset

SET ROLE anomdet_t_stranger;
SELECT call, expect_error(sql) AS stranger FROM matrix_calls ORDER BY call;
RESET ROLE;
SET ROLE anomdet_t_colwriter;
SELECT call, expect_error(sql) AS column_writer FROM matrix_calls ORDER BY call;
RESET ROLE;
SET ROLE anomdet_t_reader;
SELECT call, expect_error(sql) AS reader FROM matrix_calls WHERE call <> 'h inject into a copy' ORDER BY call;
RESET ROLE;
-- Nothing was written by the denied calls.
SELECT pt_checksum() = :'checksum_before' AS table_unchanged,
       (SELECT count(*) FROM anomdet.injections) - :injections_before AS new_injections,
       (SELECT count(*) FROM anomdet.job_records WHERE owner = 'anomdet_t_stranger') AS stranger_jobs,
       (SELECT count(*) FROM anomdet.job_records WHERE owner = 'anomdet_t_colwriter') AS column_writer_jobs;

-- The reader may copy what it can read, and the copy is its own.
SET ROLE anomdet_t_reader;
SELECT expect_error(sql) AS reader_copies FROM matrix_calls WHERE call = 'h inject into a copy';
SELECT tableowner FROM pg_tables WHERE tablename = 'pt_copy_anomdet_t_reader';
RESET ROLE;

-- The owner and a non-owner superuser may do everything on pt (calls on others' ids aside).
SET ROLE anomdet_t_owner;
SELECT call, expect_error(sql) AS owner FROM matrix_calls ORDER BY call;
RESET ROLE;
SET ROLE anomdet_t_super;
SELECT call, expect_error(sql) AS superuser FROM matrix_calls WHERE call < 'i' ORDER BY call;
RESET ROLE;

-- B6: privileges revoked after a schedule started: the next run is refused (42501) and changes
-- neither the watermark nor the results.
CREATE TABLE drift AS SELECT ts, value FROM metrics;
GRANT SELECT ON drift TO anomdet_t_reader;
SET ROLE anomdet_t_reader;
SELECT anomdet.score_new_rows('{"source": "drift", "value_column": "value", "detector": "mad"}') AS first_run;
RESET ROLE;
INSERT INTO drift SELECT ts + interval '1 day', value FROM metrics;
REVOKE SELECT ON drift FROM anomdet_t_reader;
SET ROLE anomdet_t_reader;
SELECT watermark AS watermark_before, runs AS runs_before, job_id AS drift_job,
       (SELECT count(*) FROM anomdet.results r WHERE r.job_id = w.job_id) AS results_before
FROM anomdet.watermarks w WHERE source_relid = 'drift'::regclass \gset
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "drift", "value_column": "value", "detector": "mad"}')$$);
SELECT watermark = :'watermark_before' AS watermark_unchanged, runs = :runs_before AS runs_unchanged,
       (SELECT count(*) FROM anomdet.results WHERE job_id = :drift_job) = :results_before AS results_unchanged
FROM anomdet.watermarks WHERE job_id = :drift_job;
RESET ROLE;
DROP TABLE drift;

-- B2: FORCE ROW LEVEL SECURITY on a tenant table: tenant A scores and injects only its rows.
CREATE TABLE tenant_metrics AS
SELECT ts, value, CASE WHEN ts < '2024-01-01 08:00:00+00' THEN 'anomdet_t_reader' ELSE 'other' END AS tenant FROM metrics;
ALTER TABLE tenant_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON tenant_metrics USING (tenant = current_user);
GRANT SELECT, UPDATE ON tenant_metrics TO anomdet_t_reader;
SELECT md5(string_agg(value::text, ',' ORDER BY ts)) AS others_before FROM tenant_metrics WHERE tenant = 'other' \gset
SET ROLE anomdet_t_reader;
SELECT count(*) AS visible, (SELECT count(*) FROM anomdet.detect('tenant_metrics', 'value', 'mad')) AS scored FROM tenant_metrics;
SELECT anomdet.inject('tenant_metrics', 'spike', '{value}', seed => 2, count => 3) AS tenant_injection \gset
SELECT count(*) AS cells_injected, min(ts) >= '2024-01-01 00:00:00+00' AND max(ts) < '2024-01-01 08:00:00+00' AS all_in_own_rows
FROM anomdet.labels WHERE injection_id = :tenant_injection;
RESET ROLE;
SELECT md5(string_agg(value::text, ',' ORDER BY ts)) = :'others_before' AS other_tenant_unchanged FROM tenant_metrics WHERE tenant = 'other';

DROP TABLE matrix_calls, tenant_metrics, pt_others;
DROP FUNCTION pt_checksum();
DELETE FROM anomdet.job_records WHERE owner::text LIKE 'anomdet_t_%';
DROP OWNED BY anomdet_t_owner, anomdet_t_reader, anomdet_t_colwriter, anomdet_t_stranger, anomdet_t_super;
DROP ROLE anomdet_t_owner, anomdet_t_reader, anomdet_t_colwriter, anomdet_t_stranger, anomdet_t_super;
