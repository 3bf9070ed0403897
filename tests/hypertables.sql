-- Turns every plain table in schema public with exactly one timestamp column (no NULLs in it,
-- no unique key, no partitions or children) into a hypertable of about ten chunks, and
-- compresses every other chunk. Used by the TimescaleDB passes of the golden SQL tests
-- (scripts/regress.sh --hypertables) and the doc tests (tests/doctest.py --as-hypertables).
SET client_min_messages = warning;
SET timescaledb.enable_compression_ratio_warnings = off;
DO $$
DECLARE r record; lo timestamptz; hi timestamptz; nulls bigint; chunk interval;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS rel, a.attname AS col
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relispartition
      AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype)
      AND NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h
                      WHERE h.hypertable_schema = 'public' AND h.hypertable_name = c.relname)
      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid)
      AND (SELECT count(*) FROM pg_attribute b WHERE b.attrelid = c.oid AND b.attnum > 0 AND NOT b.attisdropped
             AND b.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype)) = 1
      AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisunique)
  LOOP
    EXECUTE format('SELECT min(%I)::timestamptz, max(%I)::timestamptz, count(*) FILTER (WHERE %I IS NULL) FROM %s',
                   r.col, r.col, r.col, r.rel) INTO lo, hi, nulls;
    CONTINUE WHEN lo IS NULL OR nulls > 0;  -- empty, or NULL times a hypertable cannot hold
    chunk := greatest((hi - lo) / 10, interval '1 second');
    EXECUTE format('SELECT create_hypertable(%L, %L, chunk_time_interval => %L::interval, migrate_data => true)',
                   r.rel, r.col, chunk);
    EXECUTE format('ALTER TABLE %s SET (timescaledb.compress)', r.rel);
    PERFORM compress_chunk(c) FROM (SELECT c, row_number() OVER (ORDER BY c) AS k
                                    FROM show_chunks(r.rel) AS c) s WHERE k % 2 = 1;
  END LOOP;
END $$;
