//! `anomdet.report(...)`: a self-contained HTML page (inline SVG) for a job or a benchmark.

use super::evaluate::{flatten, read_job_series};
use crate::error::{Code, OrReport, error, internal, invalid_argument};
use anomdet_core::report::{SeriesPlot, escape, page, series_svg, table};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

const MAX_SERIES_PLOTTED: usize = 12;

/// An HTML page for one of your jobs (`job_id`) or benchmarks (`benchmark_id`).
#[pg_extern(stable, parallel_restricted)]
fn report(
    job_id: default!(Option<i64>, "NULL"),
    benchmark_id: default!(Option<i64>, "NULL"),
) -> Result<String, ErrorReport> {
    match (job_id, benchmark_id) {
        (Some(job), None) => job_report(job),
        (None, Some(bench)) => benchmark_report(bench),
        _ => Err(invalid_argument("give exactly one of job_id or benchmark_id", "e.g. anomdet.report(job_id => 1)")),
    }
}

fn job_report(job_id: i64) -> Result<String, ErrorReport> {
    let info = Spi::connect(|client| -> Result<Option<Vec<String>>, ErrorReport> {
        let t = client
            .select(
                "SELECT source, value_column, detector, params::text, mode, status, rows_scored::text, anomalies::text, \
                   source_relid::pg_catalog.int8::text, coalesce(name, '') FROM anomdet.jobs WHERE id = $1",
                Some(1),
                &[job_id.into()],
            )
            .map_err(internal)?;
        if t.is_empty() {
            return Ok(None);
        }
        let row = t.first();
        (1..=10).map(|i| row.get::<String>(i).or_report().map(|v| v.unwrap_or_default())).collect::<Result<Vec<_>, _>>().map(Some)
    })?
    .ok_or_else(|| {
        error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("job_id: job {job_id} does not exist or is not yours"),
            "SELECT id, name, status FROM anomdet.jobs lists your jobs",
        )
    })?;
    let relid = pg_sys::Oid::from(info[8].parse::<u32>().unwrap_or_default());
    let series = read_job_series(job_id, relid, &info[1])?;
    let mut row = vec![info[9].clone()];
    row.extend_from_slice(&info[..8]);
    let mut sections = vec![table(
        "job",
        &["name", "source", "column", "detector", "parameters", "mode", "status", "rows scored", "flagged"],
        &[row],
    )];
    sections.push("<p class=\"legend\">Blue: values; purple: the detector's score; red dots: flagged rows; shaded: injected (labelled) windows.</p>".into());
    for s in series.iter().take(MAX_SERIES_PLOTTED) {
        let title = s.key.as_deref().map(|k| format!("series {k}")).unwrap_or_else(|| info[1].clone());
        sections.push(format!("<h2>{}</h2>", escape(&title)));
        sections.push(series_svg(&SeriesPlot {
            title: &title,
            first: s.ts.first().map(String::as_str).unwrap_or(""),
            last: s.ts.last().map(String::as_str).unwrap_or(""),
            values: &s.values,
            scores: &s.scores,
            flags: &s.flags,
            labels: &s.labels,
        }));
    }
    if series.len() > MAX_SERIES_PLOTTED {
        sections.push(format!("<p>{} more series not plotted.</p>", series.len() - MAX_SERIES_PLOTTED));
    }
    // The evaluation, when the source column carries injected labels.
    let (labels, scores, flags) = flatten(&series);
    if labels.iter().any(|&l| l) {
        let rows: Vec<Vec<String>> = anomdet_core::evaluate::evaluate(&labels, &scores, &flags)
            .into_iter()
            .map(|m| {
                vec![
                    m.name.to_string(),
                    if m.value.is_finite() { format!("{:.4}", m.value) } else { "–".into() },
                    m.note.to_string(),
                ]
            })
            .collect();
        sections.push("<h2>Against the injected labels</h2>".into());
        sections.push(table("evaluation", &["metric", "value", "how to read it"], &rows));
    }
    Ok(page(&format!("anomdet job {job_id}: {} on {}.{}", info[2], info[0], info[1]), &sections))
}

fn benchmark_report(id: i64) -> Result<String, ErrorReport> {
    let head = query_rows(
        "SELECT coalesce(name, ''), source, value_column, array_to_string(detectors, ', '), array_to_string(methods, ', '), \
           seeds::text, placement::text FROM anomdet.benchmarks WHERE id = $1",
        id,
        7,
    )?;
    if head.is_empty() {
        return Err(error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("benchmark_id: benchmark {id} does not exist or is not yours"),
            "SELECT id, name, source FROM anomdet.benchmarks lists your benchmarks",
        ));
    }
    let overall = query_rows(
        "SELECT rank::text, detector, round(vus_pr::numeric, 3)::text, round(pr_auc_ap::numeric, 3)::text, round(roc_auc::numeric, 3)::text, \
           round(best_f1::numeric, 3)::text, round(f1::numeric, 3)::text, round(range_f1::numeric, 3)::text, \
           round(pa_f1::numeric, 3)::text, round(runtime_ms::numeric, 1)::text, cells::text \
         FROM anomdet.leaderboard WHERE benchmark_id = $1 ORDER BY rank, detector",
        id,
        11,
    )?;
    let by_method = query_rows(
        "SELECT method, rank::text, detector, round(vus_pr::numeric, 3)::text, round(pr_auc_ap::numeric, 3)::text, \
           round(roc_auc::numeric, 3)::text, round(best_f1::numeric, 3)::text \
         FROM anomdet.leaderboard_by_method WHERE benchmark_id = $1 ORDER BY method, rank, detector",
        id,
        7,
    )?;
    let sections = vec![
        table("benchmark", &["name", "source", "column", "detectors", "methods", "seeds", "placement"], &head),
        "<h2>Leaderboard</h2><p class=\"legend\">Ranked by mean VUS-PR over every method and seed. \
         best F1 is an oracle (an upper bound); PA-F1 is optimistic.</p>"
            .into(),
        table(
            "leaderboard",
            &[
                "rank",
                "detector",
                "PR-AUC (AP)",
                "ROC-AUC",
                "best F1",
                "F1",
                "range F1",
                "PA-F1",
                "runtime ms",
                "cells",
            ],
            &overall,
        ),
        "<h2>Per injection method</h2>".into(),
        table("by-method", &["method", "rank", "detector", "VUS-PR", "PR-AUC (AP)", "ROC-AUC", "best F1"], &by_method),
    ];
    Ok(page(&format!("anomdet benchmark {id}"), &sections))
}

fn query_rows(sql: &str, id: i64, columns: usize) -> Result<Vec<Vec<String>>, ErrorReport> {
    Spi::connect(|client| {
        let mut out = Vec::new();
        for row in client.select(sql, None, &[id.into()]).map_err(internal)? {
            out.push(
                (1..=columns)
                    .map(|i| row.get::<String>(i).or_report().map(|v| v.unwrap_or_default()))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        Ok(out)
    })
}
