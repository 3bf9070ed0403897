//! `anomdet.help()`: the first ten minutes in psql. Every function of the SQL surface with its
//! arguments, its one-line description (its comment) and an example that runs as is: run in
//! `step` order in an empty database they generate a table, inject anomalies, detect, evaluate,
//! benchmark, train, stream and clean up (the regress test `23_help` runs them all).

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

use crate::error::internal;

/// Each public function with an example, in an order that runs from an empty database.
const EXAMPLES: &[(&str, &str)] = &[
    ("help", "SELECT step, function, description FROM anomdet.help() ORDER BY step;"),
    ("detectors", "SELECT name, family, online, description FROM anomdet.detectors() ORDER BY name;"),
    ("multivariate_detectors", "SELECT name, description FROM anomdet.multivariate_detectors();"),
    ("injectors", "SELECT name, description FROM anomdet.injectors();"),
    (
        "generate",
        "SELECT anomdet.generate('help_metrics', 'sine', length => 2000, period => 100, amplitude => 5, noise => 0.3, seed => 1);",
    ),
    (
        "inject",
        "SELECT anomdet.inject('help_metrics', 'spike', '{value}', '{\"magnitude\": 6}', seed => 1, count => 3);",
    ),
    (
        "detect",
        "SELECT ts, value, round(score::numeric, 2) AS score, round(probability::numeric, 4) AS probability \
         FROM anomdet.detect('help_metrics', 'value', 'mad') WHERE is_anomaly;",
    ),
    ("decompose", "SELECT * FROM anomdet.decompose('help_metrics', 'value') LIMIT 5;"),
    ("run_batch", "SELECT anomdet.run_batch('help_metrics', 'value', 'mad', name => 'help batch');"),
    (
        "job_results",
        "SELECT ts, value, score FROM anomdet.job_results((SELECT max(id) FROM anomdet.jobs WHERE name = 'help batch')) \
         WHERE is_anomaly;",
    ),
    (
        "evaluate",
        "SELECT metric, round(value::numeric, 3) AS value \
         FROM anomdet.evaluate((SELECT max(id) FROM anomdet.jobs WHERE name = 'help batch'));",
    ),
    (
        "evaluate_arrays",
        "SELECT metric, value FROM anomdet.evaluate_arrays('{f,f,t,f}', '{0.1,0.2,0.9,0.3}', '{f,f,t,f}');",
    ),
    (
        "report",
        "SELECT length(anomdet.report(job_id => (SELECT max(id) FROM anomdet.jobs WHERE name = 'help batch'))) AS html_bytes; \
         -- in psql: SELECT anomdet.report(job_id => 1) \\g report.html",
    ),
    (
        "benchmark",
        "SELECT anomdet.benchmark('help_metrics', 'value', detectors => '{zscore,mad,sentinel}', methods => '{spike,step}', \
         seeds => 1, name => 'help bench'); \
         SELECT rank, detector, round(vus_pr::numeric, 3) AS vus_pr FROM anomdet.leaderboard \
         WHERE benchmark_id = (SELECT max(id) FROM anomdet.benchmarks) ORDER BY rank;",
    ),
    (
        "progress",
        "SELECT call, phase, done, total, percent, elapsed, time_left FROM anomdet.progress; \
         -- empty here: run it from another session while a long call (benchmark, run_batch) runs",
    ),
    ("train", "SELECT anomdet.train('help_model', 'help_metrics', 'value', 'mad');"),
    (
        "detect_columns",
        "SELECT anomdet.generate('help_hosts', 'sine', length => 1000, channels => 2, period => 50, noise => 0.2, seed => 2); \
         SELECT ts, round(score::numeric, 1) AS score, contributions \
         FROM anomdet.detect_columns('help_hosts', ARRAY['value_1', 'value_2'], 'mahalanobis') WHERE is_anomaly;",
    ),
    ("train_columns", "SELECT anomdet.train_columns('help_pca', 'help_hosts', ARRAY['value_1', 'value_2'], 'pca');"),
    ("drop_model", "SELECT anomdet.drop_model('help_pca') AND anomdet.drop_model('help_model') AS dropped;"),
    (
        "run_stream",
        "SELECT anomdet.run_stream('help_metrics', 'value', 'help_live', 'zscore', speedup => 60, name => 'help stream');",
    ),
    ("cancel_job", "SELECT anomdet.cancel_job((SELECT max(id) FROM anomdet.jobs WHERE name = 'help stream'));"),
    (
        "score_new_rows",
        "SELECT anomdet.score_new_rows('{\"source\": \"help_metrics\", \"value_column\": \"value\", \"detector\": \"mad\"}');",
    ),
    (
        "scheduled_detect",
        "CALL anomdet.scheduled_detect(0, '{\"source\": \"help_metrics\", \"value_column\": \"value\", \"detector\": \"mad\"}');",
    ),
    (
        "register_detector",
        "CREATE FUNCTION help_jump(vals float8[]) RETURNS float8[] LANGUAGE sql AS $f$ \
         SELECT array_agg(abs(v - coalesce(p, v)) ORDER BY o) \
         FROM (SELECT v, o, lag(v) OVER (ORDER BY o) AS p FROM unnest(vals) WITH ORDINALITY AS u(v, o)) s $f$; \
         SELECT anomdet.register_detector('help_jump', 'help_jump', threshold => 5);",
    ),
    ("unregister_detector", "SELECT anomdet.unregister_detector('help_jump');"),
    (
        "revert_injection",
        "SELECT anomdet.revert_injection((SELECT max(id) FROM anomdet.injections WHERE relation LIKE '%help_metrics'));",
    ),
];

/// Every function of the SQL surface: arguments, what it does, and an example to run.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn help() -> Result<
    TableIterator<
        'static,
        (
            name!(step, i32),
            name!(function, String),
            name!(arguments, String),
            name!(description, Option<String>),
            name!(example, String),
        ),
    >,
    ErrorReport,
> {
    let _path = crate::postgres::search_path::pin();
    let mut rows = Vec::with_capacity(EXAMPLES.len());
    Spi::connect(|client| -> Result<(), ErrorReport> {
        for (step, (function, example)) in EXAMPLES.iter().enumerate() {
            let found = client
                .select(
                    "SELECT pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.obj_description(p.oid, 'pg_proc') \
                     FROM pg_catalog.pg_proc p \
                     WHERE p.pronamespace OPERATOR(pg_catalog.=) 'anomdet'::pg_catalog.regnamespace \
                       AND p.proname OPERATOR(pg_catalog.=) $1 ORDER BY p.pronargs DESC LIMIT 1",
                    Some(1),
                    &[(*function).into()],
                )
                .map_err(internal)?;
            let (arguments, description) = match found.into_iter().next() {
                Some(row) => (
                    row.get::<String>(1).map_err(internal)?.unwrap_or_default(),
                    row.get::<String>(2).map_err(internal)?,
                ),
                None => (String::new(), None),
            };
            rows.push((step as i32 + 1, function.to_string(), arguments, description, example.to_string()));
        }
        Ok(())
    })?;
    Ok(TableIterator::new(rows))
}
