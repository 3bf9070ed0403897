-- One round of bench/inject.sql (included five times, with the seed in :round).
DO $$
DECLARE t0 timestamptz; id bigint; round int := current_setting('bench.round')::int;
BEGIN
  t0 := clock_timestamp();
  id := anomdet.inject('bench_inject', 'spike', '{value}', seed => round, percent => 1, length => 10);
  INSERT INTO runs VALUES ('anomdet.inject, 1% of rows (10,000 in spans of 10)', extract(epoch FROM clock_timestamp() - t0) * 1000);

  t0 := clock_timestamp();
  PERFORM anomdet.revert_injection(id);
  INSERT INTO runs VALUES ('anomdet.revert_injection', extract(epoch FROM clock_timestamp() - t0) * 1000);

  -- the same rows, touched by plain SQL
  CREATE TEMP TABLE same_rows AS SELECT ts FROM anomdet.injection_cells WHERE injection_id = id;
  ANALYZE same_rows;
  t0 := clock_timestamp();
  UPDATE bench_inject b SET value = value * 1.5 FROM same_rows r WHERE b.ts = r.ts;
  INSERT INTO runs VALUES ('plain UPDATE of the same rows', extract(epoch FROM clock_timestamp() - t0) * 1000);
  t0 := clock_timestamp();
  UPDATE bench_inject b SET value = value / 1.5 FROM same_rows r WHERE b.ts = r.ts;
  INSERT INTO runs VALUES ('plain UPDATE putting them back', extract(epoch FROM clock_timestamp() - t0) * 1000);
  DROP TABLE same_rows;
END $$;
-- Every round starts from a vacuumed table, so no operation pays for the last one's dead rows.
VACUUM bench_inject;
