-- Synthetic data: every kind, channels, series, reproducibility, and the datasets listing.
DO $$
DECLARE k text;
BEGIN
  FOREACH k IN ARRAY ARRAY['sine', 'square', 'sawtooth', 'random_walk', 'ecg', 'cbf', 'polynomial', 'constant'] LOOP
    PERFORM anomdet.generate('gen_' || k, k, length => 500, period => 50, amplitude => 2, seed => 3);
  END LOOP;
END $$;
SELECT relation, estimated_rows >= 0 AS listed, spec->>'kind' AS kind FROM anomdet.datasets
WHERE generated ORDER BY relation::text;
SELECT 'sine' AS kind, count(*), round(min(value)::numeric, 3) AS min, round(max(value)::numeric, 3) AS max FROM gen_sine
UNION ALL SELECT 'square', count(*), round(min(value)::numeric, 3), round(max(value)::numeric, 3) FROM gen_square
UNION ALL SELECT 'constant', count(*), round(min(value)::numeric, 3), round(max(value)::numeric, 3) FROM gen_constant
UNION ALL SELECT 'polynomial', count(*), round(min(value)::numeric, 3), round(max(value)::numeric, 3) FROM gen_polynomial;

-- Same seed, same data; another seed, other data.
SELECT anomdet.generate('gen_a', 'random_walk', length => 300, seed => 9);
SELECT anomdet.generate('gen_b', 'random_walk', length => 300, seed => 9);
SELECT anomdet.generate('gen_c', 'random_walk', length => 300, seed => 10);
SELECT (SELECT array_agg(value ORDER BY ts) FROM gen_a) = (SELECT array_agg(value ORDER BY ts) FROM gen_b) AS same_seed_same,
       (SELECT array_agg(value ORDER BY ts) FROM gen_a) <> (SELECT array_agg(value ORDER BY ts) FROM gen_c) AS other_seed_other;

-- Channels become value_1..value_k; series get a key column; the sampling interval is honoured.
SELECT anomdet.generate('gen_multi', 'sine', length => 10, every => '15 seconds', channels => 3, series => 2, noise => 0.1, seed => 1);
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'gen_multi' ORDER BY ordinal_position;
SELECT series, count(*), max(ts) - min(ts) AS span FROM gen_multi GROUP BY series ORDER BY series;
-- ...and detection runs on it straight away.
SELECT series, count(*) FROM anomdet.detect('gen_multi', 'value_2', 'zscore', series_column => 'series') GROUP BY series ORDER BY series;

-- Bad input.
SELECT expect_error($$SELECT anomdet.generate('gen_sine')$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', 'wobble')$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', length => 0)$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', every => '-1 minute')$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', every => '1 month')$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', period => 0)$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', noise => -1)$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', amplitude => 'NaN')$$);
SELECT expect_error($$SELECT anomdet.generate('gen_x', length => 100000000, series => 2)$$);
SELECT expect_error($$SELECT anomdet.generate(NULL)$$);
SELECT expect_error($$SELECT anomdet.generate('no_such_schema.t')$$);
SELECT count(*) AS nothing_half_made FROM pg_class WHERE relname = 'gen_x';
SELECT expect_error($$SELECT anomdet.generate('no such schema.x.y')$$);
-- Times outside the timestamp range: a clean error, not an internal one.
SELECT expect_error($$SELECT anomdet.generate('g_inf', start_time => 'infinity')$$);
SELECT expect_error($$SELECT anomdet.generate('g_far', start_time => '294276-12-01', every => '1 day', length => 100)$$);
