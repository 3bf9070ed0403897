-- The ensemble detector, and detectors registered from SQL: they work in detect, run_batch and
-- benchmark like built-in ones; each role sees its own and shared ones; only the owner removes one.

-- Ensemble: the default members (mad, ewma, spot) by majority vote find the three planted spikes.
SELECT ts, round(score::numeric, 4) AS score, is_anomaly
FROM anomdet.detect('metrics', 'value', 'ensemble') WHERE is_anomaly ORDER BY ts;
-- One member by rank keeps that member's flags exactly.
SELECT count(*) AS differing_flags
FROM anomdet.detect('metrics', 'value', 'ensemble', '{"members": ["mad"]}') e
JOIN anomdet.detect('metrics', 'value', 'mad') m USING (ts)
WHERE e.is_anomaly IS DISTINCT FROM m.is_anomaly;
-- Online when every member is; members with their own parameters; a job records them.
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged
FROM anomdet.detect('metrics', 'value', 'ensemble',
    '{"members": ["zscore", {"detector": "ewma", "params": {"alpha": 0.2}}], "votes": 2, "aggregate": "max"}', mode => 'online');
SELECT anomdet.run_batch('metrics', 'value', 'ensemble',
    '{"members": ["mad", {"detector": "stl", "params": {"period": 24}}], "normalize": "robust"}') AS job \gset
SELECT status, anomalies, params FROM anomdet.jobs WHERE id = :job;
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": ["mad", "stl"]}', mode => 'online')$$);
-- Scheduled scoring takes an online ensemble, and refuses a batch-only one.
SELECT anomdet.score_new_rows('{"source": "metrics", "value_column": "value", "detector": "ensemble"}') AS scheduled_rows;
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "metrics", "value_column": "value", "detector": "ensemble", "params": {"members": ["stl"]}}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": ["mad", "prophet"]}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": ["ensemble"]}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": []}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": "mad"}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": [{"name": "mad"}]}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": [{"detector": "mad", "params": {"window": 1}}]}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"normalize": "minmax"}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"normalize": 1}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'ensemble', '{"members": [{"detector": "mad", "params": {"window": 5000}}]}')$$);

-- A SQL detector: the global z-score, written in SQL.
CREATE FUNCTION global_z(vals float8[], params jsonb) RETURNS float8[] LANGUAGE sql AS $$
    SELECT array_agg(abs(v - m) / nullif(s, 0) ORDER BY o)
    FROM unnest(vals) WITH ORDINALITY AS u(v, o), (SELECT avg(x) AS m, stddev(x) AS s FROM unnest(vals) x) AS st $$;
SELECT anomdet.register_detector('global_z', 'global_z', threshold => 3, description => 'z-score over the whole series');
SELECT name, family, online, params->0->>'default' AS threshold, description
FROM anomdet.detectors() WHERE family = 'registered (SQL)';
-- It scores exactly like the built-in zscore in batch mode, with flags from its threshold.
SELECT count(*) AS rows, count(*) FILTER (WHERE abs(g.score - z.score) > 1e-9) AS differing_scores,
       count(*) FILTER (WHERE g.is_anomaly IS DISTINCT FROM z.is_anomaly) AS differing_flags
FROM anomdet.detect('metrics', 'value', 'global_z') g
JOIN anomdet.detect('metrics', 'value', 'zscore', '{"threshold": 3}') z USING (ts);
-- params reach the function; "threshold" in params overrides the registered one.
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged_at_10
FROM anomdet.detect('metrics', 'value', 'global_z', '{"threshold": 10}');
-- Per series, in run_batch and in benchmark.
SELECT count(*) FILTER (WHERE is_anomaly) AS fleet_flags FROM anomdet.detect('fleet', 'cpu', 'global_z', series_column => 'host');
SELECT anomdet.run_batch('metrics', 'value', 'global_z') AS job \gset
SELECT status, rows_scored, anomalies FROM anomdet.jobs WHERE id = :job;
SELECT anomdet.benchmark('metrics', 'value', '{global_z,zscore}', '{spike}', seeds => 1) AS bench \gset
SELECT detector, round(vus_pr::numeric, 6) AS vus_pr FROM anomdet.leaderboard WHERE benchmark_id = :bench ORDER BY detector;

