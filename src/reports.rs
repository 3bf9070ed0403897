//! The HTML pages of `anomdet.report(...)`: self-contained (inline SVG), for a job or a benchmark.

use crate::error::{Code, OrReport, error, internal};
use crate::evaluation::job_series::{flatten, read_job_series};
use anomdet_core::report::{SeriesPlot, escape, heat_map, page, series_svg, table};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

const MAX_SERIES_PLOTTED: usize = 12;

/// The page of job `job_id`: each series with its labelled windows and flags, the scores, the evaluation.
pub fn job_report(job_id: i64) -> Result<String, ErrorReport> {
    let info = Spi::connect(|client| -> Result<Option<Vec<String>>, ErrorReport> {
        let t = client
            .select(
                "SELECT source, value_column, detector, params::text, mode, status, rows_scored::text, anomalies::text, \
                   source_relid::pg_catalog.oid::pg_catalog.int8::text, coalesce(name, '') FROM anomdet.jobs WHERE id = $1",
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
    let series =
        read_job_series(job_id, relid, &info[1], Default::default(), &crate::evaluation::truth::Truth::Injected)?;
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
    sections.extend(flagged_with_contributions(job_id)?);
    sections.extend(other_columns(job_id, relid, &info[1])?);
    // The evaluation, when the source column carries injected labels.
    let flat = flatten(&series);
    if flat.labels.iter().any(|&l| l) {
        let rows: Vec<Vec<String>> =
            anomdet_core::evaluate::evaluate_series(&flat.labels, &flat.scores, &flat.flags, &flat.series)
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

const MAX_CONTRIBUTIONS_LISTED: i64 = 50;

/// A job scored with a multivariate model: its flagged rows, highest score first, each with the
/// share of its score each column carries (largest first), as `detect_columns` explains them.
fn flagged_with_contributions(job_id: i64) -> Result<Vec<String>, ErrorReport> {
    let rows = query_rows(
        &format!(
            "SELECT ts::text, coalesce(series, ''), round(score::numeric, 2)::text, \
               (SELECT string_agg(key || ' ' || round(value::numeric * 100) || '%', ', ' ORDER BY value::float8 DESC) \
                FROM pg_catalog.jsonb_each_text(contributions)) \
             FROM anomdet._job_rows($1) WHERE is_anomaly AND contributions IS NOT NULL \
             ORDER BY score DESC, ts LIMIT {MAX_CONTRIBUTIONS_LISTED}"
        ),
        job_id,
        4,
    )?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        format!(
            "<h2>Flagged rows and the columns that made them</h2><p class=\"legend\">Highest score first (at most \
             {MAX_CONTRIBUTIONS_LISTED}); each column's share of the row's score.</p>"
        ),
        table("contributions", &["time", "series", "score", "share of the score by column"], &rows),
    ])
}

const MAX_COLUMNS_PLOTTED: usize = 8;

/// AnomDet's visualisation page: the source's other numeric columns you may read, over the same
/// time (the first series of a keyed source), each with its own injected windows shaded.
fn other_columns(job_id: i64, relid: pg_sys::Oid, scored: &str) -> Result<Vec<String>, ErrorReport> {
    let job = query_rows(
        "SELECT time_column, coalesce(series_column, ''), \
           (SELECT coalesce(min(series), '') FROM anomdet._job_rows($1)) FROM anomdet.jobs WHERE id = $1",
        job_id,
        3,
    )?;
    let Some([time, series_column, first_series]) = job.first().map(|r| [&r[0], &r[1], &r[2]]) else {
        return Ok(Vec::new());
    };
    let columns: Vec<String> = Spi::connect(|client| -> Result<Vec<String>, ErrorReport> {
        let rows = client
            .select(
                "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a \
                 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> $2 AND a.attname <> $3 \
                   AND a.atttypid = ANY ('{int2,int4,int8,float4,float8,numeric}'::pg_catalog.regtype[]) \
                   AND pg_catalog.has_column_privilege($1, a.attnum, 'SELECT') IS TRUE \
                 ORDER BY a.attnum",
                None,
                &[relid.into(), scored.into(), series_column.as_str().into()],
            )
            .map_err(internal)?;
        rows.map(|r| r.get::<String>(1).or_report().map(Option::unwrap_or_default)).collect()
    })?;
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![format!(
        "<h2>Other columns{}</h2><p class=\"legend\">Each numeric column of the source; shaded: its own injected windows.</p>",
        if series_column.is_empty() { String::new() } else { format!(" of series {}", escape(first_series)) }
    )];
    for column in columns.iter().take(MAX_COLUMNS_PLOTTED) {
        let (ts, values, labels) = column_with_labels(relid, time, series_column, first_series, column)?;
        let none = vec![None; values.len()];
        out.push(format!("<h3>{}</h3>", escape(column)));
        out.push(series_svg(&SeriesPlot {
            title: column,
            first: ts.first().map(String::as_str).unwrap_or(""),
            last: ts.last().map(String::as_str).unwrap_or(""),
            values: &values,
            scores: &none,
            flags: &vec![false; values.len()],
            labels: &labels,
        }));
    }
    if columns.len() > MAX_COLUMNS_PLOTTED {
        out.push(format!("<p>{} more columns not plotted.</p>", columns.len() - MAX_COLUMNS_PLOTTED));
    }
    Ok(out)
}

type ColumnTrack = (Vec<String>, Vec<Option<f64>>, Vec<bool>);

/// One column in time order with its active labels, joined by time (and series key).
fn column_with_labels(
    relid: pg_sys::Oid,
    time: &str,
    series_column: &str,
    series: &str,
    column: &str,
) -> Result<ColumnTrack, ErrorReport> {
    use pgrx::spi::quote_identifier as q;
    let (t, c) = (q(time), q(column));
    let (key, only) = if series_column.is_empty() {
        ("NULL::pg_catalog.text".to_string(), String::new())
    } else {
        let k = format!("s.{}::pg_catalog.text", q(series_column));
        let only = format!(" AND {k} = $3");
        (k, only)
    };
    let sql = format!(
        "SELECT s.{t}::pg_catalog.text, s.{c}::pg_catalog.float8, l.ts IS NOT NULL \
         FROM {rel} s \
         LEFT JOIN (SELECT DISTINCT series, ts FROM anomdet.labels WHERE relid = $1 AND column_name = $2) l \
           ON l.ts = s.{t}::pg_catalog.timestamptz AND l.series IS NOT DISTINCT FROM {key} \
         WHERE s.{t} IS NOT NULL{only} ORDER BY s.{t}",
        rel = relation_name(relid)?,
    );
    Spi::connect(|client| {
        let rows = client.select(&sql, None, &[relid.into(), column.into(), series.into()]).map_err(internal)?;
        let (mut ts, mut values, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        for row in rows {
            ts.push(row.get::<String>(1).or_report()?.unwrap_or_default());
            values.push(row.get::<f64>(2).or_report()?);
            labels.push(row.get::<bool>(3).or_report()?.unwrap_or(false));
        }
        Ok((ts, values, labels))
    })
}

fn relation_name(relid: pg_sys::Oid) -> Result<String, ErrorReport> {
    crate::postgres::sql::read_one::<String>(
        "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
        &[relid.into()],
    )
    .map_err(internal)?
    .ok_or_else(|| internal("the job's source has no name"))
}

/// The page of benchmark `id`: its leaderboards.
pub fn benchmark_report(id: i64) -> Result<String, ErrorReport> {
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
    // ORDER BY names the view's columns (l.rank): a bare `rank` would be the output column
    // rank::text, and rank 10 would sort before rank 2.
    let overall = query_rows(
        "SELECT rank::text, detector, round(vus_pr::numeric, 3)::text, round(pr_auc_ap::numeric, 3)::text, round(roc_auc::numeric, 3)::text, \
           round(best_f1::numeric, 3)::text, round(f1::numeric, 3)::text, round(range_f1::numeric, 3)::text, \
           round(affiliation_f1::numeric, 3)::text, round(pa_f1::numeric, 3)::text, round(runtime_ms::numeric, 1)::text, \
           cells::text FROM anomdet.leaderboard l WHERE benchmark_id = $1 ORDER BY l.rank, l.detector",
        id,
        12,
    )?;
    let by_method = query_rows(
        "SELECT method, rank::text, detector, round(vus_pr::numeric, 3)::text, round(pr_auc_ap::numeric, 3)::text, \
           round(roc_auc::numeric, 3)::text, round(best_f1::numeric, 3)::text \
         FROM anomdet.leaderboard_by_method l WHERE benchmark_id = $1 ORDER BY l.method, l.rank, l.detector",
        id,
        7,
    )?;
    let by_dataset = query_rows(
        "SELECT dataset, rank::text, detector, round(vus_pr::numeric, 3)::text, round(pr_auc_ap::numeric, 3)::text, \
           round(roc_auc::numeric, 3)::text, round(best_f1::numeric, 3)::text \
         FROM anomdet.leaderboard_by_dataset l WHERE benchmark_id = $1 ORDER BY l.dataset, l.rank, l.detector",
        id,
        7,
    )?;
    let mut sections = vec![
        table("benchmark", &["name", "source", "column", "detectors", "methods", "seeds", "placement"], &head),
        "<h2>VUS-PR by detector and injection method</h2><p class=\"legend\">Rows in leaderboard order; \
         darker is better.</p>"
            .into(),
        method_heat_map(&overall, &by_method),
        "<h2>Leaderboard</h2><p class=\"legend\">Ranked by mean VUS-PR over every method and seed. \
         best F1 is an oracle (an upper bound); PA-F1 is optimistic.</p>"
            .into(),
        table(
            "leaderboard",
            &[
                "rank",
                "detector",
                "VUS-PR",
                "PR-AUC (AP)",
                "ROC-AUC",
                "best F1",
                "F1",
                "range F1",
                "affiliation F1",
                "PA-F1",
                "runtime ms",
                "cells",
            ],
            &overall,
        ),
        "<h2>Per injection method</h2>".into(),
        table("by-method", &["method", "rank", "detector", "VUS-PR", "PR-AUC (AP)", "ROC-AUC", "best F1"], &by_method),
    ];
    // Per dataset only when there is more than one.
    if by_dataset.first().map(|r| &r[0]) != by_dataset.last().map(|r| &r[0]) {
        sections.push("<h2>Per dataset</h2>".into());
        sections.push(table(
            "by-dataset",
            &["dataset", "rank", "detector", "VUS-PR", "PR-AUC (AP)", "ROC-AUC", "best F1"],
            &by_dataset,
        ));
    }
    Ok(page(&format!("anomdet benchmark {id}"), &sections))
}

/// The detector × method grid of VUS-PR: detectors in the overall leaderboard's order (its rows
/// start rank, detector), methods alphabetical (by-method rows: method, rank, detector, VUS-PR).
fn method_heat_map(overall: &[Vec<String>], by_method: &[Vec<String>]) -> String {
    let detectors: Vec<String> = overall.iter().map(|r| r[1].clone()).collect();
    let mut methods: Vec<String> = by_method.iter().map(|r| r[0].clone()).collect();
    methods.sort();
    methods.dedup();
    let values: Vec<Vec<Option<f64>>> = detectors
        .iter()
        .map(|d| {
            methods
                .iter()
                .map(|m| by_method.iter().find(|r| &r[0] == m && &r[2] == d).and_then(|r| r[3].parse().ok()))
                .collect()
        })
        .collect();
    heat_map("vus-pr", "detector \\ method", &detectors, &methods, &values)
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
