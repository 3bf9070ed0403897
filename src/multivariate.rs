//! Several columns of each row scored together by a multivariate detector (`detect_columns`),
//! each flagged row explained by its columns' shares of its score.

use crate::error::{Code, error};
use crate::models::columns::ColumnsModel;
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use anomdet_core::Params;
use anomdet_core::multivariate::model::MultiModel;
use anomdet_core::multivariate::{Explained, MultiInfo};
use anomdet_core::tabular::Matrix;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// One returned row: time, series, score, flag, contributions, probability.
pub type Row = (TimestampWithTimeZone, Option<String>, Option<f64>, Option<bool>, Option<pgrx::JsonB>, Option<f64>);

/// Which rows get their explanation computed and returned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    Flagged,
    All,
    None,
}

/// How the rows are scored: a detector fitted on each series' rows, or a stored model.
#[derive(Clone, Copy)]
pub enum Scoring<'a> {
    Fit { info: &'a MultiInfo, params: &'a Params },
    Model(&'a ColumnsModel),
}

/// Score the columns of every series of `source` (its value column is the first of `columns`).
pub fn detect_columns(
    source: &Source,
    columns: &[String],
    scoring: Scoring<'_>,
    explain: Explain,
) -> Result<Vec<Row>, ErrorReport> {
    let mut out: Vec<Row> = Vec::new();
    for rows in series_rows::read(source, columns, None)? {
        let (complete, matrix) = rows.complete_rows();
        let scored = match scoring {
            Scoring::Fit { info, params } => fit_and_score(source, info, params, explain, &rows, &matrix)?,
            Scoring::Model(model) => {
                let fitted = model.for_series(rows.key.as_deref())?;
                Some(score_with(fitted, explain, &matrix))
            }
        };
        push_rows(columns, &rows, &complete, scored.as_ref(), &mut out)?;
    }
    Ok(out)
}

/// The source with its first column as value column; every column is checked (exists, is a
/// number, may be read) before anything is read.
pub fn resolve_columns(
    relid: pg_sys::Oid,
    columns: &[String],
    time_column: Option<&str>,
    series_column: Option<&str>,
) -> Result<Source, ErrorReport> {
    let source = Source::resolve(relid, &columns[0], time_column, series_column)?;
    for c in &columns[1..] {
        Source::resolve(relid, c, Some(&source.time_column), source.series_column.as_deref())?;
    }
    Ok(source)
}

/// Fit the detector on one series' complete rows and score them (None: fewer than 2).
fn fit_and_score(
    source: &Source,
    info: &MultiInfo,
    params: &Params,
    explain: Explain,
    rows: &series_rows::SeriesRows,
    matrix: &Matrix,
) -> Result<Option<Explained>, ErrorReport> {
    if matrix.rows < 2 {
        return Ok(None);
    }
    let outcome = info.score(matrix, params, |_, flagged| match explain {
        Explain::All => true,
        Explain::Flagged => flagged,
        Explain::None => false,
    });
    outcome.map(Some).map_err(|e| {
        error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!("{}{}: {e}", source.qualified, crate::pipeline::plan::series_label(rows.key.as_deref())),
            "drop the constant or duplicated column, or use another detector (e.g. isolation_forest)",
        )
    })
}

/// Each complete row scored by a stored model on its own.
pub fn score_with(model: &MultiModel, explain: Explain, matrix: &Matrix) -> Explained {
    let (rows, cols) = (matrix.rows, matrix.cols);
    let scores = model.scores(matrix);
    let flags: Vec<bool> = scores.iter().map(|&s| model.flags(s)).collect();
    let mut shares = Matrix::new(rows, cols, vec![f64::NAN; rows * cols]);
    for (i, &flagged) in flags.iter().enumerate() {
        let explained = match explain {
            Explain::All => true,
            Explain::Flagged => flagged,
            Explain::None => false,
        };
        if explained && let Some(s) = model.score_row(matrix.row(i), true).shares {
            anomdet_core::interrupt::check_every(i);
            shares.row_mut(i).copy_from_slice(&s);
        }
    }
    let probabilities = scores.iter().map(|&s| model.probability(s)).collect();
    Explained { scores, flags, shares, probabilities }
}

/// The returned rows of one series: complete rows with their score, flag and (when explained)
/// contributions; the others with NULL score and flag.
fn push_rows(
    columns: &[String],
    rows: &series_rows::SeriesRows,
    complete: &[usize],
    scored: Option<&Explained>,
    out: &mut Vec<Row>,
) -> Result<(), ErrorReport> {
    let mut at = 0;
    for i in 0..rows.ts.len() {
        let ts = TimestampWithTimeZone::try_from(rows.ts[i]).map_err(crate::error::internal)?;
        let k = (at < complete.len() && complete[at] == i).then(|| {
            at += 1;
            at - 1
        });
        let row = match (k, scored) {
            (Some(k), Some(s)) => {
                let shares = s.shares.row(k);
                let contributions = (!shares[0].is_nan()).then(|| pgrx::JsonB(contributions(columns, shares)));
                (ts, rows.key.clone(), Some(s.scores[k]), Some(s.flags[k]), contributions, s.probabilities[k])
            }
            _ => (ts, rows.key.clone(), None, None, None, None),
        };
        out.push(row);
    }
    Ok(())
}

/// Each column's share as a JSON object, `{"column": share, ...}`.
pub fn contributions(columns: &[String], shares: &[f64]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> =
        columns.iter().zip(shares).map(|(c, v)| (c.clone(), serde_json::json!(v))).collect();
    serde_json::Value::Object(map)
}
