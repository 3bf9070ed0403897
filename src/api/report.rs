//! `anomdet.report(...)`: a self-contained HTML page (inline SVG) for a job or a benchmark.

use crate::error::invalid_argument;
use crate::reports::{benchmark_report, job_report};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// An HTML page for one of your jobs (`job_id`) or benchmarks (`benchmark_id`).
#[pg_extern(stable, parallel_restricted)]
fn report(
    job_id: default!(Option<i64>, "NULL"),
    benchmark_id: default!(Option<i64>, "NULL"),
) -> Result<String, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    match (job_id, benchmark_id) {
        (Some(job), None) => job_report(job),
        (None, Some(bench)) => benchmark_report(bench),
        _ => Err(invalid_argument("give exactly one of job_id or benchmark_id", "e.g. anomdet.report(job_id => 1)")),
    }
}