-- Bad registrations and bad functions, each with its SQLSTATE.
SELECT expect_error($$SELECT anomdet.register_detector('global_z', 'global_z')$$);
SELECT expect_error($$SELECT anomdet.register_detector('zscore', 'global_z')$$);
SELECT expect_error($$SELECT anomdet.register_detector('Bad Name', 'global_z')$$);
SELECT expect_error($$SELECT anomdet.register_detector(NULL, 'global_z')$$);
SELECT expect_error($$SELECT anomdet.register_detector('x', 'no_such_function')$$);
SELECT expect_error($$SELECT anomdet.register_detector('x', 'global_z(float8[]')$$);
SELECT expect_error($$SELECT anomdet.register_detector('x', 'abs(float8)')$$);
SELECT expect_error($$SELECT anomdet.register_detector('x', 'global_z', threshold => 'NaN')$$);
SELECT expect_error($$SELECT anomdet.register_detector('x', 'global_z', min_points => 0)$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'global_z', mode => 'online')$$);
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "metrics", "value_column": "value", "detector": "global_z"}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'global_z', '{"threshold": "high"}')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'global_z', '[1]')$$);
CREATE FUNCTION too_short(vals float8[]) RETURNS float8[] LANGUAGE sql AS $$ SELECT vals[1:3] $$;
CREATE FUNCTION fails(vals float8[]) RETURNS float8[] LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'model not trained' USING ERRCODE = '22023'; END $$;
CREATE FUNCTION nothing(vals float8[]) RETURNS float8[] LANGUAGE sql AS $$ SELECT NULL::float8[] $$;
SELECT anomdet.register_detector('too_short', 'too_short'), anomdet.register_detector('fails', 'fails'),
       anomdet.register_detector('nothing', 'nothing', min_points => 2000);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'too_short')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'fails')$$);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'nothing')$$);
SELECT anomdet.run_batch('metrics', 'value', 'fails') AS job \gset
SELECT status, error FROM anomdet.jobs WHERE id = :job;
DROP FUNCTION too_short(float8[]);
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'too_short')$$);
SELECT anomdet.unregister_detector('too_short'), anomdet.unregister_detector('fails'), anomdet.unregister_detector('nothing');

-- Roles: private detectors stay private; shared ones are usable by others, changed only by the owner.
CREATE ROLE anomdet_dan LOGIN;
CREATE ROLE anomdet_eve LOGIN;
GRANT SELECT ON metrics TO anomdet_dan, anomdet_eve;
GRANT EXECUTE ON FUNCTION global_z(float8[], jsonb) TO anomdet_dan;
SET ROLE anomdet_dan;
SELECT anomdet.register_detector('dans_private', 'global_z'),
       anomdet.register_detector('dans_shared', 'global_z', shared => true);
