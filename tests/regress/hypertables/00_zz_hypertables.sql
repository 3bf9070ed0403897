-- The TimescaleDB pass of the golden tests (scripts/regress.sh --hypertables): after the shared
-- fixtures are made, every fixture table with one timestamp column becomes a hypertable of
-- about ten chunks, every other chunk compressed. Every later test must give the same output.
CREATE EXTENSION timescaledb;
\i tests/hypertables.sql
SELECT hypertable_name, num_chunks > 1 AS chunked, compression_enabled
FROM timescaledb_information.hypertables ORDER BY 1;
SELECT hypertable_name, bool_or(is_compressed) AS some_compressed, bool_and(is_compressed) AS all_compressed
FROM timescaledb_information.chunks GROUP BY 1 ORDER BY 1;
