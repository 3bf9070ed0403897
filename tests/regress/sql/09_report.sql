-- Reports: a self-contained HTML page with inline SVG, for a job or a benchmark.
SELECT anomdet.generate('rp', 'ecg', length => 3000, period => 100, amplitude => 2, noise => 0.05, series => 2, seed => 8) AS made;
SELECT anomdet.inject('rp', 'spike', '{value}', '{"magnitude": 3}', series_column => 'series', seed => 4, count => 3) AS inj \gset
SELECT anomdet.run_batch('rp', 'value', 'mad', series_column => 'series') AS job \gset
SELECT anomdet.report(job_id => :job) AS html \gset
SELECT left(:'html', 15) AS starts_with,
       (length(:'html') - length(replace(:'html', '<svg', ''))) / 4 AS plots,
       (length(:'html') - length(replace(:'html', 'class="label"', ''))) / 13 AS labelled_windows,
       :'html' LIKE '%class="flag"%' AS has_flags,
       :'html' LIKE '%<table class="evaluation">%' AS has_evaluation,
       :'html' LIKE '%<script%' OR :'html' LIKE '%http://%' AND :'html' NOT LIKE '%xmlns="http://www.w3.org/2000/svg"%' AS has_scripts_or_links;

SELECT anomdet.benchmark('rp', 'value', '{mad,zscore}', '{spike,mean}', seeds => 1, series_column => 'series') AS bench \gset
SELECT anomdet.report(benchmark_id => :bench) AS bhtml \gset
SELECT :'bhtml' LIKE '%<table class="leaderboard">%' AS has_leaderboard,
       :'bhtml' LIKE '%<table class="by-method">%' AS has_by_method;

-- Multi-column data: the page also plots the source's other numeric columns, each with its own
-- injected windows (AnomDet's visualisation page).
CREATE TABLE mc AS SELECT ts, value AS cpu, value * 2 + 10 AS mem, (value * 100)::integer AS io, 'x'::text AS note
FROM rp WHERE series = 's1';
SELECT anomdet.inject('mc', 'step', '{mem}', '{"magnitude": 5}', seed => 1, count => 2, length => 40) AS mem_inj \gset
SELECT anomdet.run_batch('mc', 'cpu', 'zscore') AS mcjob \gset
SELECT anomdet.report(job_id => :mcjob) AS mchtml \gset
SELECT (length(:'mchtml') - length(replace(:'mchtml', '<svg', ''))) / 4 AS plots,
       :'mchtml' LIKE '%<h2>Other columns</h2>%' AS has_other_columns,
       :'mchtml' LIKE '%<title>mem</title>%' AND :'mchtml' LIKE '%<title>io</title>%' AS mem_and_io_plotted,
       :'mchtml' NOT LIKE '%<title>note</title>%' AS text_column_skipped,
       (length(:'mchtml') - length(replace(:'mchtml', 'class="label"', ''))) / 13 AS labelled_windows;
-- A column the caller may not read is not plotted.
CREATE ROLE anomdet_report_reader;
GRANT SELECT (ts, cpu, mem) ON mc TO anomdet_report_reader;
GRANT USAGE ON SCHEMA public TO anomdet_report_reader;
SET ROLE anomdet_report_reader;
SELECT anomdet.run_batch('mc', 'cpu', 'zscore') AS rjob \gset
SELECT anomdet.report(job_id => :rjob) NOT LIKE '%<title>io</title>%' AS unreadable_column_not_plotted;
RESET ROLE;
DROP OWNED BY anomdet_report_reader;
DROP ROLE anomdet_report_reader;

-- Names a user chose are escaped, never interpreted.
SELECT anomdet.run_batch('rp', 'value', 'zscore', series_column => 'series', name => '<script>alert(1)</script>') AS xjob \gset
SELECT anomdet.benchmark('rp', 'value', '{zscore}', '{spike}', seeds => 1, series_column => 'series', name => '<b onmouseover=x>') AS xb \gset
SELECT anomdet.report(job_id => :xjob) LIKE '%&lt;script&gt;alert(1)&lt;/script&gt;%' AS job_name_escaped,
       anomdet.report(job_id => :xjob) NOT LIKE '%<script>%' AS no_script_tag,
       anomdet.report(benchmark_id => :xb) LIKE '%&lt;b onmouseover=x&gt;%' AS benchmark_name_escaped;

SELECT expect_error($$SELECT anomdet.report()$$);
SELECT expect_error($$SELECT anomdet.report(1, 1)$$);
SELECT expect_error($$SELECT anomdet.report(job_id => 987654)$$);
SELECT expect_error($$SELECT anomdet.report(benchmark_id => 987654)$$);
