-- Identifier torture (reliability checklist B7): schemas and tables with spaces, quotes,
-- semicolons, unicode and reserved words; the same table name in two schemas. The right table
-- is read and written, by OID, and no name ever becomes SQL.
CREATE SCHEMA "odd schema; DROP TABLE metrics; --";
CREATE SCHEMA "Ünïcode";
CREATE TABLE "odd schema; DROP TABLE metrics; --"."select" AS
SELECT ts AS "time; DROP", value AS "Value ""x""", 'a'::text AS "Group" FROM metrics;
CREATE TABLE "Ünïcode"."select" AS SELECT ts AS "time; DROP", value * 0 AS "Value ""x""", 'a'::text AS "Group" FROM metrics;
SELECT md5(string_agg("Value ""x"""::text, ',' ORDER BY "time; DROP")) AS odd_before
FROM "odd schema; DROP TABLE metrics; --"."select" \gset
SELECT md5(string_agg("Value ""x"""::text, ',' ORDER BY "time; DROP")) AS unicode_before FROM "Ünïcode"."select" \gset

-- Scoring finds the spikes of the odd table and nothing in its all-zero twin.
SELECT count(*) FILTER (WHERE is_anomaly) AS odd_flags
FROM anomdet.detect('"odd schema; DROP TABLE metrics; --"."select"', 'Value "x"', 'mad', time_column => 'time; DROP', series_column => 'Group');
SELECT count(*) FILTER (WHERE is_anomaly) AS unicode_flags
FROM anomdet.detect('"Ünïcode"."select"', 'Value "x"', 'mad', time_column => 'time; DROP');
SELECT anomdet.run_batch('"odd schema; DROP TABLE metrics; --"."select"', 'Value "x"', 'mad', time_column => 'time; DROP') AS odd_job \gset
SELECT status, source, rows_scored FROM anomdet.jobs WHERE id = :odd_job;

-- Injection, evaluation, report and revert on the odd table; its twin is untouched.
SELECT anomdet.inject('"odd schema; DROP TABLE metrics; --"."select"', 'spike', '{"Value \"x\""}', seed => 9, count => 3,
                      time_column => 'time; DROP') AS odd_injection \gset
SELECT relation, columns, rows_changed FROM anomdet.injections WHERE id = :odd_injection;
SELECT anomdet.run_batch('"odd schema; DROP TABLE metrics; --"."select"', 'Value "x"', 'mad', time_column => 'time; DROP') AS odd_job2 \gset
SELECT value AS labelled_ranges FROM anomdet.evaluate(:odd_job2) WHERE metric = 'labelled_ranges';
SELECT position('odd schema; DROP TABLE metrics; --' IN anomdet.report(:odd_job2)) > 0 AS report_names_it,
       position('<script' IN lower(anomdet.report(:odd_job2))) = 0 AS no_markup_injected;
SELECT anomdet.revert_injection(:odd_injection) AS reverted_cells;
SELECT md5(string_agg("Value ""x"""::text, ',' ORDER BY "time; DROP")) = :'odd_before' AS odd_restored
FROM "odd schema; DROP TABLE metrics; --"."select";
SELECT md5(string_agg("Value ""x"""::text, ',' ORDER BY "time; DROP")) = :'unicode_before' AS twin_untouched FROM "Ünïcode"."select";

-- New tables with odd names: generate and an injected copy; a schedule on the unicode table.
SELECT anomdet.generate('"Ünïcode"."new ""table""; --"', length => 20) AS generated;
SELECT count(*) AS generated_rows FROM "Ünïcode"."new ""table""; --";
-- A quoted name holding a dot is one name, created where an unqualified CREATE TABLE would go.
SELECT anomdet.generate('"dotted.name"', length => 5) AS generated_dotted;
SELECT anomdet.inject('"Ünïcode"."select"', 'spike', '{"Value \"x\""}', seed => 1, count => 1,
                      time_column => 'time; DROP', target => '"odd schema; DROP TABLE metrics; --"."copy ""of"" select"') IS NOT NULL AS copied;
SELECT count(*) AS copy_rows FROM "odd schema; DROP TABLE metrics; --"."copy ""of"" select";
SELECT anomdet.score_new_rows('{"source": "\"Ünïcode\".\"select\"", "value_column": "Value \"x\"", "time_column": "time; DROP"}') AS scheduled_rows;
SELECT count(*) AS metrics_still_there FROM metrics;

-- What a cascade lists depends on storage (a hypertable adds its chunks): not shown.
SET client_min_messages = warning;
DROP SCHEMA "odd schema; DROP TABLE metrics; --" CASCADE;
DROP SCHEMA "Ünïcode" CASCADE;
RESET client_min_messages;
DROP TABLE "dotted.name";
