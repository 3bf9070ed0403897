-- pg_temp.time_ms(statement, runs): the median wall time of `runs` executions of a statement,
-- after one untimed run that warms the cache. Included by the bench/*.sql suites.
CREATE OR REPLACE FUNCTION pg_temp.time_ms(statement text, runs int DEFAULT 5) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; times numeric[] := '{}';
BEGIN
  EXECUTE statement;  -- warm the cache once, untimed
  FOR i IN 1..runs LOOP
    t0 := clock_timestamp();
    EXECUTE statement;
    times := times || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
  END LOOP;
  RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t);
END $$;
