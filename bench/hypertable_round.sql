-- One round of bench/hypertable.sql (included five times per state; seed in bench.round, the
-- state's label in bench.state).
DO $$
DECLARE t0 timestamptz; id bigint; round int := current_setting('bench.round')::int;
        state text := current_setting('bench.state');
BEGIN
  t0 := clock_timestamp();
  id := anomdet.inject('bench_ht', 'spike', '{value}', seed => round, percent => 1, length => 10);
  INSERT INTO runs VALUES (state, 'anomdet.inject, 1% of rows (10,000 in spans of 10)', extract(epoch FROM clock_timestamp() - t0) * 1000);
  t0 := clock_timestamp();
  PERFORM anomdet.revert_injection(id);
  INSERT INTO runs VALUES (state, 'anomdet.revert_injection', extract(epoch FROM clock_timestamp() - t0) * 1000);

  -- the same rows, touched by plain SQL on the same hypertable
  CREATE TEMP TABLE same_rows AS SELECT ts FROM anomdet.injection_cells WHERE injection_id = id;
  ANALYZE same_rows;
  t0 := clock_timestamp();
  UPDATE bench_ht b SET value = value * 1.5 FROM same_rows r WHERE b.ts = r.ts;
  INSERT INTO runs VALUES (state, 'plain UPDATE of the same rows', extract(epoch FROM clock_timestamp() - t0) * 1000);
  t0 := clock_timestamp();
  UPDATE bench_ht b SET value = value / 1.5 FROM same_rows r WHERE b.ts = r.ts;
  INSERT INTO runs VALUES (state, 'plain UPDATE putting them back', extract(epoch FROM clock_timestamp() - t0) * 1000);
  DROP TABLE same_rows;

  t0 := clock_timestamp();
  PERFORM sum(value) FROM bench_ht;
  INSERT INTO runs VALUES (state, 'plain scan: SELECT sum(value)', extract(epoch FROM clock_timestamp() - t0) * 1000);
  t0 := clock_timestamp();
  PERFORM count(*) FROM anomdet.detect('bench_ht', 'value', 'mad', only_anomalies => true);
  INSERT INTO runs VALUES (state, 'anomdet.detect mad, flagged rows', extract(epoch FROM clock_timestamp() - t0) * 1000);
  t0 := clock_timestamp();
  PERFORM count(*) FROM anomdet.detect('bench_ht', 'value', 'ewma', mode => 'online', only_anomalies => true);
  INSERT INTO runs VALUES (state, 'anomdet.detect ewma online, flagged rows', extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;
