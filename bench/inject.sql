-- Benchmark: anomdet.inject into 1% of a table of :rows rows (1,000,000 unless bench/run.sh
-- --rows says otherwise) and revert_injection, against a plain UPDATE of exactly the same rows
-- (and the UPDATE that puts them back), median of 5 runs.
\set ON_ERROR_STOP 1
\if :{?rows}
\else
\set rows 1000000
\endif
SELECT anomdet.generate('bench_inject', 'sine', length => :rows, every => '1 second', period => 3600,
                        amplitude => 10, level => 50, noise => 1, seed => 1) \g /dev/null
CREATE INDEX ON bench_inject (ts);
VACUUM ANALYZE bench_inject;

CREATE TEMP TABLE runs (what text, ms numeric);
SET bench.round = 1;
\ir inject_round.sql
SET bench.round = 2;
\ir inject_round.sql
SET bench.round = 3;
\ir inject_round.sql
SET bench.round = 4;
\ir inject_round.sql
SET bench.round = 5;
\ir inject_round.sql

\echo
\echo 'median of 5 runs, 1% of the rows injected (in spans of 10); rows in the table:' :rows
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM runs GROUP BY what)
SELECT what, round(ms::numeric) AS ms,
       round((ms / (SELECT ms FROM m WHERE what = 'plain UPDATE of the same rows'))::numeric, 2) AS x_plain_update
FROM m ORDER BY ms;
