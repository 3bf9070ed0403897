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
