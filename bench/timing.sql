-- pg_temp.time_ms(statement, runs, before): the median wall time of `runs` executions of a
-- statement, after one untimed run that warms the cache; `before` (say, emptying the table an
-- INSERT fills) runs untimed before each. Included by the bench/*.sql suites.
CREATE OR REPLACE FUNCTION pg_temp.time_ms(statement text, runs int DEFAULT 5, before text DEFAULT NULL) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; times numeric[] := '{}';
BEGIN
  IF before IS NOT NULL THEN EXECUTE before; END IF;
  EXECUTE statement;  -- warm the cache once, untimed
  FOR i IN 1..runs LOOP
    IF before IS NOT NULL THEN EXECUTE before; END IF;
    t0 := clock_timestamp();
    EXECUTE statement;
    times := times || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
  END LOOP;
  RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t);
END $$;
