//! Several columns of each row scored together by a multivariate detector (`detect_columns`),
//! each flagged row explained by its columns' shares of its score.

use crate::error::{Code, error};
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use anomdet_core::Params;
use anomdet_core::multivariate::MultiInfo;
use anomdet_core::tabular::Matrix;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// One returned row: time, series, score, flag, contributions.
pub type Row = (TimestampWithTimeZone, Option<String>, Option<f64>, Option<bool>, Option<pgrx::JsonB>);

/// Which rows get their explanation computed and returned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    Flagged,
    All,
    None,
}

/// Score the columns of every series of `source` (its value column is the first of `columns`).
pub fn detect_columns(
    source: &Source,
    columns: &[String],
    info: &MultiInfo,
    params: &Params,
    explain: Explain,
) -> Result<Vec<Row>, ErrorReport> {
    let mut out: Vec<Row> = Vec::new();
    for rows in series_rows::read(source, columns, None)? {
        score_series(source, columns, info, params, explain, &rows, &mut out)?;
    }
    Ok(out)
}

/// One series: the rows where every column holds a finite value are scored; the others come
/// back with NULL score and flag.
fn score_series(
    source: &Source,
    columns: &[String],
    info: &MultiInfo,
    params: &Params,
    explain: Explain,
    rows: &series_rows::SeriesRows,
    out: &mut Vec<Row>,
) -> Result<(), ErrorReport> {
    let n = rows.ts.len();
    let complete: Vec<usize> =
        (0..n).filter(|&i| rows.values.iter().all(|col| col[i].is_some_and(f64::is_finite))).collect();
    let mut data = Vec::with_capacity(complete.len() * columns.len());
    for &i in &complete {
        data.extend(rows.values.iter().map(|col| col[i].unwrap_or(f64::NAN)));
    }
    let scored = if complete.len() >= 2 {
        let matrix = Matrix::new(complete.len(), columns.len(), data);
        let outcome = info.score(&matrix, params, |_, flagged| match explain {
            Explain::All => true,
            Explain::Flagged => flagged,
            Explain::None => false,
        });
        Some(outcome.map_err(|e| {
            error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!("{}{}: {e}", source.qualified, crate::pipeline::plan::series_label(rows.key.as_deref())),
                "drop the constant or duplicated column, or use another detector (e.g. isolation_forest)",
            )
        })?)
    } else {
        None
    };
    let mut at = 0;
    for i in 0..n {
        let ts = TimestampWithTimeZone::try_from(rows.ts[i]).map_err(crate::error::internal)?;
        let k = (at < complete.len() && complete[at] == i).then(|| {
            at += 1;
            at - 1
        });
        let row = match (k, &scored) {
            (Some(k), Some(s)) => {
                let shares = s.shares.row(k);
                let contributions = (!shares[0].is_nan()).then(|| {
                    let map: serde_json::Map<String, serde_json::Value> =
                        columns.iter().zip(shares).map(|(c, v)| (c.clone(), serde_json::json!(v))).collect();
                    pgrx::JsonB(serde_json::Value::Object(map))
                });
                (ts, rows.key.clone(), Some(s.scores[k]), Some(s.flags[k]), contributions)
            }
            _ => (ts, rows.key.clone(), None, None, None),
        };
        out.push(row);
    }
    Ok(())
}
