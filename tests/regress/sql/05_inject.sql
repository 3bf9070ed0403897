-- Injection: every method, exact revert, overlaps, copies, many columns and series, errors.
SELECT name, family, row_by_row, jsonb_array_length(params) AS n_params FROM anomdet.injectors();

SELECT anomdet.generate('inj_base', 'sine', length => 600, period => 50, amplitude => 10, level => 100,
                        noise => 0.5, channels => 2, seed => 11) AS generated;
-- A checksum of the whole table, to prove values come back exactly.
CREATE FUNCTION checksum(rel regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE result text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(t::text, %L ORDER BY t::text)) FROM %s t', ',', rel) INTO result;
  RETURN result;
END $$;
CREATE TABLE inj_before AS SELECT checksum('inj_base') AS sum;

-- Every method: injected (something changed), reproducible (same seed, same values on a
-- fresh copy), labelled, and reverted exactly.
CREATE TEMP TABLE method_results (method text, changed boolean, reproducible boolean, labelled bigint, restored boolean, reverted_cells bigint);
DO $$
DECLARE m record; id1 bigint; id2 bigint; after1 text; after2 text; n bigint; labels bigint;
BEGIN
  FOR m IN SELECT name FROM anomdet.injectors() LOOP
    id1 := anomdet.inject('inj_base', m.name, '{value_1}', seed => 5, count => 2,
                          length => CASE WHEN m.name = 'pattern_shift' THEN 30 ELSE 20 END);
    after1 := checksum('inj_base');
    SELECT count(*) INTO labels FROM anomdet.labels WHERE injection_id = id1;
    n := anomdet.revert_injection(id1);
    id2 := anomdet.inject('inj_base', m.name, '{value_1}', seed => 5, count => 2,
                          length => CASE WHEN m.name = 'pattern_shift' THEN 30 ELSE 20 END);
    after2 := checksum('inj_base');
    PERFORM anomdet.revert_injection(id2);
    INSERT INTO method_results VALUES (m.name, after1 <> (SELECT sum FROM inj_before), after1 = after2, labels,
                                       checksum('inj_base') = (SELECT sum FROM inj_before), n);
  END LOOP;
END $$;
SELECT * FROM method_results ORDER BY method;

-- Different seeds place and draw differently.
SELECT anomdet.inject('inj_base', 'noise', '{value_1}', seed => 1, count => 1, length => 10) AS a \gset
SELECT array_agg(ts ORDER BY ts) AS seed_1_rows FROM anomdet.labels WHERE injection_id = :a \gset
SELECT anomdet.revert_injection(:a);
SELECT anomdet.inject('inj_base', 'noise', '{value_1}', seed => -1, count => 1, length => 10) AS b \gset
SELECT array_agg(ts ORDER BY ts) <> :'seed_1_rows' AS different_rows FROM anomdet.labels WHERE injection_id = :b;
SELECT anomdet.revert_injection(:b);

-- AnomDet's timestamp + duration, on both columns at once; the catalog records who, what, where.
SELECT anomdet.inject('inj_base', 'offline', '{value_1,value_2}', start_time => '2024-01-01 02:00+00',
                      duration => '10 minutes') AS off \gset
SELECT relation, columns, method, params, placement, seed, status, rows_changed, owner = current_user AS mine
FROM anomdet.injections WHERE id = :off;
SELECT series, start_ts, end_ts, rows FROM anomdet.injection_spans WHERE injection_id = :off;
SELECT column_name, count(*), min(ts), max(ts) FROM anomdet.labels WHERE injection_id = :off GROUP BY column_name ORDER BY 1;
SELECT count(*) FILTER (WHERE value_1 = 0 AND value_2 = 0) AS zeroed FROM inj_base
WHERE ts >= '2024-01-01 02:00+00' AND ts < '2024-01-01 02:10+00';

