-- Benchmark on TimescaleDB: a 1,000,000-row hypertable of 100 chunks. anomdet.inject (1% of
-- the rows) and revert_injection against a plain UPDATE of exactly the same rows on the same
-- hypertable; detect against a plain scan of it. Then the same with half the chunks
-- compressed. Median of 5 rounds per state. Needs timescaledb preloaded (bench/run.sh does it).
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS timescaledb;
SET timescaledb.enable_compression_ratio_warnings = off;
CREATE TABLE bench_ht (ts timestamptz NOT NULL, value float8);
SELECT create_hypertable('bench_ht', 'ts', chunk_time_interval => interval '10000 seconds') \g /dev/null
SELECT setseed(0.5) \g /dev/null
INSERT INTO bench_ht SELECT timestamptz '2024-01-01' + i * interval '1 second', 50 + 10 * sin(i / 500.0) + random()
FROM generate_series(0, 999999) AS i;
ALTER TABLE bench_ht SET (timescaledb.compress);
VACUUM ANALYZE bench_ht;
SELECT count(*) AS chunks FROM show_chunks('bench_ht');

CREATE TEMP TABLE runs (state text, what text, ms numeric);
SET bench.state = 'uncompressed';
SET bench.round = 1;
\ir hypertable_round.sql
SET bench.round = 2;
\ir hypertable_round.sql
SET bench.round = 3;
\ir hypertable_round.sql
SET bench.round = 4;
\ir hypertable_round.sql
SET bench.round = 5;
\ir hypertable_round.sql

SELECT count(compress_chunk(c)) AS compressed_chunks FROM (SELECT c FROM show_chunks('bench_ht') c ORDER BY 1 LIMIT 50) s;
-- TimescaleDB stops a transaction that decompresses more than 100,000 tuples (its default); a
-- 1% injection spread over compressed chunks, like the plain UPDATE of the same rows, passes it.
SET timescaledb.max_tuples_decompressed_per_dml_transaction = 0;
SET bench.state = 'half the chunks compressed';
SET bench.round = 6;
\ir hypertable_round.sql
SET bench.round = 7;
\ir hypertable_round.sql
SET bench.round = 8;
\ir hypertable_round.sql
SET bench.round = 9;
\ir hypertable_round.sql
SET bench.round = 10;
\ir hypertable_round.sql

\echo
\echo 'median of 5 rounds per state, 1,000,000-row hypertable of 100 chunks, 10,000 rows injected'
WITH m AS (SELECT state, what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM runs GROUP BY 1, 2)
SELECT state, what, round(ms::numeric) AS ms,
       round((ms / (SELECT ms FROM m b WHERE b.state = m.state AND b.what = CASE
           WHEN m.what LIKE 'anomdet.detect%' OR m.what LIKE 'plain scan%' THEN 'plain scan: SELECT sum(value)'
           WHEN m.what = 'anomdet.revert_injection' THEN 'plain UPDATE putting them back'
           ELSE 'plain UPDATE of the same rows' END))::numeric, 2) AS x_baseline
FROM m ORDER BY state DESC, what;
