-- Shared fixtures for the regression suite: the extension, test data and an error probe.
CREATE EXTENSION anomdet;

-- Runs a statement and reports its SQLSTATE, message and hint instead of failing the script,
-- so every error path is checked for its exact code (and that it is never XX000).
CREATE FUNCTION expect_error(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text; message text; hint text;
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN state || ': ' || message || CASE WHEN hint <> '' THEN ' | HINT: ' || hint ELSE '' END;
END $$;

-- One minute apart, a slow sine plus deterministic pseudo-noise in [-0.3, 0.3),
-- with three obvious anomalies at rows 200, 500 and 800.
CREATE TABLE metrics AS
SELECT '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute' AS ts,
       round((10 + sin(i / 20.0) + ((i * 7919) % 101) / 101.0 * 0.6 - 0.3 + CASE i WHEN 200 THEN 15 WHEN 500 THEN -12 WHEN 800 THEN 9 ELSE 0 END)::numeric, 6) AS value
FROM generate_series(0, 999) AS i;

-- Two series in one table, keyed by host; host b has one spike.
CREATE TABLE fleet AS
SELECT ts, host, 50 + 5 * cos(i / 15.0) + CASE WHEN host = 'b' AND i = 300 THEN 40 ELSE 0 END AS cpu
FROM generate_series(0, 499) AS i,
     LATERAL (VALUES ('2024-01-01 00:00:00+00'::timestamptz + i * interval '10 seconds')) AS t(ts),
     unnest(ARRAY['a', 'b']) AS host;