-- Overlapping injections reverted in injection order (not the reverse) still restore the originals.
SELECT anomdet.inject('inj_base', 'spike', '{value_1}', '{"magnitude": 3}', start_time => '2024-01-01 01:55+00', duration => '10 minutes') AS over \gset
SELECT anomdet.revert_injection(:off) AS restored_first, anomdet.revert_injection(:over) AS restored_second;
SELECT checksum('inj_base') = (SELECT sum FROM inj_before) AS originals_back;
-- Reverting again changes nothing.
SELECT anomdet.revert_injection(:off) AS again;

-- A later edit by the user is not overwritten silently.
SELECT anomdet.inject('inj_base', 'step', '{value_2}', start_time => '2024-01-01 03:00+00', duration => '3 minutes') AS st \gset
UPDATE inj_base SET value_2 = -1 WHERE ts = '2024-01-01 03:01+00';
SELECT expect_error(format('SELECT anomdet.revert_injection(%s)', :st));
SELECT status FROM anomdet.injections WHERE id = :st;
SELECT anomdet.revert_injection(:st, force => true) AS forced;
SELECT value_2 <> -1 AS edit_overwritten_on_request FROM inj_base WHERE ts = '2024-01-01 03:01+00';
SELECT checksum('inj_base') = (SELECT sum FROM inj_before) AS originals_back;

-- Into a copy: the source stays untouched, the copy carries the anomaly and the labels.
SELECT anomdet.inject('inj_base', 'extremum', '{value_1}', seed => 2, count => 3, target => 'inj_copy') AS cp \gset
SELECT relation, copied_from, rows_changed FROM anomdet.injections WHERE id = :cp;
SELECT checksum('inj_base') = (SELECT sum FROM inj_before) AS source_untouched;
SELECT count(*) AS rows_differing FROM inj_base b JOIN inj_copy c USING (ts) WHERE b.value_1 IS DISTINCT FROM c.value_1;
SELECT count(*) AS labels_on_copy FROM anomdet.labels WHERE relation = 'public.inj_copy';

-- Integer and numeric columns keep their types; originals round-trip exactly.
CREATE TABLE typed_inj (ts timestamptz, i int, n numeric(10,3));
INSERT INTO typed_inj SELECT '2024-01-01+00'::timestamptz + g * interval '1 min', g, g / 7.0 FROM generate_series(1, 100) g;
CREATE TABLE typed_before AS SELECT checksum('typed_inj') AS sum;
SELECT anomdet.inject('typed_inj', 'custom', '{i,n}', '{"magnitude": 1.5}', start_time => '2024-01-01 00:10+00', duration => '3 min') AS ty \gset
SELECT i, n FROM typed_inj WHERE ts >= '2024-01-01 00:10+00' ORDER BY ts LIMIT 4;
SELECT anomdet.revert_injection(:ty);
SELECT checksum('typed_inj') = (SELECT sum FROM typed_before) AS exact;

-- Many series: one series only, or all of them.
SELECT anomdet.generate('inj_fleet', 'square', length => 100, series => 3, seed => 4) AS fleet;
SELECT anomdet.inject('inj_fleet', 'lowered', '{value}', series_column => 'series', series => 's2', count => 1, length => 5) AS one \gset
SELECT series, count(*) FROM anomdet.labels WHERE injection_id = :one GROUP BY series;
SELECT anomdet.inject('inj_fleet', 'mean', '{value}', series_column => 'series', percent => 10, length => 5) AS all_series \gset
SELECT series, count(*) FROM anomdet.labels WHERE injection_id = :all_series GROUP BY series ORDER BY series;

-- A failed injection leaves the table as it was: here the integer column overflows midway.
CREATE TABLE small_ints (ts timestamptz, v smallint);
INSERT INTO small_ints SELECT '2024-01-01+00'::timestamptz + g * interval '1 min', 30000 FROM generate_series(1, 50) g;
CREATE TABLE small_before AS SELECT checksum('small_ints') AS sum;
SELECT expect_error($$SELECT anomdet.inject('small_ints', 'custom', '{v}', '{"magnitude": 2}', percent => 50, length => 5)$$);
SELECT checksum('small_ints') = (SELECT sum FROM small_before) AS unchanged,
       (SELECT count(*) FROM anomdet.injections WHERE relation = 'public.small_ints') AS recorded;

