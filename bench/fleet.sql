-- Benchmark: scheduled detection over a fleet (#22 item 5). N hosts (1,000, 10,000, 100,000)
-- with a history each, an index on (host, ts); the first score_new_rows run scores the whole
-- history (and saves every host's detector state), then 5 rounds of one new row per host, each
-- round's run timed, against the plain SQL that reads the same new rows and writes one row per
-- row into a results-shaped table. On a plain table, and on a hypertable when TimescaleDB is
-- preloaded (bench/run.sh fleet does it). :fleet_sizes limits the sizes (default all three).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\if :{?fleet_sizes}
\else
\set fleet_sizes '1000,10000,100000'
\endif
\ir timing.sql
SELECT count(*) > 0 AS has_timescaledb FROM pg_available_extensions
WHERE name = 'timescaledb' AND current_setting('shared_preload_libraries') LIKE '%timescaledb%' \gset
\if :has_timescaledb
CREATE EXTENSION IF NOT EXISTS timescaledb;
\endif
CREATE TEMP TABLE fleet_runs (kind text, hosts int, history int, first_ms numeric, run_ms numeric, plain_ms numeric);
CREATE TABLE fleet_plain_out (host text, ts timestamptz, value float8, score float8, is_anomaly bool);

CREATE OR REPLACE FUNCTION pg_temp.fleet(kind text, hosts int, history int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz; first_ms numeric; runs numeric[] := '{}'; plains numeric[] := '{}';
  config jsonb := jsonb_build_object('source', 'fleet', 'value_column', 'value', 'series_column', 'host',
                                     'detector', 'ewma', 'params', '{}'::jsonb);
  newest timestamptz;
BEGIN
  DROP TABLE IF EXISTS fleet;
  CREATE TABLE fleet (host text NOT NULL, ts timestamptz NOT NULL, value float8);
  IF kind = 'hypertable' THEN
    -- Chunks of a day: the history spans 1 to 3 days of minutes.
    PERFORM create_hypertable('fleet', 'ts', chunk_time_interval => interval '1 day');
  END IF;
  INSERT INTO fleet SELECT 'host-' || h, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute', 50 + 10 * sin(i / 30.0 + h) + random()
  FROM generate_series(1, hosts) h, generate_series(0, history - 1) i;
  CREATE INDEX ON fleet (host, ts);
  ANALYZE fleet;
  DELETE FROM anomdet.watermarks WHERE source_relid = 'fleet'::regclass;
  t0 := clock_timestamp();
  PERFORM anomdet.score_new_rows(config);
  first_ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
  FOR round IN 1..5 LOOP
    newest := timestamptz '2024-01-01 00:00+00' + (history - 1 + round) * interval '1 minute';
    INSERT INTO fleet SELECT 'host-' || h, newest, 50 + random() FROM generate_series(1, hosts) h;
    t0 := clock_timestamp();
    PERFORM anomdet.score_new_rows(config);
    runs := runs || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
    -- The plain SQL of the same round: read the new rows through the index's time order, write
    -- one result row each.
    t0 := clock_timestamp();
    INSERT INTO fleet_plain_out SELECT host, ts, value, 0, false FROM fleet WHERE ts > newest - interval '1 minute';
    plains := plains || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
  END LOOP;
  IF (SELECT count(*) FROM anomdet.results r JOIN anomdet.watermarks w USING (job_id)
      WHERE w.source_relid = 'fleet'::regclass AND r.ts > newest - interval '5 minutes') <> 5 * hosts THEN
    RAISE EXCEPTION 'fleet bench: the rounds did not score % rows', 5 * hosts;
  END IF;
  INSERT INTO fleet_runs VALUES (kind, hosts, history, first_ms,
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(runs) t),
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(plains) t));
  DELETE FROM anomdet.results WHERE job_id IN (SELECT job_id FROM anomdet.watermarks WHERE source_relid = 'fleet'::regclass);
  DELETE FROM anomdet.detector_states WHERE job_id IN (SELECT job_id FROM anomdet.watermarks WHERE source_relid = 'fleet'::regclass);
  DELETE FROM anomdet.watermarks WHERE source_relid = 'fleet'::regclass;
  TRUNCATE fleet_plain_out;
END $$;

SELECT pg_temp.fleet('table', n::int, CASE WHEN n::int >= 100000 THEN 20 ELSE 60 END)
FROM unnest(string_to_array(:'fleet_sizes', ',')) n \g /dev/null
\if :has_timescaledb
SELECT pg_temp.fleet('hypertable', n::int, CASE WHEN n::int >= 100000 THEN 20 ELSE 60 END)
FROM unnest(string_to_array(:'fleet_sizes', ',')) n \g /dev/null
\endif
SELECT kind, hosts, history AS rows_per_host, round(first_ms) AS first_run_ms,
       round(run_ms, 1) AS one_new_row_each_ms, round(plain_ms, 1) AS plain_sql_ms,
       round(run_ms / nullif(plain_ms, 0), 2) AS x_plain
FROM fleet_runs ORDER BY kind DESC, hosts;
DROP TABLE fleet, fleet_plain_out;
