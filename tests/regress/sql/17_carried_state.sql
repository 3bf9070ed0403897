-- Scheduled detection carries each series' detector state from run to run: six runs over a
-- table that grows by 500 rows per host each time give, cell for cell, the scores of one
-- online pass over the whole table, for every online detector.
CREATE TABLE carried_source AS
SELECT timestamptz '2024-03-01 00:00+00' + i * interval '1 minute' AS ts, h::text AS host,
       10 * sin(i / 30.0) + h * 3 + ((i * 7919 + h * 31) % 97) / 50.0 + CASE WHEN i % 500 = 250 THEN 30 ELSE 0 END AS value
FROM generate_series(0, 2999) AS i, generate_series(1, 2) AS h;
CREATE TABLE carried_live (LIKE carried_source);
CREATE FUNCTION carried_run(k integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    INSERT INTO carried_live SELECT * FROM carried_source
    WHERE ts >= timestamptz '2024-03-01 00:00+00' + k * 500 * interval '1 minute'
      AND ts < timestamptz '2024-03-01 00:00+00' + (k + 1) * 500 * interval '1 minute';
    FOR d IN SELECT name FROM anomdet.detectors() WHERE online LOOP
        PERFORM anomdet.score_new_rows(jsonb_build_object('source', 'carried_live', 'value_column', 'value',
                                                           'series_column', 'host', 'detector', d.name));
    END LOOP;
END $$;
SELECT count(carried_run(k)) AS runs FROM generate_series(0, 5) AS k;
SELECT w.detector, w.runs, count(*) AS rows,
       count(*) FILTER (WHERE (r.score, r.is_anomaly, r.expected, r.lower_bound, r.upper_bound)
                        IS DISTINCT FROM (d.score, d.is_anomaly, d.expected, d.lower_bound, d.upper_bound)) AS differing
FROM anomdet.watermarks w
JOIN anomdet.results r ON r.job_id = w.job_id
JOIN LATERAL anomdet.detect('carried_source', 'value', w.detector, series_column => 'host', mode => 'online') d
  ON d.ts = r.ts AND d.series = r.series
WHERE w.source_relid = 'carried_live'::regclass
GROUP BY w.detector, w.runs ORDER BY w.detector;
-- One state per schedule and host, each saved after the host's last row.
SELECT count(*) AS states, count(DISTINCT job_id) AS schedules, min(last_ts) = max(last_ts) AS all_at_the_last_row,
       bool_and(format = 3) AS format_3
FROM anomdet.detector_states s JOIN anomdet.watermarks w USING (job_id)
WHERE w.source_relid = 'carried_live'::regclass;

-- A user reads and deletes their own states but cannot write one: a detector trusts the
-- bytes it resumes from.
CREATE ROLE regress_carry;
GRANT SELECT ON carried_live TO regress_carry;
SET ROLE regress_carry;
SELECT anomdet.score_new_rows('{"source": "carried_live", "value_column": "value", "series_column": "host", "detector": "ewma"}') AS first_run;
SELECT count(*) AS own_states FROM anomdet.detector_states;
SELECT expect_error($$INSERT INTO anomdet.detector_states (job_id, series, detector, format, state, last_ts) VALUES (1, 'x', 'ewma', 1, '\x00', now())$$);
SELECT expect_error($$UPDATE anomdet.detector_states SET state = '\x00'$$);
DELETE FROM anomdet.detector_states;
RESET ROLE;
SELECT count(*) AS states_of_regress_carry FROM anomdet.detector_states WHERE owner = 'regress_carry';
DELETE FROM anomdet.watermarks WHERE owner = 'regress_carry';
DELETE FROM anomdet.job_records WHERE owner = 'regress_carry';
REVOKE ALL ON carried_live FROM regress_carry;
DROP ROLE regress_carry;

-- A state that does not decode is refused by name, never guessed at; deleting it warms that
-- series up on lookback rows again.
UPDATE anomdet.detector_states SET state = '\x0102'
WHERE series = '1' AND job_id = (SELECT job_id FROM anomdet.watermarks WHERE detector = 'zscore' AND source_relid = 'carried_live'::regclass);
INSERT INTO carried_live SELECT ts + interval '3000 minutes', host, value FROM carried_source WHERE ts < '2024-03-01 00:10+00';
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "carried_live", "value_column": "value", "series_column": "host"}')$$);
DELETE FROM anomdet.detector_states
WHERE series = '1' AND job_id = (SELECT job_id FROM anomdet.watermarks WHERE detector = 'zscore' AND source_relid = 'carried_live'::regclass);
SELECT anomdet.score_new_rows('{"source": "carried_live", "value_column": "value", "series_column": "host"}') AS scored_after_reset;
-- Two rows of a series at one time are refused, as by every reader, and the watermark stays.
INSERT INTO carried_live SELECT ts + interval '3100 minutes', host, value FROM carried_source WHERE ts < '2024-03-01 00:02+00';
INSERT INTO carried_live SELECT ts + interval '3100 minutes', host, value + 1 FROM carried_source WHERE ts = '2024-03-01 00:01+00' AND host = '2';
SELECT expect_error($$SELECT anomdet.score_new_rows('{"source": "carried_live", "value_column": "value", "series_column": "host"}')$$);
SELECT runs FROM anomdet.watermarks WHERE detector = 'zscore' AND source_relid = 'carried_live'::regclass;