RESET ROLE;
SET ROLE anomdet_eve;
SELECT name FROM anomdet.detectors() WHERE family = 'registered (SQL)' ORDER BY name;
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'dans_private')$$);
SELECT count(*) AS scored_with_dans_shared FROM anomdet.detect('metrics', 'value', 'dans_shared');
SELECT expect_error($$SELECT anomdet.unregister_detector('dans_shared')$$);
SELECT expect_error($$SELECT anomdet.register_detector('dans_private', 'global_z')$$);
SELECT expect_error($$SELECT anomdet.register_detector('dans_shared', 'global_z', replace => true)$$);
-- Direct writes to the catalog touch no other role's row.
WITH u AS (UPDATE anomdet.custom_detectors SET threshold = 0 WHERE name = 'dans_shared' RETURNING 1) SELECT count(*) AS updated FROM u;
WITH d AS (DELETE FROM anomdet.custom_detectors WHERE name = 'dans_shared' RETURNING 1) SELECT count(*) AS deleted FROM d;
SELECT expect_error($$INSERT INTO anomdet.custom_detectors (name, function, owner) VALUES ('forged', 'global_z(float8[],jsonb)', 'anomdet_dan')$$);
RESET ROLE;
-- Eve may not execute the function behind a shared detector: the call is refused by PostgreSQL.
REVOKE EXECUTE ON FUNCTION global_z(float8[], jsonb) FROM PUBLIC;
SET ROLE anomdet_eve;
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'dans_shared')$$);
RESET ROLE;
SELECT name, owner, shared, threshold, function, function_owner FROM anomdet.custom_detectors ORDER BY name;
-- A detector's function dropped and made again, same signature, by another role: refused, not run.
GRANT CREATE ON SCHEMA public TO anomdet_eve;
CREATE FUNCTION public.dans_scores(vals float8[]) RETURNS float8[] LANGUAGE sql AS $$ SELECT vals $$;
ALTER FUNCTION public.dans_scores(float8[]) OWNER TO anomdet_dan;
SET ROLE anomdet_dan;
SELECT anomdet.register_detector('dans_own', 'public.dans_scores(float8[])');
DROP FUNCTION public.dans_scores(float8[]);
RESET ROLE;
SET ROLE anomdet_eve;
CREATE FUNCTION public.dans_scores(vals float8[]) RETURNS float8[] LANGUAGE sql AS $$ SELECT vals $$;
RESET ROLE;
SET ROLE anomdet_dan;
SELECT expect_error($$SELECT anomdet.detect('metrics', 'value', 'dans_own')$$);
SELECT anomdet.unregister_detector('dans_private'), anomdet.unregister_detector('dans_shared'),
       anomdet.unregister_detector('dans_own');
RESET ROLE;
DROP FUNCTION public.dans_scores(float8[]);
REVOKE CREATE ON SCHEMA public FROM anomdet_eve;
SELECT expect_error($$SELECT anomdet.unregister_detector('zscore')$$);
SELECT expect_error($$SELECT anomdet.unregister_detector('never_registered')$$);
REVOKE ALL ON metrics FROM anomdet_dan, anomdet_eve;
REVOKE ALL ON FUNCTION global_z(float8[], jsonb) FROM anomdet_dan;
DROP ROLE anomdet_dan, anomdet_eve;

-- decompose: the STL components as columns; value = trend + seasonal + residual, and they are
-- exactly what the stl detector scores (its expected value is trend + seasonal + the median residual).
SELECT period, count(*) AS rows, max(abs(value - trend - seasonal - residual)) < 1e-9 AS adds_up
FROM anomdet.decompose('metrics', 'value') GROUP BY period;
WITH d AS (SELECT * FROM anomdet.decompose('metrics', 'value', period => 126)),
     m AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY residual) AS median FROM d)
SELECT count(*) AS rows, count(*) FILTER (WHERE abs(s.expected - (d.trend + d.seasonal + m.median)) > 1e-9) AS differing_expected
FROM d CROSS JOIN m JOIN anomdet.detect('metrics', 'value', 'stl', '{"period": 126}') s USING (ts);
SELECT series, period, count(*) AS rows, count(trend) AS decomposed
FROM anomdet.decompose('fleet', 'cpu', series_column => 'host', seasonal => 7) GROUP BY series, period ORDER BY series;
SELECT expect_error($$SELECT anomdet.decompose('metrics', 'value', period => 1)$$);
SELECT expect_error($$SELECT anomdet.decompose('metrics', 'value', period => 600)$$);
SELECT expect_error($$SELECT anomdet.decompose('metrics', 'value', seasonal => 2)$$);
SELECT expect_error($$SELECT anomdet.decompose('metrics', 'value', robust => NULL)$$);
SELECT expect_error($$SELECT anomdet.decompose('metrics', 'nope')$$);
CREATE TABLE flat AS SELECT ts, 1.0::float8 AS value FROM metrics;
SELECT expect_error($$SELECT anomdet.decompose('flat', 'value')$$);
DROP TABLE flat;
