-- Step 6: reports to look at: demo-output/job-report.html and demo-output/benchmark-report.html
-- Self-contained HTML with inline SVG (no network): the mad job of step 3 with its flags, and the benchmark of step 5.
\pset tuples_only on
\pset format unaligned
SELECT anomdet.report(job_id => (SELECT id FROM anomdet.jobs WHERE name = 'demo mad')) \g demo-output/job-report.html
SELECT anomdet.report(benchmark_id => (SELECT max(id) FROM anomdet.benchmarks)) \g demo-output/benchmark-report.html
\pset tuples_only off
\pset format aligned
\echo 'wrote demo-output/job-report.html and demo-output/benchmark-report.html (open them in a browser)'
