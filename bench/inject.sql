-- Benchmark: anomdet.inject into 1% of a 1,000,000-row table and revert_injection, against a
-- plain UPDATE of exactly the same rows (and the UPDATE that puts them back), median of 5 runs.
\set ON_ERROR_STOP 1
SELECT anomdet.generate('bench_inject', 'sine', length => 1000000, every => '1 second', period => 3600,
                        amplitude => 10, level => 50, noise => 1, seed => 1) \g /dev/null
CREATE INDEX ON bench_inject (ts);
VACUUM ANALYZE bench_inject;

CREATE TEMP TABLE runs (what text, ms numeric);
DO $$
DECLARE t0 timestamptz; id bigint;
BEGIN
  FOR i IN 1..5 LOOP
    t0 := clock_timestamp();
    id := anomdet.inject('bench_inject', 'spike', '{value}', seed => i, percent => 1, length => 10);
    INSERT INTO runs VALUES ('anomdet.inject, 1% of rows (10,000 in spans of 10)', extract(epoch FROM clock_timestamp() - t0) * 1000);

    -- the same rows, touched by plain SQL
    CREATE TEMP TABLE same_rows AS SELECT ts FROM anomdet.labels WHERE injection_id = id;
    ANALYZE same_rows;
    t0 := clock_timestamp();
    UPDATE bench_inject b SET value = value * 1.5 FROM same_rows r WHERE b.ts = r.ts;
    INSERT INTO runs VALUES ('plain UPDATE of the same rows', extract(epoch FROM clock_timestamp() - t0) * 1000);
    t0 := clock_timestamp();
    UPDATE bench_inject b SET value = value / 1.5 FROM same_rows r WHERE b.ts = r.ts;
    INSERT INTO runs VALUES ('plain UPDATE putting them back', extract(epoch FROM clock_timestamp() - t0) * 1000);
    DROP TABLE same_rows;

    t0 := clock_timestamp();
    PERFORM anomdet.revert_injection(id, force => true);
    INSERT INTO runs VALUES ('anomdet.revert_injection', extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END $$;

\echo
\echo 'median of 5 runs, 1,000,000-row table, 10,000 rows injected'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM runs GROUP BY what)
SELECT what, round(ms::numeric) AS ms,
       round((ms / (SELECT ms FROM m WHERE what = 'plain UPDATE of the same rows'))::numeric, 2) AS x_plain_update
FROM m ORDER BY ms;