-- Bad input: a specific SQLSTATE, the argument named, a hint.
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'tsunami', '{value_1}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', '{"magnitud": 2}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', '{"magnitude": 0.5}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}')$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', count => 1, percent => 5)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', percent => 0)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', percent => 101)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', count => 0)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', count => 1, length => 0)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', count => 1000, length => 10)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', start_time => '2024-01-01', duration => '-5 minutes')$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', start_time => '2030-01-01', duration => '5 minutes')$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', duration => '5 minutes')$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{ts}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{nope}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', NULL, count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'pattern_shift', '{value_1}', '{"shift_by": 12}', count => 1, length => 40)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'pattern_shift', '{value_1}', count => 1, length => 5)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'lowered', '{value_1}', '{"min_fraction": 0.5, "max_fraction": 0.2}', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', series => 'x', count => 1)$$);
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', count => 1, target => 'inj_copy')$$);
SELECT expect_error($$SELECT anomdet.revert_injection(NULL)$$);
SELECT expect_error($$SELECT anomdet.revert_injection(999999)$$);

-- Privileges: a user who may read but not update gets 42501 before anything is written.
CREATE ROLE anomdet_reader LOGIN;
GRANT SELECT ON inj_base TO anomdet_reader;
SET ROLE anomdet_reader;
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'spike', '{value_1}', count => 1)$$);
SELECT count(*) AS visible_injections FROM anomdet.injections;
SELECT count(*) AS visible_labels FROM anomdet.labels;
RESET ROLE;
SELECT checksum('inj_base') = (SELECT sum FROM inj_before) AS untouched;
REVOKE ALL ON inj_base FROM anomdet_reader;
DROP ROLE anomdet_reader;

-- Time spans: the method's minimum applies to the rows the span holds; extremum takes one row.
SELECT expect_error($$SELECT anomdet.inject('inj_base', 'pattern_shift', '{value_1}', start_time => '2024-01-01 00:00+00', duration => '5 minutes')$$);
SELECT anomdet.inject('inj_base', 'extremum', '{value_1}', start_time => '2024-01-01 00:30+00', duration => '1 hour') AS ex \gset
SELECT count(*) AS extremum_rows FROM anomdet.labels WHERE injection_id = :ex;
SELECT anomdet.revert_injection(:ex);
SELECT anomdet.inject('inj_base', 'platform', '{value_1}', start_time => '2024-01-01 00:30+00') AS pl \gset
SELECT count(*) AS platform_rows_without_duration FROM anomdet.labels WHERE injection_id = :pl;
SELECT anomdet.revert_injection(:pl);
SELECT checksum('inj_base') = (SELECT sum FROM inj_before) AS untouched;

-- Rows that moved since the injection (an UPDATE that kept the value, VACUUM FULL) are found
-- again by time, and the revert is still exact.
SELECT anomdet.inject('inj_base', 'noise', '{value_1,value_2}', seed => 3, count => 4, length => 5) AS mv \gset
UPDATE inj_base SET value_1 = value_1 WHERE ts IN (SELECT ts FROM anomdet.labels WHERE injection_id = :mv LIMIT 7);
VACUUM FULL inj_base;
SELECT anomdet.revert_injection(:mv) AS restored_cells;
SELECT checksum('inj_base') = (SELECT sum FROM inj_before) AS exact_after_moves;

-- A cancelled injection (statement_timeout) leaves the table and the ledger as they were.
SELECT anomdet.generate('inj_big', 'random_walk', length => 1000000, every => '1 second', seed => 1) IS NOT NULL AS made;
CREATE TABLE big_before AS SELECT checksum('inj_big') AS sum;
SET statement_timeout = '150ms';
SELECT anomdet.inject('inj_big', 'noise', '{value}', percent => 5, length => 10);
RESET statement_timeout;
SELECT checksum('inj_big') = (SELECT sum FROM big_before) AS unchanged,
       (SELECT count(*) FROM anomdet.injections WHERE relation = 'public.inj_big') AS recorded;
DROP TABLE inj_big, big_before;
