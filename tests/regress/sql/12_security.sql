-- Security inventory and hostile objects (reliability checklist A1, A4, B3, B4).

-- B3: no function of ours is SECURITY DEFINER except the one catalog helper, and it has a locked
-- search_path and no PUBLIC EXECUTE.
SELECT p.oid::regprocedure AS function, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
FROM pg_proc p WHERE p.pronamespace = 'anomdet'::regnamespace AND p.prosecdef ORDER BY 1;
-- Every function that sets no search_path is C (Rust) or a view helper we list here.
SELECT p.proname, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'anomdet'::regnamespace AND p.proconfig IS NULL AND l.lanname <> 'c' ORDER BY 1;

-- A4: every object in schema anomdet belongs to the extension, and is owned by its installer.
SELECT c.relname AS not_a_member FROM pg_class c
WHERE c.relnamespace = 'anomdet'::regnamespace AND c.relkind IN ('r', 'v', 'S', 'm', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e');
SELECT p.proname AS not_a_member FROM pg_proc p
WHERE p.pronamespace = 'anomdet'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e');
SELECT count(DISTINCT c.relowner) AS owners FROM pg_class c WHERE c.relnamespace = 'anomdet'::regnamespace;

-- A1 and B4: a non-superuser plants look-alike functions and operators in public, each of which
-- records that it ran. The superuser then reinstalls the extension and uses it with public
-- searched before pg_catalog. Nothing planted may run.
CREATE ROLE anomdet_hacker LOGIN;
GRANT CREATE ON SCHEMA public TO anomdet_hacker;
GRANT CREATE ON DATABASE anomdet_regress TO anomdet_hacker;
SET ROLE anomdet_hacker;
CREATE TABLE public.hits (what text);
GRANT INSERT, SELECT ON public.hits TO PUBLIC;
-- One recording function per operator and type (an operator needs concrete argument types).
DO $$
DECLARE
    t text;
    op text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'bigint', 'integer', 'oid', 'name', 'double precision', 'timestamptz', 'boolean'] LOOP
        FOREACH op IN ARRAY ARRAY['=', '<', '>', '<=', '>=', '<>'] LOOP
            EXECUTE format('CREATE FUNCTION public.%I(a %s, b %s) RETURNS boolean LANGUAGE plpgsql AS '
                           '$f$ BEGIN INSERT INTO public.hits VALUES (%L); RETURN false; END $f$',
                           'trap_' || md5(op || t), t, t, op || ' ' || t);
            EXECUTE format('CREATE OPERATOR public.%s (FUNCTION = public.%I, LEFTARG = %s, RIGHTARG = %s)',
                           op, 'trap_' || md5(op || t), t, t);
        END LOOP;
    END LOOP;
END $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.hits VALUES ('now()'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION public.count(text) RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.hits VALUES ('count'); RETURN 0; END $$;
CREATE FUNCTION public.pg_extension_config_dump(regclass, text) RETURNS void LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.hits VALUES ('config_dump'); END $$;
RESET ROLE;

-- A1: a schema named anomdet that someone else made: the install refuses it.
DROP EXTENSION anomdet CASCADE;
DROP SCHEMA anomdet;
SET ROLE anomdet_hacker;
CREATE SCHEMA anomdet;
RESET ROLE;
SELECT expect_error($$CREATE EXTENSION anomdet$$);
DROP SCHEMA anomdet;

-- The install itself, with public searched first.
SET search_path = public, pg_catalog;
CREATE EXTENSION anomdet;
SELECT count(*) AS hits_after_install FROM public.hits;

-- B4: the API at run time, with public searched first. (This file's own statements avoid the
-- planted operators: they use IS NULL tests, or OPERATOR(pg_catalog.x).)
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged FROM anomdet.detect('metrics', 'value', 'mad');
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged FROM anomdet.detect('fleet', 'cpu', 'mad', series_column => 'host', mode => 'online');
SELECT anomdet.run_batch('metrics', 'value', 'mad') AS job \gset
SELECT status FROM anomdet.jobs WHERE id = :job;
SELECT count(*) AS result_rows FROM anomdet.job_results(:job);
SELECT anomdet.inject('metrics', 'spike', '{value}', seed => 3, count => 2, target => 'metrics_hostile') AS inj \gset
SELECT anomdet.run_batch('metrics_hostile', 'value', 'mad') AS job2 \gset
SELECT count(*) > 0 AS evaluated FROM anomdet.evaluate(:job2);
SELECT pg_catalog.length(anomdet.report(:job2)) OPERATOR(pg_catalog.>) 0 AS reported;
SELECT anomdet.revert_injection(:inj) IS NOT NULL AS reverted;
SELECT anomdet.generate('hostile_gen', length => 50) AS generated;
SELECT anomdet.score_new_rows('{"source": "metrics", "value_column": "value", "detector": "mad"}') AS scheduled;
SELECT anomdet.benchmark('metrics', 'value', '{zscore}', '{spike}', seeds => 1) > 0 AS benchmarked;
SELECT count(*) AS decomposed FROM anomdet.decompose('metrics', 'value', period => 126);
CREATE FUNCTION public.plain_scores(vals float8[]) RETURNS float8[] LANGUAGE sql AS $$ SELECT vals $$;
SELECT anomdet.register_detector('hostile_check', 'plain_scores', threshold => 1e9);
SELECT count(*) AS scored_by_sql_detector FROM anomdet.detect('metrics', 'value', 'hostile_check');
SELECT anomdet.unregister_detector('hostile_check');
SELECT what, count(*) FROM public.hits GROUP BY what ORDER BY what;

RESET search_path;
DROP TABLE metrics_hostile, hostile_gen;
DROP FUNCTION public.plain_scores(float8[]);
DROP OWNED BY anomdet_hacker;
REVOKE CREATE ON SCHEMA public FROM anomdet_hacker;
REVOKE CREATE ON DATABASE anomdet_regress FROM anomdet_hacker;
DROP ROLE anomdet_hacker;
